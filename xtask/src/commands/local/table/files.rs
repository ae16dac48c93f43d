//! The step's files of its table (`dynamodb.sqlite`, and `table.json` with the definition it
//! was made from), and what became of the last run's table when a deployment starts.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value as Json;

use super::definition::Definition;

const DATABASE: &str = crate::local_state::DATABASE_FILE;
const DEFINITION: &str = "table.json";

/// What became of the last run's table, for the start-up line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableStart {
    /// No earlier table: a new one.
    New,
    /// The last run's table, with its items.
    Kept { items: u64 },
    /// `--fresh`: the last run's table dropped.
    Fresh,
    /// serverless.yml describes another table (keys, billing...): a new one; the old one's
    /// file is kept at `backup`.
    Replaced { backup: PathBuf },
}

impl std::fmt::Display for TableStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableStart::New => write!(f, "new table"),
            TableStart::Kept { items: 1 } => write!(f, "table kept: 1 item"),
            TableStart::Kept { items } => write!(f, "table kept: {items} items"),
            TableStart::Fresh => write!(f, "new table (--fresh: the last run's table is gone)"),
            TableStart::Replaced { backup } => write!(
                f,
                "new table: serverless.yml describes another table than the last run's (keys, \
                 billing...); its items are kept in {}",
                backup.display()
            ),
        }
    }
}

/// The step's local files of its table.
#[derive(Debug, Clone)]
pub struct TableFiles {
    dir: PathBuf,
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

    /// Before the database is opened: drops it (`fresh`), or puts it aside when it holds
    /// another table than `definition`. Returns the last run's definition, if it is kept.
    pub fn make_room(
        &self,
        definition: &Definition,
        fresh: bool,
    ) -> Result<(Option<Definition>, TableStart)> {
        let earlier = std::fs::read_to_string(self.dir.join(DEFINITION))
            .ok()
            .and_then(|text| serde_json::from_str::<Json>(&text).ok())
            .and_then(|value| Definition::from_json(&value));
        let database = self.database();
        let had_database = database.exists();
        match earlier {
            _ if !had_database => {
                self.remove_all()?;
                Ok((None, TableStart::New))
            }
            _ if fresh => {
                self.remove_all()?;
                Ok((None, TableStart::Fresh))
            }
            Some(earlier) if earlier.same_table(definition) => Ok((
                Some(earlier),
                TableStart::Kept { items: 0 }, // counted once it is open
            )),
            // No definition kept (a run stopped before it wrote one): its table is unknown.
            None => {
                self.remove_all()?;
                Ok((None, TableStart::New))
            }
            Some(_) => {
                let backup = self.dir.join("dynamodb.previous.sqlite");
                for suffix in ["", "-wal", "-shm"] {
                    let from = PathBuf::from(format!("{}{suffix}", database.display()));
                    let to = PathBuf::from(format!("{}{suffix}", backup.display()));
                    let _ = std::fs::remove_file(&to);
                    if from.exists() {
                        std::fs::rename(&from, &to).with_context(|| {
                            format!("moving {} to {}", from.display(), to.display())
                        })?;
                    }
                }
                self.remove_all()?;
                Ok((None, TableStart::Replaced { backup }))
            }
        }
    }

    /// The database, its definition and the stream's checkpoints: a new start.
    fn remove_all(&self) -> Result<()> {
        let database = self.database();
        for suffix in ["", "-wal", "-shm"] {
            remove_if_there(Path::new(&format!("{}{suffix}", database.display())))?;
        }
        remove_if_there(&self.dir.join(DEFINITION))?;
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

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("removing {}", path.display())),
    }
}
