//! The table in the local DynamoDB, through its JSON API: opened or made from its
//! definition, its stream turned on and off, its items counted.

use anyhow::{Context, Result};
use serde_json::{json, Map, Value as Json};

use super::definition::Definition;
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
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

/// Makes the table in a local DynamoDB of its own, in memory: what the learner's would
/// refuse (`KeyType: HASHH`) is refused before anything of the learner's is touched.
pub fn check_can_be_made(definition: &Definition) -> Result<()> {
    let scratch = LocalDynamoDbEndpoint::start(&Storage::Memory)?;
    let dynamodb = LocalDynamoDb::new(&scratch.url(), "us-east-1");
    let mut table = LocalTable {
        logical_id: definition.logical_id.clone(),
        name: definition.name.clone(),
        stream_arn: None,
    };
    create(&dynamodb, definition, &mut table).context(
        "the table in serverless.yml cannot be made (nothing of the last run's was touched)",
    )
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
}
