//! The 7-finish stream handler alone, in process: one 100-record batch, logging included
//! (to a sink). The whole-process comparison with Node.js is `cargo xtask bench`.
//!
//! It lives here, not in 7-finish, so that the exercise and its solution differ only by the
//! exercise itself; it compiles the solution's `stream.rs` as it is.

#[path = "../../7-finish/src/stream.rs"]
#[allow(dead_code, unused_imports)] // its tests do not run here
mod stream;

use aws_lambda_events::event::dynamodb::Event;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};

fn batch(records: usize) -> Event {
    let typed = |id: &str, name: &str| json!({"id": {"S": id}, "name": {"S": name}});
    let records: Vec<Value> = (0..records)
        .map(|n| {
            let id = format!("user-{n}");
            let name = format!("User {n}");
            let (event_name, new_image, old_image) = match n % 3 {
                0 => ("INSERT", typed(&id, &name), json!({})),
                1 => ("MODIFY", typed(&id, &name), typed(&id, "before")),
                _ => ("REMOVE", json!({}), typed(&id, &name)),
            };
            json!({
                "eventID": n.to_string(), "eventName": event_name, "awsRegion": "us-east-1",
                "dynamodb": {"Keys": {"id": {"S": id}}, "NewImage": new_image, "OldImage": old_image,
                    "SequenceNumber": format!("{:021}", n + 1), "SizeBytes": 40, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            })
        })
        .collect();
    serde_json::from_value(json!({"Records": records})).expect("a stream event")
}

fn stream_handler(c: &mut Criterion) {
    // Log lines are formatted as on Lambda, then dropped.
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::sink);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let event = batch(100);
    c.bench_function("stream::handler, 100-record batch", |b| {
        b.iter_batched(
            || LambdaEvent::new(event.clone(), Context::default()),
            |event| runtime.block_on(stream::handler(event)),
            BatchSize::SmallInput,
        )
    });
}

/// What lambda_runtime does before the handler runs: the event read from its JSON.
fn event_from_json(c: &mut Criterion) {
    let bytes = serde_json::to_vec(&batch(100)).expect("JSON");
    c.bench_function("Event from JSON, 100-record batch", |b| {
        b.iter(|| serde_json::from_slice::<Event>(&bytes).expect("an event"))
    });
}

criterion_group!(benches, stream_handler, event_from_json);
criterion_main!(benches);
