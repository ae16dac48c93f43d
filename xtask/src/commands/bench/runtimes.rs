//! The contestants behind the same local Runtime API: the `7-finish` Rust binary, a Node.js
//! process running the original step's logic, and the limit (`xtask/limit`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::lambda::runtime_api::Outcome;
use crate::project;

#[derive(Debug, Clone)]
pub struct Runtime {
    program: PathBuf,
    arguments: Vec<String>,
}

impl Runtime {
    /// A binary speaking the Runtime API itself: 7-finish's, or the limit's.
    pub fn rust(binary: PathBuf) -> Self {
        Self {
            program: binary,
            arguments: Vec::new(),
        }
    }

    pub fn node() -> Result<Self> {
        let script = project::root().join("xtask/bench/node_stream_handler.js");
        let node = which("node").context("node was not found: the bench compares with Node.js")?;
        Ok(Self {
            program: node,
            arguments: vec![script.to_string_lossy().into_owned()],
        })
    }

    /// A process of this runtime behind a fresh Runtime API endpoint, writing to `sink`.
    pub fn start(&self, sink: &Path) -> Result<LocalFunction> {
        let _ = std::fs::remove_file(sink);
        LocalFunction::start(FunctionSpec {
            binary: &self.program,
            arguments: self.arguments.clone(),
            name: "stream",
            handler: "stream.handler",
            region: "us-east-1",
            aws_endpoint: None,
            environment: Vec::new(),
            log: sink.to_owned(),
        })
    }
}

/// Invokes and insists on a successful answer.
pub fn invoke(function: &mut LocalFunction, event: &[u8]) -> Result<()> {
    match function.invoke(event, Duration::from_secs(60))? {
        Outcome::Response(_) => Ok(()),
        Outcome::Error(body) => bail!("the handler failed: {}", String::from_utf8_lossy(&body)),
    }
}

/// Spawn to first answer, for one event.
pub fn cold_start(runtime: &Runtime, event: &[u8], sink: &Path) -> Result<Duration> {
    let started = Instant::now();
    let mut function = runtime.start(sink)?;
    invoke(&mut function, event)?;
    Ok(started.elapsed())
}

/// The peak resident memory of a process so far (Linux's VmHWM), in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}
