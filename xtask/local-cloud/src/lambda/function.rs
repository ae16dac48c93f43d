//! A function of a step running on this machine: the step's host binary, started as Lambda
//! starts it (its `_HANDLER`, Lambda's variables, its own Runtime API endpoint), and fenced off
//! from any real AWS account.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

mod output;

use crate::lambda::bus::Bus;
use crate::lambda::function_log::FunctionLog;
use crate::lambda::runtime_api::{Outcome, RuntimeApi};
use crate::tools::process::Owned;
use output::Output;

/// Where a local function's AWS SDK goes when nothing local is given: the discard port, so a
/// call fails at once instead of reaching AWS.
const NOWHERE: &str = "http://127.0.0.1:9";

/// How to start one local function.
#[derive(Debug, Clone)]
pub struct FunctionSpec<'a> {
    pub binary: &'a Path,
    /// Its arguments: none for a step's binary (`node` gets its script).
    pub arguments: Vec<String>,
    /// The function's name in serverless.yml (`stream`).
    pub name: &'a str,
    /// Its `handler` (`stream.handler`).
    pub handler: &'a str,
    pub region: &'a str,
    /// The local DynamoDB (and DynamoDB Streams) endpoint, if the function may use one.
    pub aws_endpoint: Option<&'a str>,
    /// The function's own `environment` from serverless.yml, resolved.
    pub environment: Vec<(String, String)>,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// Where its log lines are told, if anyone watches.
    pub bus: Option<std::sync::Arc<Bus>>,
}

#[derive(Debug)]
pub struct LocalFunction {
    process: Owned,
    api: RuntimeApi,
    region: String,
    log: FunctionLog,
    output: Output,
    /// How to start the process again after it stopped.
    command: Launch,
}

/// Everything needed to start the function's process.
#[derive(Debug, Clone)]
struct Launch {
    name: String,
    program: PathBuf,
    arguments: Vec<String>,
    environment: Vec<(String, String)>,
}

impl Launch {
    fn spawn(&self, output: &Output) -> Result<Owned> {
        let (stdout, stderr) = output.stdio()?;
        Owned::spawn(
            Command::new(&self.program)
                .args(&self.arguments)
                // Only what Lambda would give it: nothing of the learner's shell, no AWS
                // profile; but what the system needs to run a process at all.
                .env_clear()
                .envs(system_environment())
                .envs(self.environment.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr),
            &format!("starting function {}", self.name),
        )
    }
}

impl LocalFunction {
    pub fn start(spec: FunctionSpec<'_>) -> Result<Self> {
        let api = RuntimeApi::start(spec.name, spec.region)?;
        let mut environment = api.function_environment(spec.handler);
        environment.extend(
            isolated_aws_environment(spec.aws_endpoint.unwrap_or(NOWHERE), &spec.log)?
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        environment.extend(spec.environment);
        let command = Launch {
            name: spec.name.to_owned(),
            program: spec.binary.to_owned(),
            arguments: spec.arguments,
            environment,
        };
        if let Some(dir) = spec.log.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        // Appended to, never truncated: the local cloud adds its own lines about the function
        // to the same log. A caller that wants a fresh log removes the file first.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .with_context(|| format!("opening {}", spec.log.display()))?;
        let log = FunctionLog::new(spec.name, spec.log, spec.bus);
        let output = Output::start(log.clone())?;
        let process = command.spawn(&output)?;
        Ok(Self {
            process,
            api,
            region: spec.region.to_owned(),
            log,
            output,
            command,
        })
    }

    /// Starts the process again if it has stopped, or said its init failed, as Lambda starts
    /// a new execution environment after one crashed or failed to start; says so in the
    /// function's log.
    fn restart_if_stopped(&mut self) -> Result<()> {
        if self.api.init_failed() {
            self.process.kill();
        }
        if let Some(status) = self.process.try_wait()? {
            let why = match self.api.init_failed() {
                true => "its init failed".to_owned(),
                false => format!("the function had stopped ({status})"),
            };
            self.output.sync();
            self.log
                .note(&format!("{why}: starting it again, as Lambda would"));
            // A new endpoint too: a poll the old process left waiting must not take the
            // next event.
            self.api = RuntimeApi::start(&self.command.name, &self.region)?;
            let address = self.api.function_environment("").remove(0);
            for (key, value) in &mut self.command.environment {
                if *key == address.0 {
                    value.clone_from(&address.1);
                }
            }
            self.process = self.command.spawn(&self.output)?;
        }
        Ok(())
    }

    /// Sends one event and waits for the function's answer. A process that exits instead of
    /// answering is an error that carries the end of its log.
    pub fn invoke(&mut self, payload: &[u8], timeout: Duration) -> Result<Outcome> {
        self.restart_if_stopped()?;
        let outcome = self.api.queue(payload, timeout)?;
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(outcome) = outcome.recv_timeout(Duration::from_millis(20)) {
                // What it printed for this event comes before whatever is said of its answer.
                self.output.sync();
                return Ok(outcome);
            }
            if let Some(status) = self
                .process
                .try_wait()
                .context("checking on the function")?
            {
                anyhow::bail!(
                    "the function stopped ({status}) instead of answering; its log ends with:\n{}",
                    self.log_end()
                );
            }
        }
        // As Lambda does: the invocation ends, and so does its execution environment; the
        // next event gets a new process.
        // Stopped first: nothing it prints comes after the line that says it timed out.
        self.process.kill();
        self.output.sync();
        self.log.line(&format!(
            "Task timed out after {:.2} seconds",
            timeout.as_secs_f64()
        ));
        anyhow::bail!(
            "the function did not answer within {} s; its log ends with:\n{}",
            timeout.as_secs_f32(),
            self.log_end()
        )
    }

    /// Waits for the process to end by itself (it failed at start, say).
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self
                .process
                .try_wait()
                .context("checking on the function")?
            {
                return Ok(Some(status));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(None)
    }

    /// The end of its log (20 lines), everything it printed before now included: what an
    /// error about an invocation quotes.
    fn log_end(&self) -> String {
        self.output.sync();
        self.log.last_lines(20)
    }

    /// Its log so far (what is not UTF-8 replaced): everything it printed before now.
    pub fn log_text(&self) -> String {
        self.output.sync();
        std::fs::read(self.log.path())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The request id of the last invocation.
    pub fn last_request_id(&self) -> Option<String> {
        self.api.last_request_id().map(str::to_owned)
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}

/// What a process needs of the system whatever it runs: on Windows `SystemRoot` (sockets do
/// not start without it) and `PATH` (where DLLs are found), everywhere the temporary
/// directory. Nothing here can name an AWS account.
const SYSTEM_VARIABLES: [&str; 7] = [
    "SystemRoot",
    "SYSTEMROOT",
    "windir",
    "PATH",
    "TMPDIR",
    "TEMP",
    "TMP",
];

fn system_environment() -> Vec<(String, std::ffi::OsString)> {
    SYSTEM_VARIABLES
        .iter()
        .filter_map(|name| Some((name.to_string(), std::env::var_os(name)?)))
        .collect()
}

/// Dummy keys, no profile, no instance metadata, and every AWS endpoint local: a local
/// function cannot reach a real account whatever the learner's shell holds. The empty config
/// file lies beside the function's log, in the caller's own directory (never a shared one,
/// where another user could put a profile there).
fn isolated_aws_environment(endpoint: &str, log: &Path) -> Result<Vec<(&'static str, String)>> {
    let dir = log.parent().unwrap_or(Path::new("."));
    let empty = dir.join("empty-aws-config");
    if !empty.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(&empty, "").with_context(|| format!("writing {}", empty.display()))?;
    }
    let empty = empty.to_string_lossy().into_owned();
    Ok(vec![
        ("AWS_ACCESS_KEY_ID", "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
        ("AWS_CONFIG_FILE", empty.clone()),
        ("AWS_SHARED_CREDENTIALS_FILE", empty),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
    ])
}

#[cfg(test)]
mod environment_tests {
    use super::*;

    #[test]
    fn a_function_keeps_what_the_system_needs_and_nothing_of_aws() {
        let kept = system_environment();
        assert!(kept.iter().all(|(name, _)| !name.starts_with("AWS")));
        if std::env::var_os("PATH").is_some() {
            assert!(kept.iter().any(|(name, _)| name == "PATH"));
        }
        let log = std::env::temp_dir()
            .join(format!("local-cloud-env-{}", std::process::id()))
            .join("f.log");
        let isolated = isolated_aws_environment("http://127.0.0.1:1", &log).unwrap();
        let _ = std::fs::remove_dir_all(log.parent().unwrap());
        assert!(isolated.contains(&("AWS_ACCESS_KEY_ID", "local".to_owned())));
    }
}
