//! DynamoDB's own rules where dynoxide keeps fewer: each service its operations, an answer of
//! GetRecords at most 1 MB, the table names and attribute name lengths DynamoDB refuses.

use dynoxide::{Database, DynoxideError};

use super::unreadable;
use crate::tools::local_dynamodb::streams::capped_page;

pub(super) const STREAMS_OPERATIONS: [&str; 4] = [
    "ListStreams",
    "DescribeStream",
    "GetShardIterator",
    "GetRecords",
];

/// The names dynoxide keeps its own data under in its SQLite file (and SQLite's own): a
/// table of that name would break it, so it is refused as DynamoDB refuses a bad name.
fn reserved_table_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["_config", "_stream_records", "_tables"].contains(&name.as_str())
        || name.starts_with("sqlite_")
}

/// DynamoDB's longest attribute name, in bytes (AWS DynamoDB developer guide, "Quotas":
/// attribute names are at most 64 KB long).
const MAX_ATTRIBUTE_NAME: usize = 65_535;

/// What DynamoDB refuses and dynoxide takes, or breaks on: a table name the local file keeps
/// for itself, an attribute name over DynamoDB's length.
pub(super) fn refusal(operation: &str, body: &str) -> Option<DynoxideError> {
    const CHECKED: [&str; 5] = [
        "CreateTable",
        "PutItem",
        "UpdateItem",
        "BatchWriteItem",
        "TransactWriteItems",
    ];
    if !CHECKED.contains(&operation) {
        return None;
    }
    let request: serde_json::Value = serde_json::from_str(body).ok()?;
    if operation == "CreateTable" {
        let name = request["TableName"].as_str()?;
        return reserved_table_name(name).then(|| {
            DynoxideError::ValidationException(format!(
                "TableName {name:?} is taken by the local DynamoDB's own storage (DynamoDB \
                 itself would take it): choose another name"
            ))
        });
    }
    let items: Vec<&serde_json::Value> = match operation {
        "PutItem" => vec![&request["Item"]],
        "BatchWriteItem" => request["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.values())
            .filter_map(|writes| writes.as_array())
            .flatten()
            .map(|write| &write["PutRequest"]["Item"])
            .collect(),
        "TransactWriteItems" => request["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| &item["Put"]["Item"])
            .collect(),
        _ => Vec::new(),
    };
    let names_of_update = request["ExpressionAttributeNames"]
        .as_object()
        .into_iter()
        .flat_map(|names| names.values())
        .filter_map(|name| name.as_str());
    let too_long = items
        .iter()
        .filter_map(|item| item.as_object())
        .flat_map(|item| item.keys().map(String::as_str))
        .chain(names_of_update)
        .find(|name| name.len() > MAX_ATTRIBUTE_NAME)?;
    Some(DynoxideError::ValidationException(format!(
        "One or more parameter values were invalid: an attribute name is {} bytes long; \
         DynamoDB takes at most {MAX_ATTRIBUTE_NAME}",
        too_long.len()
    )))
}

/// GetRecords as DynamoDB Streams answers it: at most 1 MB ([`capped_page`]).
pub(super) fn get_records_capped(database: &Database, body: &str) -> Result<String, DynoxideError> {
    use dynoxide::actions::get_records::GetRecordsRequest;
    let request: GetRecordsRequest = serde_json::from_str(body).map_err(unreadable)?;
    capped_page(
        database,
        &request.shard_iterator,
        request.limit.unwrap_or(1000),
    )
}
