//! The deployment's terminal: every function's log lines as the local cloud's bus tells them,
//! each behind its function's name. What a function prints is shown, never obeyed
//! ([`terminal::safe`]); a terminal that cannot keep up (paused, or slow) costs lines on the
//! screen, never the service's time: the log files have them (unless the disk is full).

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

/// Prints the lines as they come, until `stop`: then what is queued already, and no more (a
/// function that keeps printing must not hold the deployment's end).
fn print(waiting: &Receiver<String>, unshown: &AtomicU64, stop: &AtomicBool) {
    loop {
        if stop.load(Ordering::Relaxed) {
            while let Ok(line) = waiting.try_recv() {
                show(Some(line), unshown);
            }
            return;
        }
        match waiting.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => show(Some(line), unshown),
            Err(RecvTimeoutError::Timeout) => show(None, unshown),
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Prints `line`, after saying how many were let go when the terminal was behind. A terminal
/// gone (its pipe closed) ends nothing but the printing.
fn show(line: Option<String>, unshown: &AtomicU64) {
    let mut out = std::io::stdout().lock();
    let let_go = unshown.swap(0, Ordering::Relaxed);
    if let_go > 0 {
        let _ = writeln!(
            out,
            "[xtask] {let_go} log lines not shown here (the terminal was behind): \
             `cargo xtask logs FUNCTION` reads them from the log files"
        );
    }
    if let Some(line) = line {
        let _ = writeln!(out, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_stop_ends_the_printing_while_a_function_keeps_printing() {
        let stop = Arc::new(AtomicBool::new(false));
        let (terminal, printing) = Terminal::start(&["stream".to_owned()], &stop);
        let feeding = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let started = Instant::now();
                // Past the stop, as a function still running at Ctrl-C does.
                while started.elapsed() < Duration::from_secs(3) {
                    terminal.event(&Event::Log {
                        function: "stream",
                        line: if stop.load(Ordering::Relaxed) {
                            "after"
                        } else {
                            "before"
                        },
                    });
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, Ordering::Relaxed);
        let stopped = Instant::now();
        printing.join().unwrap();
        assert!(
            stopped.elapsed() < Duration::from_secs(1),
            "{:?}",
            stopped.elapsed()
        );
        feeding.join().unwrap();
    }
}
