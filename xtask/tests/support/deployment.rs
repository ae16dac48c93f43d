//! A running `cargo xtask deploy --local`, used as a learner uses it: HTTP requests, its
//! printed lines, `cargo xtask logs`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use xtask::local_state as state;
use xtask::project;

pub struct Deployment {
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
    /// The step's name, or a copy's directory name: where its state and logs are kept.
    pub step: String,
    pub process: Child,
    pub api: String,
    /// What it printed before "Ready." and after.
    pub printed: Vec<String>,
    lines: Receiver<String>,
}

/// One deployment of a step at a time: they share the step's log and state files, as two
/// learners' terminals on one checkout would.
pub fn one_at_a_time(step: &str) -> std::sync::MutexGuard<'static, ()> {
    static FINISH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    static EXERCISE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let lock = if step == "7-finish" {
        &FINISH
    } else {
        &EXERCISE
    };
    lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Deployment {
    /// `deploy --local --fresh STEP`: an empty table, whatever the last test left.
    pub fn start(step: &str) -> Deployment {
        Self::start_with(step, &[step, "--fresh"])
    }

    /// `deploy --local STEP`: the table and the stream's place as the last run left them.
    pub fn start_again(step: &str) -> Deployment {
        Self::start_with(step, &[step])
    }

    /// `deploy --local STEP` with no local state at all: a learner's very first run.
    pub fn start_first(step: &str) -> Deployment {
        let guard = one_at_a_time(step);
        let _ = std::fs::remove_dir_all(state::dir(step));
        Self::start_holding(guard, step, &[step])
    }

    /// `deploy --local --watch --dir DIR`: a copy of a step, outside the workspace.
    pub fn start_watching(dir: &Path) -> Deployment {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        Self::start_with(
            &name,
            &["--watch", "--fresh", "--dir", dir.to_str().unwrap()],
        )
    }

    /// `deploy --local --dir DIR` with more arguments, on a copy of a step.
    pub fn start_dir(dir: &Path, more: &[&str]) -> Deployment {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut args = vec!["--dir", dir.to_str().unwrap()];
        args.extend_from_slice(more);
        Self::start_with(&name, &args)
    }

    fn start_with(name: &str, args: &[&str]) -> Deployment {
        Self::start_holding(one_at_a_time(name), name, args)
    }

    fn start_holding(
        guard: std::sync::MutexGuard<'static, ()>,
        name: &str,
        args: &[&str],
    ) -> Deployment {
        let port = xtask::tools::server::free_port().unwrap();
        let mut process = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["deploy", "--local", "--port", &port.to_string()])
            .args(args)
            .current_dir(project::root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut deployment = Deployment {
            _one_at_a_time: guard,
            step: name.to_owned(),
            process,
            api: format!("http://127.0.0.1:{port}"),
            printed: Vec::new(),
            lines,
        };
        deployment.wait_for_line(|line| line.starts_with("Ready."), Duration::from_secs(300));
        deployment
    }

    /// The console's address, from the summary's `console` line.
    pub fn console_url(&self) -> String {
        self.printed
            .iter()
            .find_map(|line| line.trim_start().strip_prefix("console"))
            .and_then(|rest| rest.split_whitespace().next())
            .expect("the summary has a console line")
            .to_owned()
    }

    pub fn wait_for_line(&mut self, done: impl Fn(&str) -> bool, timeout: Duration) {
        let started = Instant::now();
        while started.elapsed() < timeout {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let found = done(&line);
                    self.printed.push(line);
                    if found {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Its stdout closed: it ended (its stderr, above in the test's output, says why).
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "deploy --local ended ({:?}) before the line awaited; it printed:\n{}",
                    self.process.wait(),
                    self.printed.join("\n")
                ),
            }
        }
        panic!(
            "waited {timeout:?} in vain; it printed:\n{}",
            self.printed.join("\n")
        );
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.api);
        let mut response = match (method, body) {
            ("PUT", Some(body)) => agent.put(&url).send(body),
            ("DELETE", _) => agent.delete(&url).call(),
            _ => agent.get(&url).call(),
        }
        .unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap(),
        )
    }

    /// `cargo xtask logs FUNCTION --local`, as a learner runs it; for a copy of a step (which
    /// `logs` does not know), its log file.
    pub fn logs(&self, function: &str) -> String {
        if project::Step::named(&self.step).is_err() {
            return std::fs::read_to_string(state::function_log(&self.step, function))
                .unwrap_or_default();
        }
        super::xtask_succeeds(&["logs", function, &self.step, "--local"], Path::new("."))
    }

    /// Waits until the function's log has a line with each of `expected`.
    pub fn wait_for_logs(&self, function: &str, expected: &[&str]) -> String {
        self.wait_for_logs_within(function, expected, Duration::from_secs(15))
    }

    /// As `wait_for_logs`, for what AWS's own limits make slow (a record age is at least 60 s).
    pub fn wait_for_logs_within(
        &self,
        function: &str,
        expected: &[&str],
        within: Duration,
    ) -> String {
        let started = Instant::now();
        loop {
            let log = self.logs(function);
            if expected.iter().all(|e| log.contains(e)) {
                return log;
            }
            assert!(
                started.elapsed() < within,
                "expected {expected:?} in:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops it as Ctrl-C would, and checks that nothing it started survives.
    pub fn stop(&mut self) {
        self.stop_with("-INT");
    }

    /// Stops it with a signal (`-INT`: Ctrl-C, `-TERM`: `kill`), and checks that nothing it
    /// started survives.
    pub fn stop_with(&mut self, signal: &str) {
        let running =
            state::running(&self.step).expect("a running deployment leaves its state file");
        assert_eq!(running.pid, self.process.id());
        let status = Command::new("kill")
            .args([signal, &self.process.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        while self.process.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "deploy --local did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for child in &running.children {
            assert!(
                !crate::support::process_alive(*child),
                "process {child} survived"
            );
        }
        assert!(state::running(&self.step).is_none());
    }
}

impl Drop for Deployment {
    /// A failed test must not leave the service running.
    fn drop(&mut self) {
        if self.process.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .args(["-INT", &self.process.id().to_string()])
                .status();
            let _ = self.process.wait();
        }
    }
}

/// `deploy --local --dir DIR`, which must refuse to start (and stop by itself within 120 s);
/// what it said on stderr.
pub fn refused_start(dir: &Path) -> String {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let _one = one_at_a_time(&name);
    let port = xtask::tools::server::free_port().unwrap().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "deploy",
            "--local",
            "--port",
            &port,
            "--dir",
            dir.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("deploy --local of {name} started, or hung, where it should have refused");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        !status.success(),
        "deploy --local of {name} did not refuse: {stderr}"
    );
    stderr
}

/// Raw HTTP to a local server (the API, the console): what was written, and everything it answered until it closed
/// or went quiet for a second.
pub fn raw_exchange(api: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut connection = std::net::TcpStream::connect(api.trim_start_matches("http://")).unwrap();
    connection.write_all(request.as_bytes()).unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(read) = connection.read(&mut buffer) {
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}
