//! The local functions' log files: appended to by the function (its output) and by the local
//! cloud (its `[xtask]` lines about the stream); xtask follows them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Appends one line; a log that cannot be written is not worth stopping the service for.
/// Whether it was written (a full disk, say, takes none).
pub fn append_line(path: &Path, line: &str) -> bool {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{line}"))
        .is_ok()
}
