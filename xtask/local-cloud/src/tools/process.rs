//! The one owner of child processes. Commands that run to completion go through [`run`] or
//! [`output`] (both streams read together, failures with what was being done); processes that
//! live as long as a deployment (functions, moto in the tests) are [`Owned`]: killed when
//! dropped, and killed by the [`watchdog`] if xtask itself dies, even by SIGKILL. Nothing here
//! prints (xtask's `tools::process` adds the commands that say they are still at work).

pub mod watchdog;

use std::io::Write;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Mutex, OnceLock};

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
pub struct Watched(u32);

impl Watched {
    /// The watchdog knows of `pid` until this is dropped.
    pub fn tell(pid: u32) -> Self {
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
