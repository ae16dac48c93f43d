//! A function's output: its stdout and stderr share one pipe, which one thread reads into the
//! function's [`FunctionLog`] (the file, and the bus line by line), as Lambda sends a
//! function's output to CloudWatch Logs.
//!
//! [`Output::sync`] makes "the function printed it before it answered" mean "it is in the
//! log": the pipe keeps order, so a mark written into it after the answer comes out after
//! everything the function printed before; once the reader has passed the mark, the log has
//! it all. The mark carries a nonce the function cannot know, and never reaches the log.

use std::io::{PipeWriter, Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::lambda::function_log::{cut, FunctionLog, LONGEST_LINE};

/// A mark's end; its start is this byte and the nonce.
const MARK: u8 = 0x1e;
/// How long [`Output::sync`] waits for the reader: it reads as fast as the disk takes it.
const SYNC_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Output {
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

impl Output {
    /// The pipe, and its reader into `log`.
    pub fn start(log: FunctionLog) -> Result<Self> {
        let (reader, writer) =
            std::io::pipe().context("making a pipe for the function's output")?;
        let head = format!("{}{} ", MARK as char, uuid::Uuid::new_v4().simple()).into_bytes();
        let passed = Arc::new((Mutex::new(Passed::default()), Condvar::new()));
        let reading = Reader {
            head: head.clone(),
            log,
            passed: Arc::clone(&passed),
            line: Vec::new(),
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

    /// Its stdout and stderr, for one more process.
    pub fn stdio(&self) -> Result<(Stdio, Stdio)> {
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = writer.try_clone().context("sharing the output pipe")?;
        let err = writer.try_clone().context("sharing the output pipe")?;
        Ok((Stdio::from(out), Stdio::from(err)))
    }

    /// Returns once everything printed so far is in the log (or after [`SYNC_WAIT`]).
    pub fn sync(&self) {
        let mark = {
            let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
            *asked += 1;
            *asked
        };
        let mut bytes = self.head.clone();
        bytes.extend_from_slice(format!("{mark}").as_bytes());
        bytes.push(MARK);
        {
            let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            if writer.write_all(&bytes).is_err() {
                return;
            }
        }
        let (passed, moved) = &*self.passed;
        let deadline = Instant::now() + SYNC_WAIT;
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
}

/// The reading end's thread.
struct Reader {
    head: Vec<u8>,
    log: FunctionLog,
    passed: Arc<(Mutex<Passed>, Condvar)>,
    /// The function's line not ended yet.
    line: Vec<u8>,
}

impl Reader {
    /// Until every writer is gone (the function's processes, and [`Output`]).
    fn run(mut self, mut pipe: std::io::PipeReader) {
        let mut buffer = vec![0; 64 * 1024];
        let mut carried = Vec::new();
        loop {
            let read = match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            carried.extend_from_slice(&buffer[..read]);
            let (printed, mark, used) = take_marks(&carried, &self.head);
            carried.drain(..used);
            // Lines only for a bus to tell (`check` and the bench have none).
            let lines = match self.log.bus() {
                Some(_) => self.lines(&printed),
                None => Vec::new(),
            };
            self.log.printed(&printed, &lines);
            if let Some(mark) = mark {
                self.pass(|passed| passed.mark = passed.mark.max(mark));
            }
        }
        if !self.line.is_empty() {
            let last = cut(&std::mem::take(&mut self.line));
            self.log.printed(&[], &[last]);
        }
        self.pass(|passed| passed.ended = true);
    }

    /// The lines `printed` completes; one that never ends is handed on in pieces.
    fn lines(&mut self, printed: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for piece in printed.split_inclusive(|&byte| byte == b'\n') {
            self.line.extend_from_slice(piece);
            if piece.ends_with(b"\n") || self.line.len() > LONGEST_LINE {
                lines.push(cut(&std::mem::take(&mut self.line)));
            }
        }
        lines
    }

    fn pass(&self, change: impl FnOnce(&mut Passed)) {
        let (passed, moved) = &*self.passed;
        change(&mut passed.lock().unwrap_or_else(|p| p.into_inner()));
        moved.notify_all();
    }
}

/// The function's own bytes in `carried` with the marks taken out, the last mark passed, and
/// how much of `carried` that used: a mark cut by the end of a read waits for the next.
fn take_marks(carried: &[u8], head: &[u8]) -> (Vec<u8>, Option<u64>, usize) {
    let mut printed = Vec::with_capacity(carried.len());
    let mut mark = None;
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
            return (printed, mark, carried.len() - kept);
        };
        printed.extend_from_slice(&rest[..start]);
        let number = &rest[start + head.len()..];
        match number.iter().position(|&byte| byte == MARK) {
            Some(end) => {
                mark = std::str::from_utf8(&number[..end])
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .or(mark);
                at += start + head.len() + end + 1;
            }
            None if number.len() <= 20 => return (printed, mark, at + start),
            // Not a mark after all (a mark's number has 20 digits at most).
            None => {
                printed.extend_from_slice(head);
                at += start + head.len();
            }
        }
    }
    (printed, mark, carried.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"\x1eabc ";

    #[test]
    fn marks_leave_the_output_as_printed() {
        let (printed, mark, used) = take_marks(b"one\ntw\x1eabc 7\x1eo\n", HEAD);
        assert_eq!(
            (printed.as_slice(), mark, used),
            (&b"one\ntwo\n"[..], Some(7), 15)
        );
    }

    #[test]
    fn a_mark_cut_by_a_read_waits_for_the_rest() {
        let (printed, mark, used) = take_marks(b"line\n\x1eab", HEAD);
        assert_eq!((printed.as_slice(), mark, used), (&b"line\n"[..], None, 5));
        let (printed, mark, used) = take_marks(b"x\x1eabc 12", HEAD);
        assert_eq!((printed.as_slice(), mark, used), (&b"x"[..], None, 1));
    }

    #[test]
    fn what_only_looks_like_a_mark_is_output() {
        let text = b"\x1eab\x1e and \x1eabc 123456789012345678901234567890\n";
        let (printed, mark, used) = take_marks(text, HEAD);
        assert_eq!(
            (printed.as_slice(), mark, used),
            (&text[..], None, text.len())
        );
    }

    #[test]
    fn everything_printed_before_a_sync_is_in_the_log_after_it() {
        let dir = std::env::temp_dir().join(format!("local-cloud-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.log");
        let output = Output::start(FunctionLog::new("f", path.clone(), None)).unwrap();
        let mut out = output.writer.lock().unwrap().try_clone().unwrap();
        for n in 0..1000 {
            writeln!(out, "line {n}").unwrap();
        }
        write!(out, "no end").unwrap();
        output.sync();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            text.starts_with("line 0\n") && text.ends_with("line 999\nno end"),
            "{text:?}"
        );
    }
}
