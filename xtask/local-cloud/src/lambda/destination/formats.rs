//! What each service receives from Lambda, as kept here: a queue's message, a topic's
//! notification, a bucket's object and its key.

use serde_json::{json, Value};

use crate::tools::files::safe_file_name;
use crate::tools::timestamp::iso8601_millis;

/// A queue's message as kept: its id, when it was sent, its body as text.
pub(super) fn envelope(id: &str, sent_ms: u64, body: &Value) -> String {
    json!({"MessageId": id, "SentTimestamp": sent_ms, "Body": body.to_string()}).to_string()
}

/// SNS's notification of `body` (what a queue subscribed to the topic receives): Lambda's
/// message as text in `Message`.
pub(super) fn notification(body: &Value, topic: &str, sent_ms: u64) -> Value {
    // `arn:aws:lambda:REGION:ACCOUNT:function:NAME`: the topic is in the function's account.
    let function_arn = body["requestContext"]["functionArn"].as_str().unwrap_or("");
    let mut parts = function_arn.split(':').skip(3);
    let (region, account) = (
        parts.next().unwrap_or("us-east-1"),
        parts.next().unwrap_or("000000000000"),
    );
    json!({
        "Type": "Notification",
        "MessageId": uuid::Uuid::new_v4().to_string(),
        "TopicArn": format!("arn:aws:sns:{region}:{account}:{topic}"),
        "Message": body.to_string(),
        "Timestamp": iso8601_millis(i64::try_from(sent_ms).unwrap_or(i64::MAX)),
        // SNS signs what it sends; nothing local is signed, and these say so.
        "SignatureVersion": "1",
        "Signature": "local",
        "SigningCertURL": "http://127.0.0.1/local-sns-is-not-signed.pem",
        "UnsubscribeURL": "http://127.0.0.1/local-sns-has-no-subscriptions",
    })
}

/// The key Lambda gives the object: `aws/lambda/<mapping>/<shard>/YYYY/MM/DD/
/// YYYY-MM-DDTHH.MM.SS-<uuid>`, the mapping's UUID one for each function and stream.
pub(super) fn object_key(body: &Value, sent_ms: u64) -> String {
    // FNV-1a: the same on every system and every Rust release (std's hasher is not), so one
    // mapping keeps one folder.
    let hash = |text: &str| {
        text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(
        &hash(body["requestContext"]["functionArn"].as_str().unwrap_or("")).to_be_bytes(),
    );
    bytes[8..].copy_from_slice(
        &hash(
            body["DDBStreamBatchInfo"]["streamArn"]
                .as_str()
                .unwrap_or(""),
        )
        .to_be_bytes(),
    );
    let mapping = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let shard = safe_file_name(body["DDBStreamBatchInfo"]["shardId"].as_str().unwrap_or(""));
    // `2026-12-06T16:10:00.123Z`
    let time = iso8601_millis(i64::try_from(sent_ms).unwrap_or(i64::MAX));
    let (year, month, day) = (&time[0..4], &time[5..7], &time[8..10]);
    let at = time[..19].replace(':', ".");
    let object = uuid::Uuid::new_v4();
    format!("aws/lambda/{mapping}/{shard}/{year}/{month}/{day}/{at}-{object}")
}

/// The records an S3 object carries (its `payload`, the invocation's event as text or JSON).
pub fn payload_records(body: &Value) -> Option<Vec<Value>> {
    let payload = body.get("payload")?;
    let event: Value = match payload.as_str() {
        Some(text) => serde_json::from_str(text).ok()?,
        None => payload.clone(),
    };
    event["Records"].as_array().cloned()
}
