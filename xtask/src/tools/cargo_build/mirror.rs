//! A step crate's mirror under `target/xtask/check-dirs/`: what cargo builds, so that a
//! build never writes into the learner's step directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::project;
use crate::tools::files::{read_step_file, step_entry, StepEntry};

/// `target/xtask/check-dirs/<the directory's path, flattened>`.
pub(super) fn mirror_dir(dir: &Path) -> PathBuf {
    let flat: String = dir
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    project::xtask_dir()
        .join("check-dirs")
        .join(flat.trim_start_matches('_'))
}

/// Copies the crate's files (not target/, .git, node_modules) to its mirror; a file whose
/// bytes are unchanged keeps its time, so cargo rebuilds only what changed.
pub(super) fn mirror(dir: &Path) -> Result<()> {
    let to = mirror_dir(dir);
    copy_changed(dir, &to).with_context(|| format!("copying {} to {}", dir.display(), to.display()))
}

fn copy_changed(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if [".git", "target", "node_modules", ".serverless"].contains(&&*name.to_string_lossy()) {
            continue;
        }
        let (source, copy) = (entry.path(), to.join(&name));
        // Regular files and directories only, never through a link (`src/up -> /`), nor a
        // pipe or a device (`src/x -> /dev/zero`); a file too large for a step is left out.
        match step_entry(&entry) {
            StepEntry::Dir => copy_changed(&source, &copy)?,
            StepEntry::File => {
                if let Some(bytes) = read_step_file(&source) {
                    if std::fs::read(&copy).ok().as_ref() != Some(&bytes) {
                        std::fs::write(&copy, &bytes)?;
                    }
                }
            }
            StepEntry::Other => {}
        }
    }
    // What the learner deleted goes from the mirror too (cargo's own Cargo.lock stays).
    for entry in std::fs::read_dir(to)? {
        let entry = entry?;
        let name = entry.file_name();
        if from.join(&name).exists() || name == "Cargo.lock" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
