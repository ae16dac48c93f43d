//! The `stream` function: Lambda calls `handler` with a batch of changes to the users table
//! (`StreamViewType: NEW_AND_OLD_IMAGES`), and it logs each changed user as plain JSON.

use aws_lambda_events::event::dynamodb::{Event, StreamRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{tracing, Error, LambdaEvent};
use serde::{Deserialize, Serialize};
use shared::User;

pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    for mut record in event.payload.records {
        let sequence_number = record.change.sequence_number.take();
        match describe_change(&record.event_name, record.change) {
            Ok(line) => tracing::info!("{line}"),
            Err(error) => {
                // Reported, not dropped: Lambda retries from this record (serverless.yml:
                // functionResponseType: ReportBatchItemFailures), the others stay done.
                tracing::error!(
                    "{} record {} is not a user (string \"id\" and \"name\"): {error}",
                    record.event_name,
                    sequence_number
                        .as_deref()
                        .unwrap_or("without a sequence number")
                );
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = sequence_number;
                response.batch_item_failures.push(failure);
            }
        }
    }
    Ok(response)
}

/// The table's key (`KeySchema` in serverless.yml): what `Keys` holds in every record.
#[derive(Serialize, Deserialize)]
struct Key {
    id: String,
}

/// The log line for one change, with plain values where the record has DynamoDB's typed
/// ones (`{"S": "1"}` becomes `"1"`): `MODIFY {"id":"1"}: value is now {"id":"1","name":"test2"}`.
fn describe_change(event_name: &str, change: StreamRecord) -> Result<String, Error> {
    let key: Key = serde_dynamo::from_item(change.keys)?;
    // A REMOVE has no new image: the user as it was is in the old one.
    let (state, image) = match event_name {
        "REMOVE" => ("was", change.old_image),
        _ => ("is now", change.new_image),
    };
    let user: User = serde_dynamo::from_item(image)?;
    Ok(format!(
        "{event_name} {}: value {state} {}",
        serde_json::to_string(&key)?,
        serde_json::to_string(&user)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::EventRecord;
    use lambda_runtime::Context;

    fn event(json: &str) -> Event {
        serde_json::from_str(json).expect("the fixture is a DynamoDB stream event")
    }

    fn lines(json: &str) -> Vec<Result<String, String>> {
        event(json)
            .records
            .into_iter()
            .map(|record: EventRecord| {
                describe_change(&record.event_name, record.change).map_err(|e| e.to_string())
            })
            .collect()
    }

    async fn failures(json: &str) -> Vec<Option<String>> {
        let response = handler(LambdaEvent::new(event(json), Context::default()))
            .await
            .expect("the handler answers every batch");
        response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect()
    }

    #[tokio::test]
    async fn the_readme_modify_record_logs_the_new_name() {
        assert_eq!(
            lines(include_str!("fixtures/modify.json")),
            [Ok(
                r#"MODIFY {"id":"1"}: value is now {"id":"1","name":"test2"}"#.to_owned()
            )]
        );
        assert!(failures(include_str!("fixtures/modify.json"))
            .await
            .is_empty());
    }

    #[tokio::test]
    async fn an_insert_logs_the_new_user() {
        assert_eq!(
            lines(include_str!("fixtures/insert.json")),
            [Ok(
                r#"INSERT {"id":"1"}: value is now {"id":"1","name":"test"}"#.to_owned()
            )]
        );
        assert!(failures(include_str!("fixtures/insert.json"))
            .await
            .is_empty());
    }

    #[tokio::test]
    async fn a_remove_logs_the_old_image() {
        assert_eq!(
            lines(include_str!("fixtures/remove.json")),
            [Ok(
                r#"REMOVE {"id":"1"}: value was {"id":"1","name":"test2"}"#.to_owned()
            )]
        );
        assert!(failures(include_str!("fixtures/remove.json"))
            .await
            .is_empty());
    }

    #[tokio::test]
    async fn only_the_record_that_is_not_a_user_comes_back() {
        let batch = include_str!("fixtures/mixed_batch.json");
        assert_eq!(failures(batch).await, [Some("200".to_owned())]);
        let lines = lines(batch);
        assert_eq!(
            lines[0],
            Ok(r#"INSERT {"id":"2"}: value is now {"id":"2","name":"Ada"}"#.to_owned())
        );
        assert!(lines[1].is_err(), "{:?}", lines[1]);
        // Attributes beyond the user's, binary ones too, do not stop the record.
        assert_eq!(
            lines[2],
            Ok(r#"MODIFY {"id":"2"}: value is now {"id":"2","name":"Ada Lovelace"}"#.to_owned())
        );
        assert_eq!(
            lines[3],
            Ok(r#"REMOVE {"id":"2"}: value was {"id":"2","name":"Ada Lovelace"}"#.to_owned())
        );
    }

    mod generated_images {
        use super::*;
        use proptest::prelude::*;
        use serde_dynamo::{AttributeValue, Item};
        use std::collections::HashMap;

        fn attribute_value() -> impl Strategy<Value = AttributeValue> {
            let leaf = prop_oneof![
                any::<String>().prop_map(AttributeValue::S),
                any::<f64>().prop_map(|n| AttributeValue::N(n.to_string())),
                any::<bool>().prop_map(AttributeValue::Bool),
                Just(AttributeValue::Null(true)),
                any::<Vec<u8>>().prop_map(AttributeValue::B),
                prop::collection::vec(any::<String>(), 0..3).prop_map(AttributeValue::Ss),
                prop::collection::vec(any::<i64>().prop_map(|n| n.to_string()), 0..3)
                    .prop_map(AttributeValue::Ns),
                prop::collection::vec(any::<Vec<u8>>(), 0..3).prop_map(AttributeValue::Bs),
            ];
            leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                    prop::collection::hash_map("[a-z]{1,6}", inner, 0..4)
                        .prop_map(AttributeValue::M),
                ]
            })
        }

        /// An image: missing (empty), or some of `id`, `name` and other attributes of any kind.
        fn image() -> impl Strategy<Value = HashMap<String, AttributeValue>> {
            (
                prop::option::of(attribute_value()),
                prop::option::of(attribute_value()),
                prop::collection::hash_map("[a-z]{1,6}", attribute_value(), 0..3),
            )
                .prop_map(|(id, name, mut others)| {
                    others.extend(id.map(|id| ("id".to_owned(), id)));
                    others.extend(name.map(|name| ("name".to_owned(), name)));
                    others
                })
        }

        fn is_user(image: &HashMap<String, AttributeValue>) -> bool {
            matches!(image.get("id"), Some(AttributeValue::S(_)))
                && matches!(image.get("name"), Some(AttributeValue::S(_)))
        }

        proptest! {
            #[test]
            fn every_record_is_logged_or_reported(
                changes in prop::collection::vec(
                    (prop::sample::select(vec!["INSERT", "MODIFY", "REMOVE"]), image(), image()),
                    1..8,
                )
            ) {
                let mut batch = event(include_str!("fixtures/modify.json"));
                let template = batch.records.pop().unwrap();
                let mut expected_failures = Vec::new();
                for (index, (event_name, new_image, old_image)) in changes.into_iter().enumerate() {
                    let logged_image = if event_name == "REMOVE" { &old_image } else { &new_image };
                    if !is_user(logged_image) {
                        expected_failures.push(Some(index.to_string()));
                    }
                    let mut record = template.clone();
                    record.event_name = event_name.to_owned();
                    record.change.sequence_number = Some(index.to_string());
                    record.change.new_image = Item::from(new_image);
                    record.change.old_image = Item::from(old_image);
                    batch.records.push(record);
                }
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let response = runtime
                    .block_on(handler(LambdaEvent::new(batch, Context::default())))
                    .unwrap();
                let reported: Vec<_> = response
                    .batch_item_failures
                    .into_iter()
                    .map(|failure| failure.item_identifier)
                    .collect();
                prop_assert_eq!(reported, expected_failures);
            }
        }
    }
}
