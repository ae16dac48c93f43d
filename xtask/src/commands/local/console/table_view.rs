//! The table's items for the console: read (the first 100, by id) at most once a second,
//! and only while a page is open, so that the console costs nothing when nobody looks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::Hub;
use crate::tools::local_dynamodb::{plain_item, LocalDynamoDb};

const SHOWN: usize = 100;

pub fn watch_table(hub: Arc<Hub>, dynamodb: LocalDynamoDb, table: String, stop: Arc<AtomicBool>) {
    let mut last = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_secs(1));
        if !hub.watched() {
            continue;
        }
        let Ok(answer) = dynamodb.call(
            "DynamoDB_20120810.Scan",
            &json!({"TableName": table, "Limit": SHOWN}),
        ) else {
            continue;
        };
        let mut items: Vec<Value> = answer["Items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(plain_item)
            .collect();
        items.sort_by(|a, b| a["id"].to_string().cmp(&b["id"].to_string()));
        let snapshot = json!({
            "type": "table",
            "table": table,
            "items": items,
            "more": answer.get("LastEvaluatedKey").is_some(),
        });
        if last.as_ref() != Some(&snapshot) {
            hub.publish_table(snapshot.clone());
            last = Some(snapshot);
        }
    }
}
