//! A step crate's mirror under `target/xtask/check-dirs/`: what cargo builds, so that a
//! build never writes into the learner's step directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::manifest::for_copy;
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
/// bytes are unchanged keeps its time, so cargo rebuilds only what changed. Its Cargo.toml
/// becomes one that cargo builds outside the workspace ([`for_copy`]).
pub(super) fn mirror(dir: &Path) -> Result<()> {
    let to = mirror_dir(dir);
    copy_changed(dir, &to, true)
        .with_context(|| format!("copying {} to {}", dir.display(), to.display()))?;
    let Some(manifest) = read_step_file(&dir.join("Cargo.toml")) else {
        // cargo says what is missing.
        return Ok(());
    };
    let manifest = String::from_utf8(manifest)
        .with_context(|| format!("reading {}", dir.join("Cargo.toml").display()))?;
    let manifest = for_copy(&manifest)
        .with_context(|| format!("reading {}", dir.join("Cargo.toml").display()))?;
    write_changed(&to.join("Cargo.toml"), manifest.as_bytes())?;
    if !dir.join("Cargo.lock").exists() {
        workspace_lock(&to)?;
    }
    Ok(())
}

/// The workspace's Cargo.lock in the mirror of a copy that has none: its versions, so that
/// the workspace's builds serve the copy and no registry is asked. Copied again when the
/// workspace's changes (a pulled update of the workshop); cargo adds the copy's own
/// dependencies to it.
fn workspace_lock(to: &Path) -> Result<()> {
    let workspace = std::fs::read(project::root().join("Cargo.lock"))
        .context("reading the workspace's Cargo.lock")?;
    // Beside the mirror: everything in it that the copy has not is deleted.
    let stamp = to.with_extension("workspace-lock");
    let lock = to.join("Cargo.lock");
    if !lock.exists() || std::fs::read(&stamp).ok().as_ref() != Some(&workspace) {
        std::fs::write(&lock, &workspace)
            .and_then(|()| std::fs::write(&stamp, &workspace))
            .with_context(|| format!("copying the workspace's Cargo.lock to {}", lock.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` unless it holds them already (its time then stays).
fn write_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes)?;
    }
    Ok(())
}

/// `top`: the crate's own directory, whose Cargo.toml [`mirror`] writes.
fn copy_changed(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if [".git", "target", "node_modules", ".serverless"].contains(&&*name.to_string_lossy())
            || (top && name == "Cargo.toml")
        {
            continue;
        }
        let (source, copy) = (entry.path(), to.join(&name));
        // Regular files and directories only, never through a link (`src/up -> /`), nor a
        // pipe or a device (`src/x -> /dev/zero`); a file too large for a step is left out.
        match step_entry(&entry) {
            StepEntry::Dir => copy_changed(&source, &copy, false)?,
            StepEntry::File => {
                if let Some(bytes) = read_step_file(&source) {
                    write_changed(&copy, &bytes)?;
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
