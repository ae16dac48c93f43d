//! Child processes, as the local cloud owns them (`local_cloud::tools::process`), and the
//! long commands of xtask's own that say every few seconds that they are still at work.

pub use local_cloud::tools::process::*;

use std::io::Read;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

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
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{doing}: could not start {:?}", command.get_program()))?;
    let _watched = Watched::tell(child.id());
    let last_output = Arc::new(Mutex::new(Instant::now()));
    let stdout = child.stdout.take().map(|out| {
        let read = Box::new(out) as Box<dyn Read + Send>;
        read_output(read, false, pass_through, &last_output)
    });
    let stderr = child.stderr.take().map(|err| {
        let read = Box::new(err) as Box<dyn Read + Send>;
        read_output(read, true, pass_through, &last_output)
    });
    let status = wait_saying(&mut child, doing, quiet, &last_output)?;
    let kept = |reader: Option<thread::JoinHandle<Vec<u8>>>| {
        reader.and_then(|r| r.join().ok()).unwrap_or_default()
    };
    Ok(Output {
        status,
        stdout: kept(stdout),
        stderr: kept(stderr),
    })
}

/// A thread that reads one of the child's streams: passed through to the terminal as it
/// comes (each line keeps the child from being called quiet), or kept.
fn read_output(
    stream: Box<dyn Read + Send>,
    to_stderr: bool,
    pass_through: bool,
    last_output: &Arc<Mutex<Instant>>,
) -> thread::JoinHandle<Vec<u8>> {
    use std::io::{BufRead, BufReader};
    let last_output = Arc::clone(last_output);
    thread::spawn(move || {
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
    })
}

/// Waits for the child to end, saying what it is doing after every `quiet` without output.
fn wait_saying(
    child: &mut std::process::Child,
    doing: &str,
    quiet: Duration,
    last_output: &Mutex<Instant>,
) -> Result<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child
            .try_wait()
            .with_context(|| format!("{doing}: waiting"))?
        {
            return Ok(status);
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
    }
}
