//! Files that must never be seen half written, even when xtask is killed mid-write.

use std::path::Path;

use anyhow::{Context, Result};

/// Writes `contents` to `path` through a temporary file beside it, renamed over it (a rename
/// within a directory is atomic, and replaces the old file on every system).
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = std::path::PathBuf::from(temporary);
    std::fs::write(&temporary, contents)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("replacing {} with {}", path.display(), temporary.display()))
}
