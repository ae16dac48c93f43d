use super::*;
use crate::lambda::destination::payload_records;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn lambdas_message(sequence: &str) -> Value {
    json!({
        "requestContext": {"functionArn": "arn:aws:lambda:eu-west-1:000000000000:function:s-local-stream",
                           "condition": "RetryAttemptsExhausted"},
        "DDBStreamBatchInfo": {"shardId": "shardId-00000001-ab", "startSequenceNumber": sequence,
                               "endSequenceNumber": sequence, "batchSize": 1,
                               "streamArn": "arn:aws:dynamodb:eu-west-1:000000000000:table/t/stream/x"},
    })
}

#[test]
fn a_queue_keeps_its_messages_in_order_until_deleted() {
    let dir = scratch("queue");
    let kept = LocalDestination::in_state(&dir, &DestinationName::queue("SkippedRecords"));
    kept.send(&json!({"n": 1}), &[]).unwrap();
    let second = kept.send(&json!({"n": 2}), &[]).unwrap();
    let messages =
        LocalDestination::in_state(&dir, &DestinationName::queue("SkippedRecords")).messages();
    assert_eq!(
        messages
            .iter()
            .map(|m| m.body["n"].clone())
            .collect::<Vec<_>>(),
        [json!(1), json!(2)]
    );
    kept.delete(&messages[0]).unwrap();
    assert_eq!(kept.messages().len(), 1);
    assert_eq!(kept.messages()[0].id, second);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A message file whose id says another name, or which is cut short: the first is deleted by
/// its file (never a path its content names), the second listed as damaged.
#[test]
fn a_message_is_its_file_and_a_damaged_file_is_listed() {
    let dir = scratch("queue-files");
    let kept = LocalDestination::in_state(&dir, &DestinationName::queue("SkippedRecords"));
    kept.send(&json!({"n": 1}), &[]).unwrap();
    let outside = dir.join("x.json");
    std::fs::write(&outside, "precious").unwrap();
    let queue_dir = dir.join("queues").join("SkippedRecords");
    let renamed = queue_dir.join("renamed.json");
    let only = std::fs::read_dir(&queue_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&only).unwrap();
    let id = serde_json::from_str::<Value>(&text).unwrap()["MessageId"].clone();
    std::fs::write(&renamed, text.replace(id.as_str().unwrap(), "../../x")).unwrap();
    std::fs::remove_file(&only).unwrap();
    std::fs::write(queue_dir.join("cut.json"), "{\"MessageId\": \"1").unwrap();
    let (messages, damaged) = kept.read();
    assert_eq!(damaged, vec![queue_dir.join("cut.json")]);
    kept.delete(&messages[0]).unwrap();
    assert!(!renamed.exists());
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SNS developer guide, "Amazon SNS message and JSON formats": a notification is JSON with
/// Type `Notification`, a MessageId, the TopicArn and the published text as `Message`; Lambda's
/// message to a topic is the same as to a queue ("services-dynamodb-errors").
#[test]
fn a_topic_keeps_notifications_whose_message_is_lambdas() {
    let dir = scratch("topic");
    let name = DestinationName {
        kind: DestinationKind::Topic,
        name: "Skipped".to_owned(),
    };
    let topic = LocalDestination::in_state(&dir, &name);
    assert_eq!(topic.label, "topic Skipped");
    topic.send(&lambdas_message("7"), &[]).unwrap();
    let file = files_under(&dir.join("topics").join("Skipped"), 0).remove(0);
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let notification: Value = serde_json::from_str(kept["Body"].as_str().unwrap()).unwrap();
    assert_eq!(notification["Type"], "Notification");
    assert_eq!(
        notification["TopicArn"],
        "arn:aws:sns:eu-west-1:000000000000:Skipped"
    );
    // The fields aws_lambda_events' SnsMessage requires (its `sns` feature is not built here).
    for field in [
        "MessageId",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "Message",
    ] {
        assert!(notification[field].is_string(), "{field} in {notification}");
    }
    let messages = topic.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body, lambdas_message("7"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lambda developer guide, "services-dynamodb-errors": for an S3 destination Lambda sends the
/// whole invocation record with the metadata, under `aws/lambda/<mapping UUID>/<shard ID>/
/// YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>`.
#[test]
fn a_bucket_keeps_objects_with_the_records_under_lambdas_key() {
    let dir = scratch("bucket");
    let name = DestinationName {
        kind: DestinationKind::Bucket,
        name: "skipped-records".to_owned(),
    };
    let bucket = LocalDestination::in_state(&dir, &name);
    let record = json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": "7"}});
    let key = bucket
        .send(&lambdas_message("7"), std::slice::from_ref(&record))
        .unwrap();
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts[..2], ["aws", "lambda"]);
    assert!(uuid::Uuid::parse_str(parts[2]).is_ok(), "{key}");
    assert_eq!(parts[3], "shardId-00000001-ab");
    assert_eq!(parts.len(), 8, "{key}");
    let (date, object) = parts[7].split_at(19);
    assert_eq!(
        date,
        format!("{}-{}-{}T", parts[4], parts[5], parts[6]) + &date[11..]
    );
    assert!(!date.contains(':'), "{date}");
    assert!(uuid::Uuid::parse_str(&object[1..]).is_ok(), "{object}");
    // One mapping, one UUID.
    let again = bucket.send(&lambdas_message("8"), &[]).unwrap();
    assert_eq!(again.split('/').nth(2), Some(parts[2]));
    let messages = bucket.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].id, key);
    assert_eq!(payload_records(&messages[0].body), Some(vec![record]));
    bucket.delete(&messages[0]).unwrap();
    assert_eq!(bucket.messages().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a file browser or a write under way leaves in a folder is not an object: never listed
/// as damaged, never replayed.
#[test]
fn a_buckets_stray_files_are_left_alone() {
    let dir = scratch("bucket-stray");
    let name = DestinationName {
        kind: DestinationKind::Bucket,
        name: "skipped-records".to_owned(),
    };
    let bucket = LocalDestination::in_state(&dir, &name);
    bucket.send(&lambdas_message("7"), &[]).unwrap();
    let root = dir.join("buckets").join("skipped-records");
    for stray in [".DS_Store", "Thumbs.db", "desktop.ini", "x.json.new"] {
        std::fs::write(root.join(stray), "?").unwrap();
    }
    std::fs::write(root.join("cut"), "{").unwrap();
    let (messages, damaged) = bucket.read();
    assert_eq!(messages.len(), 1);
    assert_eq!(damaged, vec![root.join("cut")]);
    let _ = std::fs::remove_dir_all(&dir);
}
