//! The local functions' log files, followed live by `deploy --local` and `logs --tail` (the
//! local cloud appends to them: `lambda::log_file`).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::tools::terminal;

/// The logs to follow, by name; a local deployment adds a function's log when serverless.yml
/// gains one.
pub type Logs = Arc<Mutex<Vec<(String, PathBuf)>>>;

/// Prints every complete line added to the files from their current ends (or from their
/// starts, with `from_start`), each behind its prefix, until `stop` is set.
pub fn follow(files: Vec<(String, PathBuf)>, from_start: bool, stop: Arc<AtomicBool>) {
    follow_list(&Arc::new(Mutex::new(files)), from_start, &stop);
}

/// [`follow`] for a list that may grow. What the functions print is shown, never obeyed
/// ([`terminal::safe`]); a terminal gone (its pipe closed) ends nothing but the printing.
pub fn follow_list(logs: &Logs, from_start: bool, stop: &AtomicBool) {
    tail(logs, from_start, stop, |prefix, width, line| {
        let line = terminal::safe(line);
        let _ = writeln!(std::io::stdout().lock(), "{prefix:>width$} | {line}");
    });
}

/// A longer line is cut to this for the terminal: the file keeps it whole.
const LONGEST_LINE: usize = 16 * 1024;
/// Read from one log per round at most: a function that floods its log costs its own lines'
/// delay, never the others' (nor memory: 100 MB printed at once is read a piece at a time).
const READ_PER_ROUND: u64 = 256 * 1024;

/// Hands every complete line added to the logs (from their current ends, or from their
/// starts with `from_start`) to `line`, with the log's name and the longest name's length,
/// until `stop` is set. A log listed later is read from its start.
pub fn tail(
    logs: &Logs,
    from_start: bool,
    stop: &AtomicBool,
    mut line: impl FnMut(&str, usize, &str),
) {
    // Each log's position and its incomplete last line, as bytes: a read can end inside a
    // character, which is decoded once its line is complete.
    let mut read: HashMap<PathBuf, (u64, Vec<u8>)> = HashMap::new();
    let mut first_round = true;
    while !stop.load(Ordering::Relaxed) {
        let files = match logs.lock() {
            Ok(files) => files.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let width = files.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, path) in &files {
            let (position, partial) = read.entry(path.clone()).or_insert_with(|| {
                let start = match from_start || !first_round {
                    true => 0,
                    false => std::fs::metadata(path).map_or(0, |m| m.len()),
                };
                (start, Vec::new())
            });
            let Ok(mut file) = std::fs::File::open(path) else {
                continue;
            };
            let length = file.metadata().map(|m| m.len()).unwrap_or(0);
            if length < *position {
                *position = 0; // the file was started anew
            }
            if length == *position || file.seek(SeekFrom::Start(*position)).is_err() {
                continue;
            }
            let mut added = Vec::new();
            if (&mut file)
                .take(READ_PER_ROUND)
                .read_to_end(&mut added)
                .is_err()
            {
                continue;
            }
            *position += added.len() as u64;
            partial.extend_from_slice(&added);
            let mut start = 0;
            while let Some(end) = partial[start..].iter().position(|&byte| byte == b'\n') {
                let text = &partial[start..start + end];
                line(name, width, &cut(text));
                start += end + 1;
            }
            partial.drain(..start);
            // Output that never ends its line is handed on in pieces, not kept forever.
            if partial.len() > LONGEST_LINE {
                line(name, width, &cut(&std::mem::take(partial)));
            }
        }
        first_round = false;
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A line as text (what is not UTF-8 replaced), cut to [`LONGEST_LINE`] with what was left.
fn cut(line: &[u8]) -> String {
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
    use std::fs::OpenOptions;

    #[test]
    fn a_character_split_between_two_reads_is_kept_whole() {
        let dir = std::env::temp_dir().join(format!("xtask-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let path = dir.join("stream.log");
        std::fs::write(&path, b"caf\xc3").expect("the first half");
        let logs: Logs = Arc::new(Mutex::new(vec![("stream".to_owned(), path.clone())]));
        let stop = Arc::new(AtomicBool::new(false));
        let (lines, received) = std::sync::mpsc::channel();
        let tailing = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                tail(&logs, true, &stop, |_, _, line| {
                    let _ = lines.send(line.to_owned());
                })
            })
        };
        // Several of tail's rounds see the file end inside the character.
        std::thread::sleep(Duration::from_millis(200));
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("the log");
        file.write_all(b"\xa9 ok\n").expect("the second half");
        let line = received.recv_timeout(Duration::from_secs(5));
        stop.store(true, Ordering::Relaxed);
        let _ = tailing.join();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(line.as_deref(), Ok("café ok"));
    }
}
