//! The watchdog: a second xtask process (`xtask __watchdog`), started once, told each owned
//! child's pid on its stdin (`-PID` once it was reaped). When xtask ends, however it ends
//! (SIGKILL too, which no handler can catch), the system closes that pipe; the watchdog reads
//! end-of-file and stops whatever it was told of and not told was gone: TERM first where the
//! system has it, KILL a second later. sysinfo sends the signals, on every system alike.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::{ChildStdin, Command, ExitCode, Stdio};
use std::time::Duration;

use sysinfo::{Pid, ProcessesToUpdate, Signal, System};

/// The hidden command line argument that makes xtask the watchdog.
pub const ARGUMENT: &str = "__watchdog";

/// Starts the watchdog, in a process group of its own (Ctrl-C in the terminal reaches xtask
/// alone, which stops its children itself); the pipe to tell it pids. None when this is not
/// xtask's binary (a test binary using xtask's library: its children end when dropped).
pub(super) fn start() -> Option<ChildStdin> {
    let exe = std::env::current_exe().ok()?;
    if exe.file_stem()? != "xtask" {
        return None;
    }
    let mut command = Command::new(exe);
    command
        .arg(ARGUMENT)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    super::own_process_group(&mut command);
    // Never waited for: it outlives xtask by design, and the system reaps it.
    command.spawn().ok()?.stdin.take()
}

/// The watchdog's life: collect pids until end-of-file, then stop the ones still listed.
pub fn run() -> ExitCode {
    let mut pids = BTreeSet::new();
    // Read as bytes: a line that is not UTF-8 is skipped, not taken for the end.
    for line in std::io::stdin().lock().split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line);
        match line.trim().strip_prefix('-') {
            Some(gone) => {
                if let Ok(pid) = gone.parse::<u32>() {
                    pids.remove(&pid);
                }
            }
            None => {
                // Only a child of xtask is ever told: never the system's first process, nor
                // this one.
                if let Ok(pid) = line.trim().parse::<u32>() {
                    if pid > 1 && pid != std::process::id() {
                        pids.insert(pid);
                    }
                }
            }
        }
    }
    stop(&pids);
    ExitCode::SUCCESS
}

fn stop(pids: &BTreeSet<u32>) {
    if pids.is_empty() {
        return;
    }
    let pids: Vec<Pid> = pids.iter().copied().map(Pid::from_u32).collect();
    let mut system = System::new();
    system.refresh_processes(ProcessesToUpdate::Some(&pids), true);
    let mut asked = false;
    for pid in &pids {
        if let Some(process) = system.process(*pid) {
            // None where the system has no TERM (Windows): KILL it is, at once.
            asked |= process.kill_with(Signal::Term).is_some();
        }
    }
    if asked {
        std::thread::sleep(Duration::from_secs(1));
        system.refresh_processes(ProcessesToUpdate::Some(&pids), true);
    }
    for pid in &pids {
        if let Some(process) = system.process(*pid) {
            process.kill();
        }
    }
}
