//! Stream records as Lambda delivers them: the one builder that `check`, `bench`, the local
//! cloud and their tests use ([`Change::record`], [`as_lambda_record`] for a record the local
//! DynamoDB made), and records read back from a stream by their sequence numbers, as a
//! destination's message names them.

mod size;

use std::ops::ControlFlow;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::tools::local_dynamodb::LocalDynamoDb;

/// One change to an item of a table whose stream sends new and old images.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: &'a str,
    pub sequence_number: String,
    /// When DynamoDB saw it: whole seconds since 1970 (Lambda sends them as a number with a
    /// fraction, `1732558060.0`).
    pub created: u64,
    pub keys: Value,
    /// An image a change does not have (an INSERT's old one, a REMOVE's new one) is left out.
    pub new_image: Option<Value>,
    pub old_image: Option<Value>,
}

/// The ARN of a stream of `table` in an account that is not one: where `check` and `bench`
/// say their records come from.
pub fn example_stream_arn(table: &str) -> String {
    format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/2026-01-01T00:00:00.000")
}

impl Change<'_> {
    /// The record Lambda delivers for this change, read from `stream_arn` in `region`.
    pub fn record(self, stream_arn: &str, region: &str) -> Value {
        let mut change = json!({
            "ApproximateCreationDateTime": self.created as f64,
            "Keys": self.keys,
            "SequenceNumber": self.sequence_number,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        });
        for (field, image) in [("NewImage", self.new_image), ("OldImage", self.old_image)] {
            if let Some(image) = image {
                change[field] = image;
            }
        }
        change["SizeBytes"] = Value::from(size::of_change(&change));
        json!({
            "eventID": self.event_id,
            "eventName": self.event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": change,
            "eventSourceARN": stream_arn,
        })
    }
}

/// A record as AWS Lambda delivers it, from the local DynamoDB's GetRecords record: Lambda
/// adds the stream's ARN and the region, DynamoDB sends whole seconds (as a number with a
/// fraction, `1732558060.0`, in every recorded event), event version 1.1 and the size of the
/// keys and images in its own terms, and a write that changed nothing makes no record at all
/// (the local DynamoDB sends a MODIFY with equal images).
pub fn as_lambda_record(mut record: Value, stream_arn: &str, region: &str) -> Option<Value> {
    let change = &record["dynamodb"];
    if record["eventName"] == "MODIFY" && change["NewImage"] == change["OldImage"] {
        return None;
    }
    let seconds = change["ApproximateCreationDateTime"]
        .as_f64()
        .map(f64::floor);
    let size = size::of_change(change);
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
        change.insert("SizeBytes".to_owned(), Value::from(size));
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
    let iterator = answer["ShardIterator"].as_str().map(str::to_owned);
    let mut found = Vec::new();
    // Sequence numbers have one width here, so text order is their order.
    let after_last = |sequence: &str| {
        sequence.len() > last.len() || (sequence.len() == last.len() && sequence > last)
    };
    read_shard(dynamodb, iterator, |records| {
        for record in records {
            if after_last(
                record["dynamodb"]["SequenceNumber"]
                    .as_str()
                    .unwrap_or_default(),
            ) {
                return ControlFlow::Break(());
            }
            found.push(record);
        }
        ControlFlow::Continue(())
    })?;
    if found.is_empty() {
        bail!("no record from sequence {first} on is in the stream");
    }
    Ok(found)
}

/// Reads a shard from `iterator` on, a page of records at a time, until it has no more or
/// `each` has read enough.
pub fn read_shard(
    dynamodb: &LocalDynamoDb,
    mut iterator: Option<String>,
    mut each: impl FnMut(Vec<Value>) -> ControlFlow<()>,
) -> Result<()> {
    while let Some(current) = iterator.take() {
        let page = dynamodb.call(
            "DynamoDBStreams_20120810.GetRecords",
            &json!({"ShardIterator": current}),
        )?;
        let records = page["Records"].as_array().cloned().unwrap_or_default();
        if records.is_empty() || each(records).is_break() {
            break;
        }
        iterator = page["NextShardIterator"].as_str().map(str::to_owned);
    }
    Ok(())
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
        // Whole seconds, written as AWS writes them.
        assert_eq!(
            record["dynamodb"]["ApproximateCreationDateTime"].to_string(),
            "1795615468.0"
        );
        assert_eq!(record["dynamodb"]["SizeBytes"], 3 + 3);
    }

    #[test]
    fn a_change_is_a_record_lambda_would_send() {
        let record = Change {
            event_id: "e-1".to_owned(),
            event_name: "INSERT",
            sequence_number: "100".to_owned(),
            created: 1_764_000_000,
            keys: json!({"id": {"S": "1"}}),
            new_image: Some(json!({"id": {"S": "1"}, "name": {"S": "Ada"}})),
            old_image: None,
        }
        .record(&example_stream_arn("users"), "us-east-1");
        let event: aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(json!({"Records": [record.clone()]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(parsed.event_name, "INSERT");
        assert_eq!(parsed.change.sequence_number.as_deref(), Some("100"));
        assert_eq!(parsed.change.new_image.len(), 2);
        assert!(parsed.change.old_image.is_empty());
        assert!(record["dynamodb"].get("OldImage").is_none());
        assert_eq!(
            record["eventSourceARN"],
            "arn:aws:dynamodb:us-east-1:000000000000:table/users/stream/2026-01-01T00:00:00.000"
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
