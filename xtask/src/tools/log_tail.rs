//! A local function's log file followed live by `logs --tail`, from another process than the
//! deployment's (which tells its own terminal on the local cloud's bus), as `aws logs tail
//! --follow` follows CloudWatch.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::lambda::function_log::{cut, LONGEST_LINE};
use crate::tools::terminal;

/// Prints every complete line of the file from its start, behind `name`, until `stop` is set.
/// What the function printed is shown, never obeyed ([`terminal::safe`]); a terminal gone
/// (its pipe closed) ends nothing but the printing.
pub fn follow(name: &str, path: &Path, stop: &AtomicBool) {
    tail(path, stop, |line| {
        let line = terminal::safe(line);
        let _ = writeln!(std::io::stdout().lock(), "{name} | {line}");
    });
}

/// Read per round at most: 100 MB printed at once is read a piece at a time.
const READ_PER_ROUND: u64 = 256 * 1024;

/// Hands every complete line of the file, from its start, to `line` until `stop` is set; a
/// file started anew is read from its start again.
pub fn tail(path: &Path, stop: &AtomicBool, mut line: impl FnMut(&str)) {
    // The position and the incomplete last line, as bytes: a read can end inside a
    // character, which is decoded once its line is complete.
    let (mut position, mut partial) = (0, Vec::new());
    while !stop.load(Ordering::Relaxed) {
        for text in read_lines(path, &mut position, &mut partial) {
            line(&text);
        }
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The lines added to the file since `position` (moved past them).
fn read_lines(path: &Path, position: &mut u64, partial: &mut Vec<u8>) -> Vec<String> {
    let mut lines = Vec::new();
    let Ok(mut file) = std::fs::File::open(path) else {
        return lines;
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    if length < *position {
        *position = 0; // the file was started anew
    }
    if length == *position || file.seek(SeekFrom::Start(*position)).is_err() {
        return lines;
    }
    let mut added = Vec::new();
    if (&mut file)
        .take(READ_PER_ROUND)
        .read_to_end(&mut added)
        .is_err()
    {
        return lines;
    }
    *position += added.len() as u64;
    partial.extend_from_slice(&added);
    let mut start = 0;
    while let Some(end) = partial[start..].iter().position(|&byte| byte == b'\n') {
        lines.push(cut(&partial[start..start + end]));
        start += end + 1;
    }
    partial.drain(..start);
    // Output that never ends its line is handed on in pieces, not kept forever.
    if partial.len() > LONGEST_LINE {
        lines.push(cut(&std::mem::take(partial)));
    }
    lines
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
        let (mut position, mut partial) = (0, Vec::new());
        let before = read_lines(&path, &mut position, &mut partial);
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("the log");
        file.write_all(b"\xa9 ok\n").expect("the second half");
        let after = read_lines(&path, &mut position, &mut partial);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!((before, after), (vec![], vec!["café ok".to_owned()]));
    }
}
