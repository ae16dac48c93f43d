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

/// A name from serverless.yml or a state file as a file name that is only a name: AWS's own
/// characters for names (letters, digits, `-`, `_`) stay; anything else (`/`, `..`, `:`,
/// which Windows refuses) is written `%XX`. A valid name is its own file name; no name can
/// reach outside the directory it is joined to. Windows' device names (`CON`, `NUL`, `COM1`...),
/// valid queue or topic names, get their first letter written `%XX` too.
pub fn safe_file_name(name: &str) -> String {
    if name.is_empty() {
        return "%".to_owned();
    }
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.ends_with(|c: char| c.is_ascii_digit()));
    let mut safe = String::with_capacity(name.len() + 2);
    for (index, byte) in name.bytes().enumerate() {
        if (byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_') && !(device && index == 0)
        {
            safe.push(char::from(byte));
        } else {
            safe.push_str(&format!("%{byte:02X}"));
        }
    }
    safe
}

/// What a directory entry of a step is, its links not followed: a step is made of regular
/// files and directories; a link (`src/up -> /`, `src/x -> /dev/zero`), a pipe or a device is
/// neither, and is never read nor entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEntry {
    Dir,
    File,
    Other,
}

pub fn step_entry(entry: &std::fs::DirEntry) -> StepEntry {
    match entry.file_type() {
        Ok(kind) if kind.is_dir() => StepEntry::Dir,
        Ok(kind) if kind.is_file() => StepEntry::File,
        _ => StepEntry::Other,
    }
}

/// The largest file of a step that is read: sources and fixtures are a few KB.
pub const MAX_STEP_FILE: u64 = 4 * 1024 * 1024;

/// A regular file's bytes (not through a link), if it has at most [`MAX_STEP_FILE`].
pub fn read_step_file(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_STEP_FILE {
        return None;
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).ok()?, MAX_STEP_FILE + 1),
        &mut bytes,
    )
    .ok()?;
    (bytes.len() as u64 <= MAX_STEP_FILE).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn a_name_is_never_a_path() {
        assert_eq!(safe_file_name("stream"), "stream");
        // Valid queue names Windows cannot make folders of.
        assert_eq!(safe_file_name("CON"), "%43ON");
        assert_eq!(safe_file_name("com1"), "%63om1");
        assert_eq!(safe_file_name("Console"), "Console");
        assert_eq!(safe_file_name("put-User_2"), "put-User_2");
        for hostile in [
            "../../../../tmp/x",
            "/tmp/precious",
            "..",
            "C:x",
            "a\\b",
            "",
        ] {
            let safe = safe_file_name(hostile);
            assert!(
                !safe.contains(['/', '\\', ':']) && safe != "." && safe != "..",
                "{safe}"
            );
            assert_eq!(
                std::path::Path::new(&safe).components().count(),
                1,
                "{safe}"
            );
        }
    }
}
