//! The users table of a local deployment, from its serverless.yml resource: keys, billing and
//! `StreamSpecification` exactly as written (no stream unless the learner asked for one, as on
//! AWS). It lives in the step's local state (`dynamodb.sqlite`, and `table.json` with the
//! definition it was made from), so a restart finds the learner's items again; a definition
//! that changed other than by its stream makes a new table, the old one kept aside.
//! [`RunningTable`] owns it while a deployment runs, with the local DynamoDB that serves it.

mod definition;
mod files;
mod in_dynamodb;
mod inspect;
mod start;

use std::path::Path;

use anyhow::Result;

use super::changes::Change;
use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::local_dynamodb::streams::LocalStreams;
use crate::tools::local_dynamodb::LocalDynamoDb;
pub use definition::Definition;
pub use files::{Room, TableFiles, TableStart};
pub use in_dynamodb::LocalTable;
use inspect::Found;

/// The local DynamoDB (dynoxide, in this process) with the deployment's table.
#[derive(Debug)]
pub struct RunningTable {
    endpoint: LocalDynamoDbEndpoint,
    dynamodb: LocalDynamoDb,
    table: LocalTable,
    /// What became of the last run's table.
    start: TableStart,
    /// The table as it runs: its definition in serverless.yml when it was made, and its
    /// stream as now.
    definition: Definition,
    /// The service and stage its name is made of, when serverless.yml does not name it.
    naming: (String, String),
}

impl RunningTable {
    /// The local DynamoDB on the database in `dir`, and the table of `yml` in it: the last
    /// run's, unless `fresh` or serverless.yml describes another table. A table serverless.yml
    /// describes that the local DynamoDB would refuse is refused before anything is moved; a
    /// start that fails puts back what it moved.
    pub fn start(
        dir: &Path,
        yml: &ServerlessYml,
        (service, stage): (&str, &str),
        fresh: bool,
    ) -> Result<Self> {
        let definition = Definition::of(yml, service, stage)?;
        in_dynamodb::check_can_be_made(&definition)?;
        let files = TableFiles::in_dir(dir);
        let region = yml.region();
        let mut room = Room::new();
        let opened =
            Self::make_room(&files, &definition, fresh, region, &mut room).and_then(|()| {
                Self::open(
                    files.clone(),
                    definition,
                    &mut room,
                    (service, stage, region),
                )
            });
        if opened.is_err() {
            room.undo();
        }
        opened
    }

    /// What becomes of the last run's database, by what it holds (never by a file beside
    /// it): dropped (`fresh`), kept, or put aside for another table (one put aside earlier
    /// that serverless.yml describes comes back).
    fn make_room(
        files: &TableFiles,
        wanted: &Definition,
        fresh: bool,
        region: &str,
        room: &mut Room,
    ) -> Result<()> {
        let database = files.database();
        if fresh {
            files.remove_database()?;
            room.start = TableStart::Fresh;
            return Ok(());
        }
        let found = match database.exists() {
            true => Some(inspect::inspect(&database, wanted, region)?),
            false => None,
        };
        let kept = match found {
            Some(Found::Table(actual)) if actual.same_table(wanted) => {
                room.earlier = Some(actual);
                room.start = TableStart::Kept { items: 0 }; // counted once it is open
                return Ok(());
            }
            Some(Found::Table(actual)) => Some(files.put_aside(Some(&actual), &mut room.moved)?),
            Some(Found::Unreadable(why)) => {
                let kept = files.put_aside(None, &mut room.moved)?;
                room.start = TableStart::Unreadable { kept, why };
                return Ok(());
            }
            // Nothing in it to keep: a table put aside earlier may come back in its place.
            Some(Found::Empty) => {
                files.remove_database()?;
                room.start = TableStart::Vanished;
                None
            }
            None => None,
        };
        room.start = match files.kept_table_of(wanted) {
            Some(from) => {
                files.bring_back(&from, &mut room.moved)?;
                room.earlier = match inspect::inspect(&database, wanted, region)? {
                    Found::Table(actual) if actual.same_table(wanted) => Some(actual),
                    _ => None,
                };
                TableStart::Restored {
                    from,
                    kept,
                    items: 0,
                }
            }
            None => match kept {
                Some(kept) => TableStart::Replaced { kept },
                None if room.start == TableStart::Vanished => TableStart::Vanished,
                None => TableStart::New,
            },
        };
        Ok(())
    }

    fn open(
        files: TableFiles,
        definition: Definition,
        room: &mut Room,
        (service, stage, region): (&str, &str, &str),
    ) -> Result<Self> {
        let endpoint = LocalDynamoDbEndpoint::start(&Storage::File(files.database()))?;
        let dynamodb = LocalDynamoDb::new(&endpoint.url(), region);
        let (table, items) = in_dynamodb::open(&dynamodb, &definition, room.earlier.as_ref())?;
        match (&mut room.start, items) {
            (TableStart::Restored { items, .. }, Some(counted)) => *items = counted,
            (start, Some(items)) => *start = TableStart::Kept { items },
            (_, None) => files.forget_checkpoints()?,
        }
        Ok(Self {
            endpoint,
            dynamodb,
            table,
            start: room.start.clone(),
            definition,
            naming: (service.to_owned(), stage.to_owned()),
        })
    }

    /// The local DynamoDB's address.
    pub fn url(&self) -> String {
        self.endpoint.url()
    }

    /// A client of the local DynamoDB.
    pub fn dynamodb(&self) -> &LocalDynamoDb {
        &self.dynamodb
    }

    /// Its streams, read in this process.
    pub fn streams(&self) -> LocalStreams {
        self.endpoint.streams()
    }

    pub fn table(&self) -> &LocalTable {
        &self.table
    }

    /// What became of the last run's table, for the summary.
    pub fn how_it_started(&self) -> &TableStart {
        &self.start
    }

    /// The table as serverless.yml now describes it: a stream turned on, off or to another
    /// view type is applied (the items stay; a stream on again is a new stream, as on AWS);
    /// any other change needs a new table, which the learner is told.
    pub fn apply(&mut self, yml: &ServerlessYml) -> Result<Option<Change>> {
        let (service, stage) = &self.naming;
        let wanted = Definition::of(yml, service, stage)?;
        if wanted.stream() != self.definition.stream() {
            in_dynamodb::set_stream(&self.dynamodb, &mut self.table, wanted.stream())?;
            match wanted.stream() {
                Some(stream) => self.definition.properties["StreamSpecification"] = stream.clone(),
                None => {
                    if let Some(properties) = self.definition.properties.as_object_mut() {
                        properties.remove("StreamSpecification");
                    }
                }
            }
        }
        // Compared with the table as it runs, not with the last save: a change undone is no
        // change.
        Ok((!wanted.same_table(&self.definition)).then_some(Change::TableDiffers))
    }
}
