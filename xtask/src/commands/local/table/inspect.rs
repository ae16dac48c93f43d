//! What a database file holds, read before anything of it is moved: the file is the truth of
//! the learner's table (a file beside it that says otherwise, cut short or stale after a
//! start that was killed, must not decide what is put aside).

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::definition::Definition;
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::local_dynamodb::LocalDynamoDb;

/// What the last run's database holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// It cannot be opened as a database (why).
    Unreadable(String),
    /// No table at all: a start cut short, or every table deleted by a client.
    Empty,
    /// The table of `wanted`'s name (else the first one there), as DynamoDB describes it.
    Table(Definition),
}

pub fn inspect(database: &Path, wanted: &Definition, region: &str) -> Result<Found> {
    let endpoint = match LocalDynamoDbEndpoint::start(&Storage::File(database.to_owned())) {
        Ok(endpoint) => endpoint,
        Err(error) => return Ok(Found::Unreadable(format!("{error:#}"))),
    };
    let dynamodb = LocalDynamoDb::new(&endpoint.url(), region);
    let names = table_names(&dynamodb)?;
    let Some(name) = names
        .iter()
        .find(|name| **name == wanted.name)
        .or(names.first())
    else {
        return Ok(Found::Empty);
    };
    let described = dynamodb.call(
        "DynamoDB_20120810.DescribeTable",
        &json!({"TableName": name}),
    )?;
    Ok(
        Definition::described(&wanted.logical_id, &described["Table"])
            .map_or(Found::Empty, Found::Table),
    )
}

/// Every table's name, page after page.
pub fn table_names(dynamodb: &LocalDynamoDb) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut request = json!({});
        if let Some(start) = &start {
            request["ExclusiveStartTableName"] = json!(start);
        }
        let listed = dynamodb.call("DynamoDB_20120810.ListTables", &request)?;
        names.extend(
            listed["TableNames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_owned)),
        );
        match listed["LastEvaluatedTableName"].as_str() {
            Some(last) => start = Some(last.to_owned()),
            None => return Ok(names),
        }
    }
}
