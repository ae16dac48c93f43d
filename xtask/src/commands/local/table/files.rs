//! The step's files of its table (`dynamodb.sqlite`, and `kept/` with the tables put aside),
//! moved as a deployment's start decides.
//!
//! A start never deletes a learner's table (`--fresh` alone, which asks for it): a table that
//! cannot go on is put aside under `kept/`, each under a name of its own with its definition
//! as the database describes it, named in the start-up line; a later serverless.yml that
//! describes it again brings it back. Everything a start that then fails moved is put back
//! ([`Room::undo`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value as Json;

use super::definition::Definition;
pub use super::start::TableStart;

const DATABASE: &str = crate::local_state::DATABASE_FILE;
const KEPT: &str = "kept";
/// SQLite's files beside a database.
const SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// The step's local files of its table.
#[derive(Debug, Clone)]
pub struct TableFiles {
    dir: PathBuf,
}

/// What a start made of the files: the table that goes on, if one does (as its database
/// describes it), how it started, and what was moved (put back by [`Room::undo`] if the start
/// fails).
#[derive(Debug)]
pub struct Room {
    pub earlier: Option<Definition>,
    pub start: TableStart,
    pub moved: Vec<(PathBuf, PathBuf)>,
}

impl Room {
    pub fn new() -> Self {
        Self {
            earlier: None,
            start: TableStart::New,
            moved: Vec::new(),
        }
    }

    /// Puts back what this start moved: a start that failed loses nothing.
    pub fn undo(&mut self) {
        for (from, to) in self.moved.drain(..).rev() {
            let _ = std::fs::rename(&to, &from);
        }
    }
}

impl TableFiles {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// The local DynamoDB's database file.
    pub fn database(&self) -> PathBuf {
        self.dir.join(DATABASE)
    }

    /// Moves the database (and `definition`, if known, beside it) under `kept/`, with a name
    /// of its own; forgets the stream's place in it. Where it went.
    pub fn put_aside(
        &self,
        definition: Option<&Definition>,
        moved: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<PathBuf> {
        let kept_dir = self.dir.join(KEPT);
        std::fs::create_dir_all(&kept_dir).with_context(|| {
            format!(
                "creating {}, where the last run's table is put aside: move away what is in \
                 the way, then start again (nothing was moved)",
                kept_dir.display()
            )
        })?;
        let stamp = crate::tools::timestamp::now_iso8601()
            .replace([':', '.'], "-")
            .trim_end_matches('Z')
            .to_owned();
        let mut name = format!("table-{stamp}");
        let mut again = 1;
        while kept_dir.join(format!("{name}.sqlite")).exists() {
            again += 1;
            name = format!("table-{stamp}-{again}");
        }
        let kept = kept_dir.join(format!("{name}.sqlite"));
        for suffix in SUFFIXES {
            let from = with_suffix(&self.database(), suffix);
            let to = with_suffix(&kept, suffix);
            if from.exists() {
                std::fs::rename(&from, &to)
                    .with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
                moved.push((from, to));
            }
        }
        if let Some(definition) = definition {
            let path = kept.with_extension("json");
            std::fs::write(&path, definition.to_json().to_string())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(kept)
    }

    /// The newest table put aside whose definition is `definition`'s table.
    pub fn kept_table_of(&self, definition: &Definition) -> Option<PathBuf> {
        let mut kept: Vec<PathBuf> = std::fs::read_dir(self.dir.join(KEPT))
            .ok()?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .filter(|path| {
                std::fs::read_to_string(path)
                    .ok()
                    .and_then(|text| serde_json::from_str::<Json>(&text).ok())
                    .and_then(|value| Definition::from_json(&value))
                    .is_some_and(|kept| kept.same_table(definition))
            })
            .map(|path| path.with_extension("sqlite"))
            .filter(|path| path.is_file())
            .collect();
        kept.sort();
        kept.pop()
    }

    /// A table put aside, made the database again.
    pub fn bring_back(&self, kept: &Path, moved: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
        for suffix in SUFFIXES {
            let from = with_suffix(kept, suffix);
            let to = with_suffix(&self.database(), suffix);
            if from.exists() {
                std::fs::rename(&from, &to)
                    .with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
                moved.push((from, to));
            }
        }
        let _ = std::fs::remove_file(kept.with_extension("json"));
        Ok(())
    }

    /// `--fresh`: the database and the stream's place in it, dropped as asked.
    pub fn remove_database(&self) -> Result<()> {
        for suffix in SUFFIXES {
            remove_if_there(&with_suffix(&self.database(), suffix))?;
        }
        // What an earlier xtask kept beside it: the database now says what its table is.
        remove_if_there(&self.dir.join("table.json"))
    }

    /// The stream functions' places, which belong to the table that was there: forgotten
    /// once another table has started.
    pub fn forget_checkpoints(&self) -> Result<()> {
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".checkpoint.json")
                {
                    remove_if_there(&entry.path())?;
                }
            }
        }
        Ok(())
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("removing {}", path.display())),
    }
}
