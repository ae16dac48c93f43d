//! The contestants behind the same local Runtime API: the `7-finish` Rust binary, a Node.js
//! process running the original step's logic, and the limit (`xtask/limit`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use xtask::lambda::function::{FunctionSpec, LocalFunction};
use xtask::lambda::runtime_api::Outcome;
use xtask::project;

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
            bus: None,
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

/// The most resident memory each of some processes held while it was watched, sampled 20
/// times a second (sysinfo reads it the same way on every system).
#[derive(Debug)]
pub struct PeakMemory {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<u64>>,
}

impl PeakMemory {
    pub fn watch(pids: Vec<u32>) -> Self {
        use std::sync::atomic::Ordering;
        use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watching = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let pids: Vec<Pid> = pids.into_iter().map(Pid::from_u32).collect();
            let mut system = System::new();
            let mut peaks = vec![0; pids.len()];
            while !watching.load(Ordering::Relaxed) {
                system.refresh_processes_specifics(
                    ProcessesToUpdate::Some(&pids),
                    true,
                    ProcessRefreshKind::nothing().with_memory(),
                );
                for (peak, pid) in peaks.iter_mut().zip(&pids) {
                    let now = system.process(*pid).map_or(0, sysinfo::Process::memory);
                    *peak = (*peak).max(now);
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            peaks
        });
        Self { stop, thread }
    }

    /// The peaks, in bytes (0 for a process that could not be read).
    pub fn peaks(self) -> Vec<u64> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}
