//! A local function's log, as CloudWatch Logs keeps one: a file that holds what the function
//! printed (its stdout and stderr, byte for byte) and the local cloud's own `[xtask]` lines
//! about it, in the order they reach it; each line is also published on the [`Bus`] once.
//! `cargo xtask logs` and `check` read the file; the terminal and the console hear the bus.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bus::{BatchDelivered, Bus, Event};

/// A longer line is cut to this on the bus: the file keeps it whole.
pub const LONGEST_LINE: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionLog {
    function: String,
    path: PathBuf,
    /// Where its lines are told; none when nobody watches (`check`, `failures`, the bench).
    bus: Option<Arc<Bus>>,
}

impl FunctionLog {
    pub fn new(function: &str, path: PathBuf, bus: Option<Arc<Bus>>) -> Self {
        Self {
            function: function.to_owned(),
            path,
            bus,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn function(&self) -> &str {
        &self.function
    }

    /// The bus its lines are told on, if any.
    pub fn bus(&self) -> Option<&Arc<Bus>> {
        self.bus.as_ref()
    }

    /// Its last `count` lines (what is not UTF-8 replaced), to say why an invocation failed:
    /// read from the file's end, never the whole file, which a function printing for a whole
    /// session makes hundreds of MB long.
    pub fn last_lines(&self, count: usize) -> String {
        let Ok(mut file) = File::open(&self.path) else {
            return String::new();
        };
        let length = file.metadata().map_or(0, |metadata| metadata.len());
        // One byte more than the window, before it: if that is a line's end, the window
        // begins with a whole line.
        let window = (count * LONGEST_LINE) as u64 + 1;
        let start = length.saturating_sub(window);
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(start)).is_err()
            || file.take(window).read_to_end(&mut bytes).is_err()
        {
            return String::new();
        }
        // Begun mid-line: that line's start is not in the window, so it goes.
        if start > 0 {
            if let Some(end) = bytes.iter().position(|&byte| byte == b'\n') {
                bytes.drain(..=end);
            }
        }
        crate::tools::process::last_lines(&String::from_utf8_lossy(&bytes), count)
    }

    /// The local cloud's line about the function (`[xtask] ` is put before it).
    pub fn note(&self, line: &str) {
        self.line(&format!("[xtask] {line}"));
    }

    /// A line of the log as Lambda itself writes it (`Task timed out after 3.00 seconds`).
    pub fn line(&self, line: &str) {
        self.append(format!("{line}\n").as_bytes());
        self.tell(&Event::Log {
            function: &self.function,
            line,
        });
    }

    /// A batch's story: its line in the file, the batch itself on the bus.
    pub fn batch(&self, batch: &BatchDelivered<'_>) {
        self.append(format!("[xtask] {}\n", batch.line).as_bytes());
        self.tell(&Event::Batch(batch));
    }

    /// What the function printed, as it printed it: into the file whole (complete lines or
    /// not; through `file` when the reader holds it open), onto the bus as the `lines` it
    /// completes.
    pub(crate) fn printed(&self, file: Option<&mut File>, bytes: &[u8], lines: &[String]) {
        match file {
            Some(file) if !bytes.is_empty() => {
                let _ = file.write_all(bytes);
            }
            _ => self.append(bytes),
        }
        for line in lines {
            self.tell(&Event::Log {
                function: &self.function,
                line,
            });
        }
    }

    /// The file, opened to append to (none if it cannot be).
    pub(crate) fn open(&self) -> Option<File> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .ok()
    }

    pub fn tell(&self, event: &Event<'_>) {
        if let Some(bus) = &self.bus {
            bus.publish(event);
        }
    }

    /// Appends in one write, so a line is not split by another writer's. A log that cannot
    /// be written (a full disk) is not worth stopping the service for: the bus still tells.
    fn append(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(mut file) = self.open() {
            let _ = file.write_all(bytes);
        }
    }
}

/// `line` as text (what is not UTF-8 replaced, the line's end trimmed), cut to
/// [`LONGEST_LINE`] saying how much more the file has.
pub fn cut(line: &[u8]) -> String {
    let shown = &line[..line.len().min(LONGEST_LINE)];
    let mut text = String::from_utf8_lossy(shown).trim_end().to_owned();
    if line.len() > LONGEST_LINE {
        text.push_str(&format!(
            " ... ({} bytes more in the log file)",
            line.len() - LONGEST_LINE
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::bus::Heard;
    use crate::lambda::event_source::delivery::{Answer, Next, Settled};

    #[test]
    fn the_last_lines_come_from_the_end_of_a_long_log() {
        let dir = std::env::temp_dir().join(format!("local-cloud-end-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stream.log");
        let log = FunctionLog::new("stream", path.clone(), None);
        assert_eq!(log.last_lines(3), "", "no file yet");
        // 8 MB of lines, then one longer than 4 lines' window, then three short ones.
        let mut text = format!("{}\n", "x".repeat(1023)).repeat(8 * 1024);
        text.push_str(&format!("{}\n", "y".repeat(5 * LONGEST_LINE)));
        text.push_str("one\ntwo\nthree\n");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(log.last_lines(3), "one\ntwo\nthree");
        // The window begins inside the long line: it is left out rather than shown cut.
        assert_eq!(log.last_lines(4), "one\ntwo\nthree");
        // A window that begins right after a line's end keeps its first line.
        let lines = format!("{}\n", "z".repeat(LONGEST_LINE - 1)).repeat(3);
        std::fs::write(&path, format!("before\n{lines}")).unwrap();
        assert_eq!(log.last_lines(3), lines.trim_end());
        std::fs::write(&path, "short\nlog").unwrap();
        assert_eq!(log.last_lines(20), "short\nlog");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn each_line_is_told_once_and_kept_in_the_file() {
        let dir = std::env::temp_dir().join(format!("local-cloud-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stream.log");
        let (bus, heard) = (Bus::new(), Arc::new(Heard::default()));
        bus.subscribe(heard.clone());
        let log = FunctionLog::new("stream", path.clone(), Some(bus));
        log.printed(None, b"INFO one\nhalf", &["INFO one".to_owned()]);
        log.note("the function had stopped");
        let settled = Settled {
            batch: vec!["1".to_owned()],
            attempt: 1,
            answer: Answer::Ok,
            next: Next::Done,
        };
        log.batch(&BatchDelivered {
            function: "stream",
            records: &[],
            reported: &[],
            error: None,
            settled: &settled,
            line: "batch of 1 record, attempt 1: ok -> done",
            kept_in: None,
            request_id: None,
            ms: 1,
        });
        let file = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            file,
            "INFO one\nhalf[xtask] the function had stopped\n\
             [xtask] batch of 1 record, attempt 1: ok -> done\n"
        );
        // The batch's story comes as the batch, not as a log line too.
        assert_eq!(
            *heard.0.lock().unwrap(),
            [
                "log stream: INFO one",
                "log stream: [xtask] the function had stopped",
                "batch batch of 1 record, attempt 1: ok -> done"
            ]
        );
    }
}
