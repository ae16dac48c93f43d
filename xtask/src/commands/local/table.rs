//! The users table of a local deployment, from its serverless.yml resource: keys, billing and
//! `StreamSpecification` exactly as written (no stream unless the learner asked for one, as on
//! AWS). It lives in the step's local state (`dynamodb.sqlite`, and `table.json` with the
//! definition it was made from), so a restart finds the learner's items again; a definition
//! that changed other than by its stream makes a new table, the old one kept aside.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value as Json};

use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::LocalDynamoDb;

/// The CreateTable parameters a resource's Properties may set.
const TABLE_PROPERTIES: [&str; 7] = [
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
];

const DATABASE: &str = crate::local_state::DATABASE_FILE;
const DEFINITION: &str = "table.json";

/// The account the local records name (the local DynamoDB's own, as DynamoDB Local's).
const ACCOUNT: &str = "000000000000";

#[derive(Debug, Clone)]
pub struct LocalTable {
    /// Its logical id in serverless.yml: `Table`.
    pub logical_id: String,
    /// Its name in the local DynamoDB, what `!Ref Table` resolves to.
    pub name: String,
    /// The stream's ARN in the local DynamoDB, if the table has a stream on.
    pub stream_arn: Option<String>,
}

impl LocalTable {
    /// The stream's ARN as Lambda puts it in records (`eventSourceARN`): AWS's form, with the
    /// region of serverless.yml, whatever the local DynamoDB calls its stream.
    pub fn event_source_arn(&self, region: &str) -> Option<String> {
        let label = self.stream_arn.as_deref()?.rsplit('/').next()?;
        Some(format!(
            "arn:aws:dynamodb:{region}:{ACCOUNT}:table/{}/stream/{}",
            self.name,
            stream_label(label)
        ))
    }
}

/// AWS labels a stream with the time it was made (`2026-12-02T05:37:54.123`); the local
/// DynamoDB with seconds since the epoch (`1796189874.123456789`).
fn stream_label(local: &str) -> String {
    let Some((seconds, fraction)) = local.split_once('.') else {
        return local.to_owned();
    };
    let (Ok(seconds), Ok(fraction)) = (
        seconds.parse::<i64>(),
        format!("{fraction:0<3}")[..3].parse::<i64>(),
    ) else {
        return local.to_owned();
    };
    crate::tools::timestamp::iso8601_millis(seconds * 1000 + fraction)
        .trim_end_matches('Z')
        .to_owned()
}

/// The table serverless.yml describes.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub logical_id: String,
    pub name: String,
    /// The resource's `Properties` as JSON.
    pub properties: Json,
}

impl Definition {
    pub fn of(yml: &ServerlessYml, service: &str, stage: &str) -> Result<Self> {
        let Some((logical_id, resource)) = yml.users_table() else {
            bail!(
                "serverless.yml has no AWS::DynamoDB::Table under resources.Resources: nothing \
                 to store users in"
            );
        };
        let name = yml
            .users_table_name()
            .map_or_else(|| format!("{service}-{stage}-{logical_id}"), str::to_owned);
        Ok(Self {
            logical_id: logical_id.to_owned(),
            name,
            properties: properties(resource)?,
        })
    }

    pub fn stream(&self) -> Option<&Json> {
        self.properties.get("StreamSpecification")
    }

    /// Everything but the stream: what a table cannot change in place.
    fn without_stream(&self) -> Json {
        let mut kept = self.clone();
        if let Some(object) = kept.properties.as_object_mut() {
            object.remove("StreamSpecification");
        }
        json!({"name": kept.name, "properties": kept.properties})
    }

    /// Whether `other` is this table with another stream, or none.
    pub fn same_table(&self, other: &Definition) -> bool {
        self.without_stream() == other.without_stream()
    }

    fn to_json(&self) -> Json {
        json!({"logical_id": self.logical_id, "name": self.name, "properties": self.properties})
    }

    fn from_json(value: &Json) -> Option<Self> {
        Some(Self {
            logical_id: value["logical_id"].as_str()?.to_owned(),
            name: value["name"].as_str()?.to_owned(),
            properties: value.get("properties")?.clone(),
        })
    }
}

/// The table resource's `Properties`, as JSON (`{}` when it has none).
pub fn properties(resource: &yaml_serde::Value) -> Result<Json> {
    match resource.get("Properties") {
        Some(properties) => {
            serde_json::to_value(properties).context("reading the table's Properties")
        }
        None => Ok(json!({})),
    }
}

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

/// The table of `definition` in the local DynamoDB: the kept one, its stream made as
/// serverless.yml says, or a new one.
pub fn open(
    dynamodb: &LocalDynamoDb,
    definition: &Definition,
    earlier: Option<&Definition>,
) -> Result<(LocalTable, Option<u64>)> {
    let mut table = LocalTable {
        logical_id: definition.logical_id.clone(),
        name: definition.name.clone(),
        stream_arn: None,
    };
    let Some(earlier) = earlier else {
        create(dynamodb, definition, &mut table)?;
        return Ok((table, None));
    };
    let described = dynamodb
        .call(
            "DynamoDB_20120810.DescribeTable",
            &json!({"TableName": table.name}),
        )
        .with_context(|| format!("reading the kept table {}", table.name))?;
    table.stream_arn = stream_arn_of(&described["Table"]);
    if earlier.stream() != definition.stream() {
        set_stream(dynamodb, &mut table, definition.stream())?;
    }
    let items = count_items(dynamodb, &table.name)?;
    Ok((table, Some(items)))
}

fn create(dynamodb: &LocalDynamoDb, definition: &Definition, table: &mut LocalTable) -> Result<()> {
    let mut request = Map::new();
    request.insert("TableName".to_owned(), Json::from(definition.name.clone()));
    for key in TABLE_PROPERTIES {
        if let Some(value) = definition.properties.get(key) {
            request.insert(key.to_owned(), value.clone());
        }
    }
    if let Some(specification) = request
        .get_mut("StreamSpecification")
        .and_then(Json::as_object_mut)
    {
        // CloudFormation implies it; the DynamoDB API wants it said.
        specification.insert("StreamEnabled".to_owned(), Json::Bool(true));
    }
    let created = dynamodb
        .call("DynamoDB_20120810.CreateTable", &Json::Object(request))
        .with_context(|| {
            format!(
                "creating the table {} from serverless.yml",
                definition.logical_id
            )
        })?;
    table.stream_arn = stream_arn_of(&created["TableDescription"]);
    Ok(())
}

/// The ARN of a table description's stream, if it is on.
fn stream_arn_of(description: &Json) -> Option<String> {
    let enabled = description["StreamSpecification"]["StreamEnabled"] == true;
    enabled
        .then(|| description["LatestStreamArn"].as_str().map(str::to_owned))
        .flatten()
}

/// Turns the table's stream off, or on with `specification`'s view type (a stream turned on
/// again is a new stream, as on AWS), keeping the items. A new view type is the stream off,
/// then on.
pub fn set_stream(
    dynamodb: &LocalDynamoDb,
    table: &mut LocalTable,
    specification: Option<&Json>,
) -> Result<()> {
    let update = |stream: Json| {
        dynamodb.call(
            "DynamoDB_20120810.UpdateTable",
            &json!({"TableName": table.name, "StreamSpecification": stream}),
        )
    };
    if table.stream_arn.is_some() {
        update(json!({"StreamEnabled": false})).context("turning the table's stream off")?;
        table.stream_arn = None;
    }
    if let Some(specification) = specification {
        let mut stream = specification.clone();
        if let Some(stream) = stream.as_object_mut() {
            stream.insert("StreamEnabled".to_owned(), Json::Bool(true));
        }
        let updated = update(stream).context("turning the table's stream on")?;
        table.stream_arn = stream_arn_of(&updated["TableDescription"]);
    }
    Ok(())
}

/// How many items the table holds.
pub fn count_items(dynamodb: &LocalDynamoDb, table: &str) -> Result<u64> {
    let mut count = 0;
    let mut start: Option<Json> = None;
    loop {
        let mut request = json!({"TableName": table, "Select": "COUNT"});
        if let Some(key) = start.take() {
            request["ExclusiveStartKey"] = key;
        }
        let answer = dynamodb
            .call("DynamoDB_20120810.Scan", &request)
            .with_context(|| format!("counting the items of {table}"))?;
        count += answer["Count"].as_u64().unwrap_or(0);
        match answer.get("LastEvaluatedKey") {
            Some(key) => start = Some(key.clone()),
            None => return Ok(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_source_arn_has_aws_form_and_the_ymls_region() {
        let table = LocalTable {
            logical_id: "Table".to_owned(),
            name: "users".to_owned(),
            stream_arn: Some(
                "arn:aws:dynamodb:dynoxide:000000000000:table/users/stream/1796189874.123456789"
                    .to_owned(),
            ),
        };
        assert_eq!(
            table.event_source_arn("eu-west-1").as_deref(),
            Some("arn:aws:dynamodb:eu-west-1:000000000000:table/users/stream/2026-12-02T05:37:54.123")
        );
    }

    #[test]
    fn a_table_with_another_stream_is_the_same_table() {
        let definition = |properties: Json| Definition {
            logical_id: "Table".to_owned(),
            name: "users".to_owned(),
            properties,
        };
        let keys = json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]});
        let mut with_stream = keys.clone();
        with_stream["StreamSpecification"] = json!({"StreamViewType": "NEW_IMAGE"});
        assert!(definition(keys.clone()).same_table(&definition(with_stream)));
        let other_keys = json!({"KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]});
        assert!(!definition(keys).same_table(&definition(other_keys)));
    }
}
