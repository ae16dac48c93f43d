//! The deployment's terminal: every function's log lines as the local cloud's bus tells them,
//! each behind its function's name. What a function prints is shown, never obeyed
//! ([`terminal::safe`]); a terminal that cannot keep up (paused, or slow) costs lines on the
//! screen, never the service's time: the log files keep everything.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::lambda::bus::{Event, Subscriber};
use crate::tools::terminal;

/// Lines waiting for the terminal, at most.
const WAITING: usize = 10_000;

#[derive(Debug)]
pub struct Terminal {
    lines: SyncSender<String>,
    /// The longest function name yet: the names are aligned on it.
    width: AtomicUsize,
    /// Lines let go since the last one printed.
    unshown: Arc<AtomicU64>,
}

impl Terminal {
    /// The terminal, printing on its own thread until `stop` is set; `names` are the
    /// functions it starts with.
    pub fn start(names: &[String], stop: &Arc<AtomicBool>) -> (Arc<Self>, JoinHandle<()>) {
        let (lines, waiting) = sync_channel(WAITING);
        let unshown = Arc::new(AtomicU64::new(0));
        let printing = {
            let (unshown, stop) = (Arc::clone(&unshown), Arc::clone(stop));
            std::thread::spawn(move || print(&waiting, &unshown, &stop))
        };
        let width = names.iter().map(String::len).max().unwrap_or(0);
        let terminal = Self {
            lines,
            width: AtomicUsize::new(width),
            unshown,
        };
        (Arc::new(terminal), printing)
    }

    fn show(&self, function: &str, line: &str) {
        let width = self
            .width
            .fetch_max(function.len(), Ordering::Relaxed)
            .max(function.len());
        let line = format!("{function:>width$} | {}", terminal::safe(line));
        if self.lines.try_send(line).is_err() {
            self.unshown.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Subscriber for Terminal {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Log { function, line } => self.show(function, line),
            Event::Batch(batch) => self.show(batch.function, &format!("[xtask] {}", batch.line)),
            _ => {}
        }
    }
}

/// Prints the lines as they come; says how many were let go when the terminal was behind.
fn print(waiting: &Receiver<String>, unshown: &AtomicU64, stop: &AtomicBool) {
    loop {
        let line = match waiting.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Timeout) if stop.load(Ordering::Relaxed) => return,
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // A terminal gone (its pipe closed) ends nothing but the printing.
        let mut out = std::io::stdout().lock();
        let let_go = unshown.swap(0, Ordering::Relaxed);
        if let_go > 0 {
            let _ = writeln!(
                out,
                "[xtask] {let_go} log lines not shown here (the terminal was behind): \
                 `cargo xtask logs FUNCTION` has them"
            );
        }
        if let Some(line) = line {
            let _ = writeln!(out, "{line}");
        }
    }
}
