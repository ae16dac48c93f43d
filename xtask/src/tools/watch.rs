//! Saves in a step's directory, one [`Change`] per burst: an editor's save is several events
//! (write, rename, chmod), and a "save all" touches several files at once. Only the files a
//! step is made of count, and only when their content changed: reads, editors' and tools'
//! scratch files, and a save that changes nothing are no change.
//!
//! Some file systems send no events (WSL 2 on a Windows drive, network and container mounts):
//! `--poll` watches by reading the files; without it, the files are still compared every few
//! seconds, and a change no event announced is reported as such, so the learner can be told.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecursiveMode, Watcher};

use crate::tools::files::{read_step_file, step_entry, StepEntry};

/// Events closer together than this are one save.
const QUIET: Duration = Duration::from_millis(200);
/// How often the files are compared when no event came (a file system that sends none).
const COMPARE_EVERY: Duration = Duration::from_secs(2);
/// How often `--poll` reads the files.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// What a burst of saves changed, in the files a step is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// serverless.yml.
    pub serverless_yml: bool,
    /// What the binary is built from: a file under src/, or Cargo.toml.
    pub code: bool,
    /// The changed files, relative to the step (`src/stream.rs`), for the learner.
    pub files: Vec<String>,
    /// Found by comparing the files, with no event from the file system: saves may be seen
    /// late here, and `--poll` would see them at once.
    pub unannounced: bool,
}

/// Whether a path under the step (`src/stream.rs`) is one of the files it is made of:
/// serverless.yml, Cargo.toml, and under src/ the Rust sources and their JSON fixtures (which
/// `include_str!` reads). Not editors' swap, backup, lock and probe files (`.stream.rs.swp`,
/// `stream.rs~`, `.#stream.rs`, `#stream.rs#`, vim's `4913`), nor `sed -i`'s `sedXXXXXX`.
pub fn is_step_file(relative: &str) -> bool {
    let relative = relative.replace('\\', "/");
    if relative == "serverless.yml" || relative == "Cargo.toml" {
        return true;
    }
    let Some(inside) = relative.strip_prefix("src/") else {
        return false;
    };
    let name = inside.rsplit('/').next().unwrap_or_default();
    let scratch = name.starts_with('.') || name.starts_with('#') || name.ends_with('~');
    let source = [".rs", ".json", ".yml", ".yaml", ".toml"]
        .iter()
        .any(|extension| name.ends_with(extension));
    source && !scratch
}

impl Change {
    fn of(files: Vec<String>, unannounced: bool) -> Change {
        let mut change = Change {
            unannounced,
            ..Change::default()
        };
        for file in files {
            change.serverless_yml |= file == "serverless.yml";
            change.code |= file != "serverless.yml";
            if !change.files.contains(&file) {
                change.files.push(file);
            }
        }
        change.files.sort();
        change
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The step's files and a hash of each one's content.
type Fingerprints = BTreeMap<String, u64>;

fn fingerprints(dir: &Path) -> Fingerprints {
    let mut found = Fingerprints::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(relative) = relative(dir, &path) else {
                continue;
            };
            // Links, pipes and devices are not the step's files: never entered nor read.
            match step_entry(&entry) {
                // The step's own files only: never its target/ or node_modules/.
                StepEntry::Dir if relative == "src" || relative.starts_with("src/") => {
                    stack.push(path)
                }
                StepEntry::File if is_step_file(&relative) => {
                    if let Some(bytes) = read_step_file(&path) {
                        found.insert(relative, content_hash(&bytes));
                    }
                }
                _ => {}
            }
        }
    }
    found
}

fn relative(dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(dir).ok()?;
    Some(relative.to_string_lossy().replace('\\', "/"))
}

fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

#[derive(Debug)]
pub struct StepWatcher {
    dir: PathBuf,
    events: Receiver<notify::Result<Event>>,
    _watcher: SomeWatcher,
    /// The files as they were at the last change.
    known: Fingerprints,
    last_compared: Instant,
    polling: bool,
}

/// The system's change events, or reading the files (`--poll`).
#[derive(Debug)]
enum SomeWatcher {
    Events(notify::RecommendedWatcher),
    Polling(notify::PollWatcher),
}

impl SomeWatcher {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            SomeWatcher::Events(watcher) => watcher.watch(path, mode),
            SomeWatcher::Polling(watcher) => watcher.watch(path, mode),
        }
    }
}

impl StepWatcher {
    /// Watches `dir` (its serverless.yml, Cargo.toml and src/); `poll`: by reading the files
    /// every half second instead of by the system's change events.
    pub fn new(dir: &Path, poll: bool) -> Result<Self> {
        let dir = dunce::canonicalize(dir).with_context(|| format!("opening {}", dir.display()))?;
        let (sender, events) = mpsc::channel();
        // Never through a link (`src/up -> /` would watch the whole disk; the poller then
        // hashes regular files only, never a pipe or a device behind a link).
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut watcher = match poll {
            true => SomeWatcher::Polling(
                notify::PollWatcher::new(
                    sender,
                    // Contents too: its times are in whole seconds, a save within one unseen.
                    config
                        .with_poll_interval(POLL_EVERY)
                        .with_compare_contents(true),
                )
                .context("starting a file watcher that polls")?,
            ),
            false => SomeWatcher::Events(
                notify::RecommendedWatcher::new(sender, config)
                    .context("starting a file watcher")?,
            ),
        };
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
        let known = fingerprints(&dir);
        Ok(Self {
            dir,
            events,
            _watcher: watcher,
            known,
            last_compared: Instant::now(),
            polling: poll,
        })
    }

    /// The files whose content differs from what was known, now known.
    fn changed_files(&mut self) -> Vec<String> {
        let now = fingerprints(&self.dir);
        let changed = now
            .iter()
            .filter(|(file, hash)| self.known.get(*file) != Some(hash))
            .map(|(file, _)| file.clone())
            .chain(
                self.known
                    .keys()
                    .filter(|file| !now.contains_key(*file))
                    .cloned(),
            )
            .collect();
        self.known = now;
        self.last_compared = Instant::now();
        changed
    }

    /// The next change to the step's files, waiting at most `timeout` for it to begin; a
    /// change ends after [`QUIET`] without events.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<Change>> {
        let mut announced = false;
        let mut wait = timeout;
        loop {
            let started = Instant::now();
            match self.events.recv_timeout(wait) {
                Ok(Ok(event)) => {
                    // Reading a file is no change (xtask reads serverless.yml and copies the
                    // sources itself): only writes, creations, renames and removals count.
                    let read = matches!(event.kind, EventKind::Access(kind)
                        if kind != AccessKind::Close(AccessMode::Write));
                    let ours = event.paths.iter().any(|path| {
                        relative(&self.dir, path).is_some_and(|file| is_step_file(&file))
                    });
                    if !read && ours {
                        announced = true;
                        wait = QUIET;
                        continue;
                    }
                    // An event that is no change does not restart the quiet time.
                    wait = wait.saturating_sub(started.elapsed());
                }
                Ok(Err(error)) => anyhow::bail!("watching {} failed: {error}", self.dir.display()),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the file watcher stopped"),
            }
        }
        // Without an event, the files are compared now and then: a file system that sends
        // none (or loses some) still has its saves seen.
        let compare = announced || (!self.polling && self.last_compared.elapsed() >= COMPARE_EVERY);
        if !compare {
            return Ok(None);
        }
        let change = Change::of(self.changed_files(), !announced);
        Ok((!change.is_empty()).then_some(change))
    }

    /// Waits for the next change to the step's files.
    pub fn wait(&mut self) -> Result<Change> {
        loop {
            if let Some(change) = self.next(COMPARE_EVERY)? {
                return Ok(change);
            }
        }
    }
}

/// What to tell a learner whose saves the file system did not announce.
pub const NO_EVENTS_HINT: &str = "the file system sent no change event for this save (WSL 2 \
     on a Windows drive, a network or container mount?): saves may be seen seconds late; \
     `--poll` watches by reading the files instead";

#[cfg(test)]
mod tests;
