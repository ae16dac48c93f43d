//! The stream function's wiring: `lambda_runtime::run` hands the step's `stream::handler`
//! each batch, and the invocation's log lines are written together when it returns
//! ([`crate::logs`]).
//!
//! Measured and left out (BENCHMARKS.md): reading the event as a `RawValue` first and
//! parsing it with plain serde_json, skipping lambda_runtime's `serde_path_to_error`. It was
//! 15% faster on batches of small items, 12-24% slower on large ones (their long strings
//! are read twice), and held a copy of each event (+4.7 MB peak memory).

use std::future::Future;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Runs `handler` for every batch until the runtime stops.
pub async fn run<Event, Response, Handler, Invocation>(handler: Handler) -> Result<(), Error>
where
    Event: DeserializeOwned,
    Response: Serialize,
    Handler: Fn(LambdaEvent<Event>) -> Invocation,
    Invocation: Future<Output = Result<Response, Error>>,
{
    lambda_runtime::run(service_fn(|event| {
        crate::logs::per_invocation(handler(event))
    }))
    .await
}
