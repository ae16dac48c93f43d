//! Stream records as Lambda delivers them (the one builder `deploy --local`, `failures` and
//! their tests use), and records read back from a stream by their sequence numbers, as a
//! destination's message names them.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::tools::local_dynamodb::LocalDynamoDb;

/// A record as AWS Lambda delivers it, from the local DynamoDB's GetRecords record: Lambda
/// adds the stream's ARN and the region, DynamoDB sends whole seconds and event version 1.1,
/// and a write that changed nothing makes no record at all (the local DynamoDB sends a MODIFY
/// with equal images).
pub fn as_lambda_record(mut record: Value, stream_arn: &str, region: &str) -> Option<Value> {
    let change = &record["dynamodb"];
    if record["eventName"] == "MODIFY" && change["NewImage"] == change["OldImage"] {
        return None;
    }
    let seconds = change["ApproximateCreationDateTime"]
        .as_f64()
        .map(|s| s.floor() as i64);
    let object = record.as_object_mut()?;
    object.insert("eventSourceARN".to_owned(), Value::from(stream_arn));
    object.insert("awsRegion".to_owned(), Value::from(region));
    object.insert("eventVersion".to_owned(), Value::from("1.1"));
    if let (Some(seconds), Some(change)) = (
        seconds,
        object.get_mut("dynamodb").and_then(Value::as_object_mut),
    ) {
        change.insert(
            "ApproximateCreationDateTime".to_owned(),
            Value::from(seconds),
        );
    }
    Some(record)
}

/// The records of `shard_id` from sequence number `first` to `last`, as the local DynamoDB
/// keeps them (Lambda's form is [`as_lambda_record`]'s to make).
pub fn read_between(
    dynamodb: &LocalDynamoDb,
    stream_arn: &str,
    shard_id: &str,
    first: &str,
    last: &str,
) -> Result<Vec<Value>> {
    let answer = dynamodb
        .call(
            "DynamoDBStreams_20120810.GetShardIterator",
            &json!({"StreamArn": stream_arn, "ShardId": shard_id,
                    "ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": first}),
        )
        .with_context(|| format!("finding sequence {first} in the stream"))?;
    let mut iterator = answer["ShardIterator"].as_str().map(str::to_owned);
    let mut found = Vec::new();
    // Sequence numbers have one width here, so text order is their order.
    while let Some(current) = iterator.take() {
        let page = dynamodb.call(
            "DynamoDBStreams_20120810.GetRecords",
            &json!({"ShardIterator": current}),
        )?;
        let records = page["Records"].as_array().cloned().unwrap_or_default();
        if records.is_empty() {
            break;
        }
        for record in records {
            let sequence = record["dynamodb"]["SequenceNumber"]
                .as_str()
                .unwrap_or_default();
            if sequence.len() > last.len() || (sequence.len() == last.len() && sequence > last) {
                return Ok(found);
            }
            found.push(record);
        }
        iterator = page["NextShardIterator"].as_str().map(str::to_owned);
    }
    if found.is_empty() {
        bail!("no record from sequence {first} on is in the stream");
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_records_become_lambda_records() {
        let local = json!({"eventID": "e", "eventName": "INSERT", "eventVersion": "1.0", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "dynamodb": {"ApproximateCreationDateTime": 1795615468.947,
            "Keys": {"id": {"S": "1"}}, "NewImage": {"id": {"S": "1"}}, "SequenceNumber": "11", "SizeBytes": 2,
            "StreamViewType": "NEW_AND_OLD_IMAGES"}});
        let record = as_lambda_record(local, "arn:stream", "eu-west-1").unwrap();
        assert_eq!(record["eventSourceARN"], "arn:stream");
        assert_eq!(record["awsRegion"], "eu-west-1");
        assert_eq!(record["eventVersion"], "1.1");
        assert_eq!(
            record["dynamodb"]["ApproximateCreationDateTime"],
            1795615468
        );
    }

    #[test]
    fn a_modify_that_changed_nothing_is_no_record() {
        let image = json!({"id": {"S": "1"}, "name": {"S": "a"}});
        let local =
            json!({"eventName": "MODIFY", "dynamodb": {"NewImage": image, "OldImage": image}});
        assert_eq!(as_lambda_record(local, "arn", "us-east-1"), None);
    }
}
