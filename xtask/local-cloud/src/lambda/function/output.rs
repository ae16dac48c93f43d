//! Where a function's stdout and stderr go. With nobody watching (`check`, `failures`, the
//! bench, the tests), straight into its log file, as always. In a deployment, whose lines are
//! told on the bus, into one pipe that one thread reads into the function's [`FunctionLog`]
//! (the file, and the bus line by line), as Lambda sends a function's output to CloudWatch.
//!
//! [`Output::sync`] makes "the function printed it before it answered" mean "it is in the
//! log": the pipe keeps order, so a mark written into it after the answer comes out after
//! everything the function wrote into the pipe before; once the reader has passed the mark,
//! the log has it all, and a line the function left unended is ended there, as CloudWatch
//! ends an invocation's last event. The mark carries a nonce the function cannot know, and
//! never reaches the log.

use std::fs::File;
use std::io::{ErrorKind, PipeWriter, Read, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::lambda::function_log::{cut, FunctionLog, LONGEST_LINE};

/// A mark's end; its start is this byte and the nonce.
const MARK: u8 = 0x1e;
/// How long [`Output::sync`] waits for the reader, which goes at the pace of the disk and the
/// bus's subscribers (none of which blocks).
const SYNC_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub enum Output {
    /// Appended to the log file by the function itself.
    ToFile(PathBuf),
    Piped(Piped),
}

impl Output {
    /// The pipe and its reader when `log` has a bus to tell; else the file.
    pub fn start(log: FunctionLog) -> Result<Self> {
        match log.bus() {
            Some(_) => Ok(Output::Piped(Piped::start(log)?)),
            None => Ok(Output::ToFile(log.path().to_owned())),
        }
    }

    /// Its stdout and stderr, for one more process.
    pub fn stdio(&self) -> Result<(Stdio, Stdio)> {
        match self {
            Output::ToFile(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening {}", path.display()))?;
                let err = file
                    .try_clone()
                    .context("sharing the function's log file")?;
                Ok((Stdio::from(file), Stdio::from(err)))
            }
            Output::Piped(piped) => piped.stdio(),
        }
    }

    /// Returns once everything written so far is in the log (a file has it already).
    pub fn sync(&self) {
        if let Output::Piped(piped) = self {
            piped.sync();
        }
    }
}

#[derive(Debug)]
pub struct Piped {
    /// Kept open so that a mark can be written, and so that the reader outlives a process
    /// that stops (a restarted one gets the same pipe).
    writer: Mutex<PipeWriter>,
    head: Vec<u8>,
    asked: Mutex<u64>,
    passed: Arc<(Mutex<Passed>, Condvar)>,
}

#[derive(Debug, Default)]
struct Passed {
    mark: u64,
    /// The reader stopped (a read failed): nothing will pass again.
    ended: bool,
}

impl Piped {
    /// The pipe, and its reader into `log`.
    fn start(log: FunctionLog) -> Result<Self> {
        let (reader, writer) =
            std::io::pipe().context("making a pipe for the function's output")?;
        let head = format!("{}{} ", MARK as char, uuid::Uuid::new_v4().simple()).into_bytes();
        let passed = Arc::new((Mutex::new(Passed::default()), Condvar::new()));
        let reading = Reader {
            head: head.clone(),
            file: log.open(),
            log,
            passed: Arc::clone(&passed),
            line: Vec::new(),
            mid_line: false,
        };
        std::thread::Builder::new()
            .name("function output".to_owned())
            .spawn(move || reading.run(reader))
            .context("starting the reader of the function's output")?;
        Ok(Self {
            writer: Mutex::new(writer),
            head,
            asked: Mutex::new(0),
            passed,
        })
    }

    fn stdio(&self) -> Result<(Stdio, Stdio)> {
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = writer.try_clone().context("sharing the output pipe")?;
        let err = writer.try_clone().context("sharing the output pipe")?;
        Ok((Stdio::from(out), Stdio::from(err)))
    }

    /// Returns once everything written so far is in the log (or after [`SYNC_WAIT`]).
    fn sync(&self) {
        let deadline = Instant::now() + SYNC_WAIT;
        let mark = {
            let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
            *asked += 1;
            *asked
        };
        let mut bytes = self.head.clone();
        bytes.extend_from_slice(format!("{mark}").as_bytes());
        bytes.push(MARK);
        if !self.write_mark(&bytes, deadline) {
            return;
        }
        let (passed, moved) = &*self.passed;
        let mut state = passed.lock().unwrap_or_else(|p| p.into_inner());
        while state.mark < mark && !state.ended {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            state = match moved.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Writes the mark whole. A function may have made the pipe non-blocking (Node.js does):
    /// a full pipe is then tried again until `deadline`; a mark is shorter than the size a
    /// pipe writes at once, so it is never split.
    fn write_mark(&self, mark: &[u8], deadline: Instant) -> bool {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match writer.write(mark) {
                Ok(written) if written == mark.len() => return true,
                Ok(_) => return false,
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
    }
}

/// The reading end's thread.
struct Reader {
    head: Vec<u8>,
    log: FunctionLog,
    /// The log file, held open (none when it cannot be opened: the bus still tells).
    file: Option<File>,
    passed: Arc<(Mutex<Passed>, Condvar)>,
    /// The function's line not ended yet, for the bus.
    line: Vec<u8>,
    /// The file's last byte is not a line's end.
    mid_line: bool,
}

impl Reader {
    /// Until every writer is gone (the function's processes, and [`Piped`]).
    fn run(mut self, mut pipe: std::io::PipeReader) {
        let mut buffer = vec![0; 64 * 1024];
        let mut carried = Vec::new();
        loop {
            let read = match pipe.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            carried.extend_from_slice(&buffer[..read]);
            let (pieces, used) = take_marks(&carried, &self.head);
            carried.drain(..used);
            for piece in pieces {
                match piece {
                    Piece::Printed(bytes) => self.printed(&bytes),
                    Piece::Mark(mark) => {
                        self.end_line();
                        self.pass(|passed| passed.mark = passed.mark.max(mark));
                    }
                }
            }
        }
        // What was held back as the start of a mark can no longer be one.
        self.printed(&std::mem::take(&mut carried));
        self.end_line();
        self.pass(|passed| passed.ended = true);
    }

    /// Into the file as printed; on the bus, the lines it completes (one that never ends is
    /// handed on in pieces).
    fn printed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut lines = Vec::new();
        for piece in bytes.split_inclusive(|&byte| byte == b'\n') {
            self.line.extend_from_slice(piece);
            if piece.ends_with(b"\n") || self.line.len() > LONGEST_LINE {
                lines.push(cut(&std::mem::take(&mut self.line)));
            }
        }
        self.mid_line = !bytes.ends_with(b"\n");
        self.log.printed(self.file.as_mut(), bytes, &lines);
    }

    /// A line left unended ends here, in the file and on the bus.
    fn end_line(&mut self) {
        let last = match self.line.is_empty() {
            true => Vec::new(),
            false => vec![cut(&std::mem::take(&mut self.line))],
        };
        let end: &[u8] = if self.mid_line { b"\n" } else { b"" };
        self.mid_line = false;
        self.log.printed(self.file.as_mut(), end, &last);
    }

    fn pass(&self, change: impl FnOnce(&mut Passed)) {
        let (passed, moved) = &*self.passed;
        change(&mut passed.lock().unwrap_or_else(|p| p.into_inner()));
        moved.notify_all();
    }
}

/// What the pipe carried, in order: the function's bytes, and marks.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Printed(Vec<u8>),
    Mark(u64),
}

/// The pieces of `carried`, and how much of it they used: a mark cut by the end of a read
/// waits for the next.
fn take_marks(carried: &[u8], head: &[u8]) -> (Vec<Piece>, usize) {
    let mut pieces = Vec::new();
    let mut printed = Vec::with_capacity(carried.len());
    let mut at = 0;
    while at < carried.len() {
        let rest = &carried[at..];
        let start = rest
            .iter()
            .enumerate()
            .filter(|(_, &byte)| byte == MARK)
            .map(|(at, _)| at)
            .find(|&at| rest[at..].starts_with(head));
        let Some(start) = start else {
            // The end may be the start of a mark.
            let kept = (1..head.len().min(rest.len() + 1))
                .rev()
                .find(|&n| rest.ends_with(&head[..n]))
                .unwrap_or(0);
            printed.extend_from_slice(&rest[..rest.len() - kept]);
            at = carried.len() - kept;
            break;
        };
        printed.extend_from_slice(&rest[..start]);
        let number = &rest[start + head.len()..];
        match number.iter().position(|&byte| byte == MARK) {
            Some(end) => {
                if !printed.is_empty() {
                    pieces.push(Piece::Printed(std::mem::take(&mut printed)));
                }
                if let Some(mark) = std::str::from_utf8(&number[..end])
                    .ok()
                    .and_then(|n| n.parse().ok())
                {
                    pieces.push(Piece::Mark(mark));
                }
                at += start + head.len() + end + 1;
            }
            None if number.len() <= 20 => {
                at += start;
                break;
            }
            // Not a mark after all (a mark's number has 20 digits at most).
            None => {
                printed.extend_from_slice(head);
                at += start + head.len();
            }
        }
    }
    if !printed.is_empty() {
        pieces.push(Piece::Printed(printed));
    }
    (pieces, at)
}

#[cfg(test)]
mod tests;
