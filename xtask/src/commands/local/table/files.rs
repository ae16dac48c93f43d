//! The step's files of its table (`dynamodb.sqlite`, and `table.json` with the definition it
//! was made from), and what becomes of the last run's table when a deployment starts.
//!
//! A start never deletes a learner's table (`--fresh` alone, which asks for it): a table that
//! cannot go on is put aside under `kept/`, each under a name of its own with its definition,
//! named in the start-up line; a later serverless.yml that describes it again brings it back.
//! Everything put aside by a start that then fails is put back ([`Room::undo`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value as Json;

use super::definition::Definition;
pub use super::start::TableStart;

const DATABASE: &str = crate::local_state::DATABASE_FILE;
const DEFINITION: &str = "table.json";
const KEPT: &str = "kept";
/// SQLite's files beside a database.
const SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// The step's local files of its table.
#[derive(Debug, Clone)]
pub struct TableFiles {
    dir: PathBuf,
}

/// What a start made of the files: the last run's definition if its table goes on, how it
/// started, and what was moved (put back by [`Room::undo`] if the start fails).
#[derive(Debug)]
pub struct Room {
    pub earlier: Option<Definition>,
    pub start: TableStart,
    /// The database is there but its definition is not (`table.json` missing or damaged):
    /// the table in it is compared with serverless.yml's once it is open.
    pub definition_lost: bool,
    moved: Vec<(PathBuf, PathBuf)>,
}

impl Room {
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

    /// Before the database is opened: drops it (`fresh`), keeps it, or puts it aside when it
    /// holds another table than `definition` (bringing back a table put aside earlier that
    /// `definition` describes), or when what it holds is not known.
    pub fn make_room(&self, definition: &Definition, fresh: bool) -> Result<Room> {
        let definition_file = self.dir.join(DEFINITION);
        if definition_file.exists() && !definition_file.is_file() {
            bail!(
                "{} is not a file: the table's definition is kept there. Move it away and start \
                 again (the table in {} is untouched)",
                definition_file.display(),
                self.database().display()
            );
        }
        let earlier = std::fs::read_to_string(&definition_file)
            .ok()
            .and_then(|text| serde_json::from_str::<Json>(&text).ok())
            .and_then(|value| Definition::from_json(&value));
        let mut room = Room {
            earlier: None,
            start: TableStart::New,
            definition_lost: false,
            moved: Vec::new(),
        };
        if !self.database().exists() {
            return Ok(room);
        }
        if fresh {
            self.remove_database()?;
            room.start = TableStart::Fresh;
            return Ok(room);
        }
        match earlier {
            Some(earlier) if earlier.same_table(definition) => {
                room.earlier = Some(earlier);
                room.start = TableStart::Kept { items: 0 }; // counted once it is open
            }
            Some(earlier) => {
                let kept = self.put_aside(Some(&earlier), &mut room.moved)?;
                room.start = match self.kept_table_of(definition) {
                    Some(from) => {
                        self.bring_back(&from, &mut room.moved)?;
                        room.earlier = Some(definition.clone());
                        TableStart::Restored {
                            from,
                            kept,
                            items: 0,
                        }
                    }
                    None => TableStart::Replaced { kept },
                };
            }
            // A run stopped before it wrote its definition, or the file was damaged: the
            // table itself says what it is, once open.
            None => room.definition_lost = true,
        }
        Ok(room)
    }

    /// The database that could not be opened or read as serverless.yml's table (`why`), put
    /// aside: a new one can start.
    pub fn put_aside_unreadable(&self, room: &mut Room, why: &str) -> Result<()> {
        let kept = self.put_aside(None, &mut room.moved)?;
        room.earlier = None;
        room.definition_lost = false;
        room.start = TableStart::Unreadable {
            kept,
            why: why.to_owned(),
        };
        Ok(())
    }

    /// Moves the database (and `definition`, if known, beside it) under `kept/`, with a name
    /// of its own; forgets the stream's place in it. Where it went.
    fn put_aside(
        &self,
        definition: Option<&Definition>,
        moved: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<PathBuf> {
        let kept_dir = self.dir.join(KEPT);
        std::fs::create_dir_all(&kept_dir)
            .with_context(|| format!("creating {}", kept_dir.display()))?;
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
    fn kept_table_of(&self, definition: &Definition) -> Option<PathBuf> {
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
    fn bring_back(&self, kept: &Path, moved: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
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
    fn remove_database(&self) -> Result<()> {
        for suffix in SUFFIXES {
            remove_if_there(&with_suffix(&self.database(), suffix))?;
        }
        remove_if_there(&self.dir.join(DEFINITION))
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

    /// What the running table was made from, for the next run.
    pub fn remember(&self, definition: &Definition) -> Result<()> {
        let path = self.dir.join(DEFINITION);
        crate::tools::files::write_atomically(&path, definition.to_json().to_string().as_bytes())
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
