//! What a destination's message says, for the learner: its line, and the records it names read
//! back from the table's stream, each shown as plain values.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::lambda::destination::{payload_records, KeptMessage};
use crate::lambda::stream_records::{as_lambda_record, read_between};
use crate::tools::local_dynamodb::{plain_item, LocalDynamoDb};

/// One message's line: when, why, how many records.
pub fn describe(message: &KeptMessage) -> String {
    let body = &message.body;
    let info = &body["DDBStreamBatchInfo"];
    let size = info["batchSize"].as_u64().unwrap_or(0) as usize;
    let range = match (
        info["startSequenceNumber"].as_str(),
        info["endSequenceNumber"].as_str(),
    ) {
        (Some(first), Some(last)) if first == last => format!("sequence {first}"),
        (Some(first), Some(last)) => format!("sequences {first}..{last}"),
        _ => "sequences unknown".to_owned(),
    };
    format!(
        "{} {} after {}: {}, {range}",
        body["timestamp"].as_str().unwrap_or("?"),
        body["requestContext"]["condition"].as_str().unwrap_or("?"),
        count(
            body["requestContext"]["approximateInvokeCount"]
                .as_u64()
                .unwrap_or(0) as usize,
            "invocation"
        ),
        count(size, "record"),
    )
}

/// A record as the learner reads it: what happened, its key, its images as plain values.
pub fn show(record: &Value) -> String {
    let change = &record["dynamodb"];
    let image = |name: &str| match change
        .get(name)
        .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
    {
        Some(image) => format!(
            " {}: {}",
            name.trim_end_matches("Image").to_lowercase(),
            plain_item(image)
        ),
        None => String::new(),
    };
    format!(
        "{} {}{}{}",
        record["eventName"].as_str().unwrap_or("?"),
        plain_item(&change["Keys"]),
        image("NewImage"),
        image("OldImage")
    )
}

/// The records a message names, in Lambda's form: an S3 object's own, else read back from the
/// table's current stream.
pub fn records_of(dynamodb: &LocalDynamoDb, body: &Value, region: &str) -> Result<Vec<Value>> {
    if let Some(records) = payload_records(body) {
        return Ok(records);
    }
    let info = &body["DDBStreamBatchInfo"];
    let (Some(first), Some(last), Some(shard), Some(stream_arn)) = (
        info["startSequenceNumber"].as_str(),
        info["endSequenceNumber"].as_str(),
        info["shardId"].as_str(),
        info["streamArn"].as_str(),
    ) else {
        bail!("the message names no records: {body}");
    };
    // `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`
    let table = stream_arn
        .split("table/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .context("the message's streamArn names no table")?;
    let described = dynamodb
        .call(
            "DynamoDB_20120810.DescribeTable",
            &json!({"TableName": table}),
        )
        .with_context(|| format!("reading the table {table}"))?;
    let Some(local_stream) = described["Table"]["LatestStreamArn"].as_str() else {
        bail!("the table {table} has no stream any more: its records are gone");
    };
    let records = read_between(dynamodb, local_stream, shard, first, last).map_err(|error| {
        anyhow::anyhow!("the records are no longer in the stream ({error:#}): a stream keeps them 24 hours, and a stream turned off and on again is a new one")
    })?;
    Ok(records
        .into_iter()
        .filter_map(|record| as_lambda_record(record, stream_arn, region))
        .collect())
}

pub fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}
