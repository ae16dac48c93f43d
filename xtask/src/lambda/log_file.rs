//! The local functions' log files: appended to by the function and by xtask, followed live by
//! `deploy --local` and `logs --tail`.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Appends one line; a log that cannot be written is not worth stopping the service for.
pub fn append_line(path: &Path, line: &str) {
    if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(file, "{line}");
    }
}

/// Prints every complete line added to the files from their current ends (or from their
/// starts, with `from_start`), each behind its prefix, until `stop` is set.
pub fn follow(files: Vec<(String, PathBuf)>, from_start: bool, stop: Arc<AtomicBool>) {
    let width = files
        .iter()
        .map(|(prefix, _)| prefix.len())
        .max()
        .unwrap_or(0);
    let mut positions: Vec<u64> = files
        .iter()
        .map(|(_, path)| {
            if from_start {
                0
            } else {
                std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
            }
        })
        .collect();
    let mut partial: Vec<String> = vec![String::new(); files.len()];
    while !stop.load(Ordering::Relaxed) {
        for (index, (prefix, path)) in files.iter().enumerate() {
            let Ok(mut file) = std::fs::File::open(path) else {
                continue;
            };
            let length = file.metadata().map(|m| m.len()).unwrap_or(0);
            if length < positions[index] {
                positions[index] = 0; // the file was started anew
            }
            if length == positions[index] || file.seek(SeekFrom::Start(positions[index])).is_err() {
                continue;
            }
            let mut added = Vec::new();
            if file.read_to_end(&mut added).is_err() {
                continue;
            }
            positions[index] += added.len() as u64;
            partial[index].push_str(&String::from_utf8_lossy(&added));
            while let Some(end) = partial[index].find('\n') {
                let line: String = partial[index].drain(..=end).collect();
                println!("{prefix:>width$} | {}", line.trim_end());
            }
        }
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_millis(50));
    }
}
