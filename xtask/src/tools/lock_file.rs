//! Locks held on a file, which the system lets go when their process ends, however it ends
//! (SIGKILL too): a running deployment's claim on its step, one install at a time.

use std::fs::{File, TryLockError};
use std::path::Path;

use anyhow::{Context, Result};

/// Held until dropped.
#[derive(Debug)]
pub struct Held {
    _file: File,
}

/// The lock of `path` (made if missing, with its folder), or None when another process or
/// another thread of this one holds it.
pub fn try_take(path: &Path) -> Result<Option<Held>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Held { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// The lock of `path`, once whoever holds it lets go.
pub fn take(path: &Path) -> Result<Held> {
    let file = open(path)?;
    file.lock()
        .with_context(|| format!("waiting for the lock {}", path.display()))?;
    Ok(Held { _file: file })
}

/// Whether something holds the lock of `path` now (false when there is no such file).
pub fn is_held(path: &Path) -> bool {
    let Ok(file) = File::options().write(true).open(path) else {
        return false;
    };
    matches!(file.try_lock(), Err(TryLockError::WouldBlock))
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}
