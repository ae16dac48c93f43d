//! The users table of a local deployment, from its serverless.yml resource: keys, billing and
//! `StreamSpecification` exactly as written (no stream unless the learner asked for one, as on
//! AWS). It lives in the step's local state (`dynamodb.sqlite`, and `table.json` with the
//! definition it was made from), so a restart finds the learner's items again; a definition
//! that changed other than by its stream makes a new table, the old one kept aside.
//! [`RunningTable`] owns it while a deployment runs, with the local DynamoDB that serves it.

mod definition;
mod files;
mod in_dynamodb;
mod start;

use std::path::Path;

use anyhow::Result;

use super::changes::Change;
use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::local_dynamodb::LocalDynamoDb;
pub use definition::Definition;
pub use files::{Room, TableFiles, TableStart};
pub use in_dynamodb::LocalTable;

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
    files: TableFiles,
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
        let mut room = files.make_room(&definition, fresh)?;
        let naming = (service, stage, yml.region());
        match Self::open(files.clone(), definition, &mut room, naming) {
            Ok(running) => Ok(running),
            Err(error) => {
                room.undo();
                Err(error)
            }
        }
    }

    fn open(
        files: TableFiles,
        definition: Definition,
        room: &mut Room,
        (service, stage, region): (&str, &str, &str),
    ) -> Result<Self> {
        let storage = Storage::File(files.database());
        let mut endpoint = match LocalDynamoDbEndpoint::start(&storage) {
            Ok(endpoint) => endpoint,
            Err(error) if files.database().exists() => {
                files.put_aside_unreadable(room, &format!("{error:#}"))?;
                LocalDynamoDbEndpoint::start(&storage)?
            }
            Err(error) => return Err(error),
        };
        let mut dynamodb = LocalDynamoDb::new(&endpoint.url(), region);
        if room.definition_lost {
            match in_dynamodb::described_as(&dynamodb, &definition)? {
                Some(found) => {
                    room.earlier = Some(found);
                    room.start = TableStart::Kept { items: 0 };
                }
                None => {
                    drop(endpoint);
                    files.put_aside_unreadable(
                        room,
                        "table.json, which says what the table is, is missing or damaged, and \
                         the file holds no table like serverless.yml's",
                    )?;
                    endpoint = LocalDynamoDbEndpoint::start(&storage)?;
                    dynamodb = LocalDynamoDb::new(&endpoint.url(), region);
                }
            }
        }
        let earlier = match &room.earlier {
            Some(_) if !in_dynamodb::exists(&dynamodb, &definition.name)? => {
                room.start = TableStart::Vanished;
                None
            }
            earlier => earlier.clone(),
        };
        let (table, items) = in_dynamodb::open(&dynamodb, &definition, earlier.as_ref())?;
        match (&mut room.start, items) {
            (TableStart::Restored { items, .. }, Some(counted)) => *items = counted,
            (start, Some(items)) => *start = TableStart::Kept { items },
            (_, None) => files.forget_checkpoints()?,
        }
        files.remember(&definition)?;
        Ok(Self {
            endpoint,
            dynamodb,
            table,
            start: room.start.clone(),
            definition,
            files,
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
            self.files.remember(&self.definition)?;
        }
        // Compared with the table as it runs, not with the last save: a change undone is no
        // change.
        Ok((!wanted.same_table(&self.definition)).then_some(Change::TableDiffers))
    }
}
