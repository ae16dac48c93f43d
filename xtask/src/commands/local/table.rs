//! The users table, created in the local DynamoDB from its serverless.yml resource: keys,
//! billing and `StreamSpecification` exactly as written (no stream unless the learner asked for
//! one, as on AWS).

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

#[derive(Debug, Clone)]
pub struct LocalTable {
    /// Its logical id in serverless.yml: `Table`.
    pub logical_id: String,
    /// Its name in the local DynamoDB, what `!Ref Table` resolves to.
    pub name: String,
    /// The stream's ARN, if the table has a stream.
    pub stream_arn: Option<String>,
}

pub fn create(
    yml: &ServerlessYml,
    dynamodb: &LocalDynamoDb,
    service: &str,
    stage: &str,
) -> Result<LocalTable> {
    let Some((logical_id, resource)) = yml.users_table() else {
        bail!("serverless.yml has no AWS::DynamoDB::Table under resources.Resources: nothing to store users in");
    };
    let properties = properties(resource)?;
    let mut request = Map::new();
    let name = yml
        .users_table_name()
        .map_or_else(|| format!("{service}-{stage}-{logical_id}"), str::to_owned);
    request.insert("TableName".to_owned(), Json::from(name.clone()));
    for key in TABLE_PROPERTIES {
        if let Some(value) = properties.get(key) {
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
        .with_context(|| format!("creating the table {logical_id} from serverless.yml"))?;
    let stream_arn = created["TableDescription"]["LatestStreamArn"]
        .as_str()
        .map(str::to_owned);
    Ok(LocalTable {
        logical_id: logical_id.to_owned(),
        name,
        stream_arn,
    })
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

/// Turns the table's stream on (with `specification`'s view type), keeping its items, as
/// CloudFormation does when only `StreamSpecification` is added.
pub fn enable_stream(
    dynamodb: &LocalDynamoDb,
    table: &mut LocalTable,
    specification: &Json,
) -> Result<()> {
    let mut stream = specification.clone();
    if let Some(stream) = stream.as_object_mut() {
        stream.insert("StreamEnabled".to_owned(), Json::Bool(true));
    }
    let updated = dynamodb
        .call(
            "DynamoDB_20120810.UpdateTable",
            &json!({"TableName": table.name, "StreamSpecification": stream}),
        )
        .context("turning the table's stream on")?;
    table.stream_arn = updated["TableDescription"]["LatestStreamArn"]
        .as_str()
        .map(str::to_owned);
    Ok(())
}
