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

/// `records` changes of users whose names are `name_bytes` long (small: a few bytes).
fn batch(records: usize, name_bytes: usize) -> Event {
    let typed = |id: &str, name: &str| json!({"id": {"S": id}, "name": {"S": name}});
    let records: Vec<Value> = (0..records)
        .map(|n| {
            let id = format!("user-{n}");
            let name = format!("User {n} {}", "x".repeat(name_bytes));
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

/// The handler with its lines formatted as the runtime's default subscriber formats them
/// (tracing-subscriber's), then dropped.
fn stream_handler(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let tracing_subscriber = || {
        lambda_runtime::tracing::subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_writer(std::io::sink)
            .finish()
    };
    for (items, name_bytes) in [("small", 0), ("4 KB", 4096)] {
        let event = batch(100, name_bytes);
        let mut group = c.benchmark_group(format!("stream::handler, 100 {items} records"));
        let mut run = |label: &str, subscriber: &dyn Fn() -> lambda_runtime::tracing::Dispatch| {
            let dispatch = subscriber();
            group.bench_function(label, |b| {
                b.iter_batched(
                    || LambdaEvent::new(event.clone(), Context::default()),
                    |event| {
                        lambda_runtime::tracing::dispatcher::with_default(&dispatch, || {
                            runtime.block_on(stream::handler(event))
                        })
                    },
                    BatchSize::SmallInput,
                )
            });
        };
        run("the runtime's default subscriber", &|| {
            tracing_subscriber().into()
        });
        group.finish();
    }
}

/// What lambda_runtime does before the handler runs: the event read from its JSON, through
/// `serde_path_to_error` (for the path in its error message); beside it, plain serde_json,
/// and the two steps a handler taking a `RawValue` would cost.
fn event_from_json(c: &mut Criterion) {
    let bytes = serde_json::to_vec(&batch(100, 0)).expect("JSON");
    let mut group = c.benchmark_group("Event from JSON, 100 small records");
    group.bench_function("as lambda_runtime reads it", |b| {
        b.iter(|| {
            let json = &mut serde_json::Deserializer::from_slice(&bytes);
            serde_path_to_error::deserialize::<_, Event>(json).expect("an event")
        })
    });
    group.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_slice::<Event>(&bytes).expect("an event"))
    });
    group.bench_function(
        "RawValue as lambda_runtime reads it, then serde_json",
        |b| {
            b.iter(|| {
                let json = &mut serde_json::Deserializer::from_slice(&bytes);
                let raw: Box<serde_json::value::RawValue> =
                    serde_path_to_error::deserialize(json).expect("JSON");
                serde_json::from_str::<Event>(raw.get()).expect("an event")
            })
        },
    );
    group.finish();
}

criterion_group!(benches, stream_handler, event_from_json);
criterion_main!(benches);
