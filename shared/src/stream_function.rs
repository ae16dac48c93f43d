//! The stream function's wiring: `lambda_runtime::run` hands the step's `stream::handler`
//! each batch.

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
    lambda_runtime::run(service_fn(handler)).await
}
