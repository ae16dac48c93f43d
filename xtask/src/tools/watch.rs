//! Saves in a step's directory, one [`Change`] per burst: an editor's save is several events
//! (write, rename, chmod), and a "save all" touches several files at once. Reads are no
//! change: xtask reads the files itself.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// Events closer together than this are one save.
const QUIET: Duration = Duration::from_millis(200);

/// What a burst of saves changed, in the files a step is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// serverless.yml.
    pub serverless_yml: bool,
    /// What the binary is built from: a file under src/, or Cargo.toml.
    pub code: bool,
    /// The changed files, relative to the step (`src/stream.rs`), for the learner.
    pub files: Vec<String>,
}

impl Change {
    /// The files of a step among `paths` (absolute, under `dir`); editors' swap and backup
    /// files, target/ and .serverless/ are not part of it.
    pub fn of(dir: &Path, paths: &[PathBuf]) -> Change {
        let mut change = Change::default();
        for path in paths {
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let text = relative.to_string_lossy().replace('\\', "/");
            let is_yml = text == "serverless.yml";
            // Anything under src/ (a fixture that `include_str!` reads, too), but not an
            // editor's swap, backup or probe file (`.stream.rs.swp`, `stream.rs~`, vim's 4913).
            let name = relative
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let scratch = name.starts_with('.') || name.ends_with('~') || name == "4913";
            let is_code = text == "Cargo.toml" || (text.starts_with("src/") && !scratch);
            if !(is_yml || is_code) {
                continue;
            }
            change.serverless_yml |= is_yml;
            change.code |= is_code;
            if !change.files.contains(&text) {
                change.files.push(text);
            }
        }
        change.files.sort();
        change
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[derive(Debug)]
pub struct StepWatcher {
    dir: PathBuf,
    events: Receiver<notify::Result<Event>>,
    _watcher: RecommendedWatcher,
}

impl StepWatcher {
    /// Watches `dir` and everything under it.
    pub fn new(dir: &Path) -> Result<Self> {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("opening {}", dir.display()))?;
        let (sender, events) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(sender).context("starting a file watcher")?;
        // The step's own files only: a copy's target/ or node_modules/ would take thousands
        // of the system's watches.
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching {} for changes", dir.display()))?;
        let src = dir.join("src");
        if src.is_dir() {
            watcher
                .watch(&src, RecursiveMode::Recursive)
                .with_context(|| format!("watching {} for changes", src.display()))?;
        }
        Ok(Self {
            dir,
            events,
            _watcher: watcher,
        })
    }

    /// The next change to the step's files, waiting at most `timeout` for it to begin; a
    /// change ends after [`QUIET`] without events.
    pub fn next(&self, timeout: Duration) -> Result<Option<Change>> {
        let mut paths = Vec::new();
        let mut wait = timeout;
        loop {
            let started = Instant::now();
            match self.events.recv_timeout(wait) {
                Ok(Ok(event)) => {
                    // Reading a file is no change (xtask reads serverless.yml and copies the
                    // sources itself): only writes, creations, renames and removals count.
                    let read = matches!(event.kind, EventKind::Access(kind)
                        if kind != AccessKind::Close(AccessMode::Write));
                    if !read {
                        let change = Change::of(&self.dir, &event.paths);
                        if !change.is_empty() {
                            paths.extend(event.paths);
                            wait = QUIET;
                            continue;
                        }
                    }
                    // An event that is no change does not restart the quiet time.
                    wait = wait.saturating_sub(started.elapsed());
                }
                Ok(Err(error)) => anyhow::bail!("watching {} failed: {error}", self.dir.display()),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the file watcher stopped"),
            }
        }
        let change = Change::of(&self.dir, &paths);
        Ok((!change.is_empty()).then_some(change))
    }

    /// Waits for the next change to the step's files.
    pub fn wait(&self) -> Result<Change> {
        loop {
            if let Some(change) = self.next(Duration::from_secs(3600))? {
                return Ok(change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_files_a_step_is_built_from_are_a_change() {
        let dir = Path::new("/w/6-streams");
        let paths: Vec<PathBuf> = [
            "src/stream.rs",
            "src/.stream.rs.swp",
            "src/stream.rs~",
            "src/4913",
            "src/fixtures/insert.json",
            "target/debug/x",
            ".serverless/cloudformation-template-update-stack.json",
            "README.md",
            "serverless.yml",
            "src/stream.rs",
        ]
        .iter()
        .map(|p| dir.join(p))
        .chain([PathBuf::from("/elsewhere/src/main.rs")])
        .collect();
        assert_eq!(
            Change::of(dir, &paths),
            Change {
                serverless_yml: true,
                code: true,
                files: vec![
                    "serverless.yml".into(),
                    "src/fixtures/insert.json".into(),
                    "src/stream.rs".into()
                ],
            }
        );
        assert!(Change::of(dir, &[dir.join("README.md")]).is_empty());
        let manifest = Change::of(dir, &[dir.join("Cargo.toml")]);
        assert!(manifest.code && !manifest.serverless_yml);
    }

    #[test]
    fn a_save_is_seen() {
        let dir = std::env::temp_dir().join(format!("xtask-watch-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let watcher = StepWatcher::new(&dir).unwrap();
        std::fs::write(dir.join("src/stream.rs"), "// saved").unwrap();
        let change = watcher.next(Duration::from_secs(5)).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(change.map(|c| c.files), Some(vec!["src/stream.rs".into()]));
    }
}
