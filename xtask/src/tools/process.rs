//! The one owner of child processes. Commands that run to completion go through [`run`] or
//! [`output`] (both streams read together, failures with what was being done); processes that
//! live as long as a deployment (functions, moto in the tests) are [`Owned`]: killed when
//! dropped, and killed by the [`watchdog`] if xtask itself dies, even by SIGKILL.

pub mod watchdog;

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Runs a command with its output on the terminal; an error if it fails.
pub fn run(command: &mut Command, doing: &str) -> Result<()> {
    let status = status(command, doing)?;
    if !status.success() {
        bail!("{doing} failed ({status}); its output is above");
    }
    Ok(())
}

/// Runs a command with its output on the terminal; its exit status.
pub fn status(command: &mut Command, doing: &str) -> Result<ExitStatus> {
    let mut child = command
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("{doing}: could not start {:?}", command.get_program()))?;
    let _watched = Watched::tell(child.id());
    child.wait().with_context(|| format!("{doing}: waiting"))
}

/// A child the watchdog knows of while it runs: an install or a build must not outlive a
/// killed xtask (a second xtask would take the install's turn while it still runs). Dropped
/// once the child is reaped: its pid may then go to another process.
#[derive(Debug)]
struct Watched(u32);

impl Watched {
    fn tell(pid: u32) -> Self {
        watchdog_says(&format!("{pid}\n"));
        Self(pid)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        watchdog_says(&format!("-{}\n", self.0));
    }
}

/// Runs a command and captures stdout and stderr, read side by side: a child that fills one
/// pipe while xtask waits on the other cannot hang. Fails only if it cannot be started.
pub fn output(command: &mut Command, doing: &str) -> Result<Output> {
    command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{doing}: could not start {:?}", command.get_program()))
}

/// The last `count` lines of what a process printed: enough to say why it failed.
pub fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// A child that lives until it is dropped, and no longer than xtask.
#[derive(Debug)]
pub struct Owned {
    child: Child,
    /// Until it is reaped.
    watched: Option<Watched>,
}

impl Owned {
    /// Starts it in a process group of its own: Ctrl-C in the terminal reaches xtask alone,
    /// which stops its children itself, once they have finished what they were doing (a
    /// function's invocation in flight is answered, not cut).
    pub fn spawn(command: &mut Command, doing: &str) -> Result<Self> {
        own_process_group(command);
        let child = command
            .spawn()
            .with_context(|| format!("{doing}: could not start {:?}", command.get_program()))?;
        let watched = Some(Watched::tell(child.id()));
        Ok(Self { child, watched })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its stdout, when it was spawned with `Stdio::piped()`.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// Its stderr, when it was spawned with `Stdio::piped()`.
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Its stdin, when it was spawned with `Stdio::piped()`.
    pub fn take_stdin(&mut self) -> Option<std::process::ChildStdin> {
        self.child.stdin.take()
    }

    /// Stops it now (a timed-out function); dropping it later is harmless.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reaped();
    }

    /// Its exit status, if it has ended.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        let status = self
            .child
            .try_wait()
            .context("checking on a child process")?;
        if status.is_some() {
            self.reaped();
        }
        Ok(status)
    }

    /// Once reaped, its pid may go to another process: the watchdog forgets it, once.
    fn reaped(&mut self) {
        self.watched = None;
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The one difference between systems here: a process group of its own, so that the
/// terminal's Ctrl-C (sent to the foreground group on Unix, to the console's process group on
/// Windows) reaches xtask alone.
fn own_process_group(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        command.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }
}

fn watchdog_says(line: &str) {
    static WATCHDOG_STDIN: OnceLock<Option<Mutex<ChildStdin>>> = OnceLock::new();
    let stdin = WATCHDOG_STDIN.get_or_init(|| watchdog::start().map(Mutex::new));
    if let Some(stdin) = stdin {
        if let Ok(mut stdin) = stdin.lock() {
            let _ = stdin.write_all(line.as_bytes());
            let _ = stdin.flush();
        }
    }
}

/// Runs a long command with its output passed through line by line, and a line of our own
/// after every `quiet` without output, so the terminal is never silent for long (cargo test
/// prints nothing while a test builds a Lambda zip for minutes). Returns its exit status.
pub fn run_with_heartbeat(
    command: &mut Command,
    doing: &str,
    quiet: Duration,
) -> Result<ExitStatus> {
    Ok(watched(command, doing, quiet, true)?.status)
}

/// Runs a command with its output captured (both pipes read side by side), saying every
/// `quiet` that it is still at work: `... still building the step (25 s)`.
pub fn output_with_heartbeat(
    command: &mut Command,
    doing: &str,
    quiet: Duration,
) -> Result<Output> {
    watched(command, doing, quiet, false)
}

fn watched(
    command: &mut Command,
    doing: &str,
    quiet: Duration,
    pass_through: bool,
) -> Result<Output> {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{doing}: could not start {:?}", command.get_program()))?;
    let _watched = Watched::tell(child.id());
    let last_output = Arc::new(Mutex::new(Instant::now()));
    let mut readers = Vec::new();
    for (stream, to_stderr) in [
        (
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            false,
        ),
        (
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            true,
        ),
    ] {
        let Some(stream) = stream else {
            readers.push(None);
            continue;
        };
        let last_output = Arc::clone(&last_output);
        readers.push(Some(thread::spawn(move || {
            let mut kept = Vec::new();
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                if pass_through {
                    let text = String::from_utf8_lossy(&line);
                    if to_stderr {
                        eprint!("{text}");
                    } else {
                        print!("{text}");
                    }
                    if let Ok(mut last) = last_output.lock() {
                        *last = Instant::now();
                    }
                } else {
                    kept.extend_from_slice(&line);
                }
                line.clear();
            }
            kept
        })));
    }
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .with_context(|| format!("{doing}: waiting"))?
        {
            break status;
        }
        thread::sleep(Duration::from_millis(100));
        if let Ok(mut last) = last_output.lock() {
            if last.elapsed() >= quiet {
                let seconds = started.elapsed().as_secs();
                let time = match seconds {
                    0..60 => format!("{seconds} s"),
                    _ => format!("{} min {:02} s", seconds / 60, seconds % 60),
                };
                eprintln!("    ... still {doing} ({time})");
                *last = Instant::now();
            }
        }
    };
    let mut kept = readers
        .into_iter()
        .map(|reader| reader.and_then(|r| r.join().ok()).unwrap_or_default());
    Ok(Output {
        status,
        stdout: kept.next().unwrap_or_default(),
        stderr: kept.next().unwrap_or_default(),
    })
}
