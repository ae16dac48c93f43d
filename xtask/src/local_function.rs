//! A function of a step running on this machine: the step's host binary, started as Lambda
//! starts it (its `_HANDLER`, Lambda's variables, its own Runtime API endpoint), and fenced off
//! from any real AWS account.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::project;
use crate::runtime_api::{Outcome, RuntimeApi};

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
}

#[derive(Debug)]
pub struct LocalFunction {
    process: Child,
    api: RuntimeApi,
    log: PathBuf,
}

impl LocalFunction {
    pub fn start(spec: FunctionSpec<'_>) -> Result<Self> {
        let api = RuntimeApi::start(spec.name, spec.region)?;
        if let Some(dir) = spec.log.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        // Appended to, never truncated: xtask adds its own lines about the function to the
        // same file. A caller that wants a fresh log removes the file first.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .with_context(|| format!("opening {}", spec.log.display()))?;
        let process = Command::new(spec.binary)
            .args(&spec.arguments)
            // Only what Lambda would give it: nothing of the learner's shell, no AWS profile.
            .env_clear()
            .envs(api.function_environment(spec.handler))
            .envs(isolated_aws_environment(
                spec.aws_endpoint.unwrap_or(NOWHERE),
            )?)
            .envs(spec.environment)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("sharing the function's log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} for function {}",
                    spec.binary.display(),
                    spec.name
                )
            })?;
        Ok(Self {
            process,
            api,
            log: spec.log,
        })
    }

    /// Sends one event and waits for the function's answer. A process that exits instead of
    /// answering is an error that carries the end of its log.
    pub fn invoke(&mut self, payload: &[u8], timeout: Duration) -> Result<Outcome> {
        let outcome = self.api.queue(payload, timeout)?;
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(outcome) = outcome.recv_timeout(Duration::from_millis(20)) {
                return Ok(outcome);
            }
            if let Some(status) = self
                .process
                .try_wait()
                .context("checking on the function")?
            {
                anyhow::bail!(
                    "the function stopped ({status}) instead of answering; its log ends with:\n{}",
                    crate::moto::last_lines(&self.log_text(), 20)
                );
            }
        }
        anyhow::bail!(
            "the function did not answer within {} s; its log ends with:\n{}",
            timeout.as_secs_f32(),
            crate::moto::last_lines(&self.log_text(), 20)
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

    /// Everything the function has printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}

impl Drop for LocalFunction {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Dummy keys, no profile, no instance metadata, and every AWS endpoint local: a local
/// function cannot reach a real account whatever the learner's shell holds.
fn isolated_aws_environment(endpoint: &str) -> Result<Vec<(&'static str, String)>> {
    let empty = project::xtask_dir().join("empty-aws-config");
    if !empty.exists() {
        std::fs::create_dir_all(project::xtask_dir()).context("creating target/xtask")?;
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
