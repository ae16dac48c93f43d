//! One install at a time: tests run in parallel threads, and a learner may start two
//! commands at once; two `python -m venv` or `npm ci` into one directory break each other.
//! The lock is a file the system lets go when its process ends, however it ends.

use anyhow::Result;

use crate::project;
use crate::tools::lock_file::{self, Held};

/// Waits until no other thread or process installs `name`, saying so when it must wait.
pub fn hold(name: &str, what: &str) -> Result<Held> {
    let path = project::xtask_dir().join(format!("installing-{name}.lock"));
    if let Some(held) = lock_file::try_take(&path)? {
        return Ok(held);
    }
    eprintln!("waiting for another xtask to finish installing {what}");
    lock_file::take(&path)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_second_install_waits_for_the_first() {
        let name = format!("test-{}", std::process::id());
        let first = super::hold(&name, "a test").unwrap();
        let first_done = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&first_done);
        let file = crate::project::xtask_dir().join(format!("installing-{name}.lock"));
        let second = std::thread::spawn(move || {
            let _second = super::hold(&name, "a test").unwrap();
            seen.load(Ordering::SeqCst)
        });
        std::thread::sleep(Duration::from_millis(300));
        first_done.store(true, Ordering::SeqCst);
        drop(first);
        assert!(
            second.join().unwrap(),
            "the second install went on while the first held the lock"
        );
        let _ = std::fs::remove_file(file);
    }
}
