//! The `stream` function: Lambda calls `handler` with a batch of changes to the users table.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{tracing, Error, LambdaEvent};

pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    // TODO (README, "Handle the records in Rust"): this logs the whole event as it arrives, with
    // DynamoDB's typed values ({"S": "..."}). Instead, for each record of
    // `event.payload.records`, turn its new image (`record.change.new_image`; for a REMOVE,
    // `record.change.old_image`) into a plain value with `serde_dynamo::from_item` and log it:
    // `value is now {"id":"1","name":"test2"}`. Put the records you cannot convert into the
    // response's `batch_item_failures` (by `record.change.sequence_number`).
    tracing::info!("{}", serde_json::to_string(&event.payload)?);
    Ok(DynamoDbEventResponse::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_is_accepted() {
        let event: Event = serde_json::from_str(
            r#"{"Records": [{"eventID": "1", "eventName": "INSERT", "awsRegion": "us-east-1",
                "dynamodb": {"Keys": {"id": {"S": "1"}}, "NewImage": {"id": {"S": "1"}, "name": {"S": "test"}},
                "SequenceNumber": "100", "SizeBytes": 26, "StreamViewType": "NEW_AND_OLD_IMAGES"}}]}"#,
        )
        .unwrap();
        let response = handler(LambdaEvent::new(event, Default::default()))
            .await
            .unwrap();
        assert!(response.batch_item_failures.is_empty());
    }
}
