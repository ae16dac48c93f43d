//! `cargo xtask failures --replay` while the deployment runs: the records of a kept message
//! are replayed through the running deployment (its function's processes, its terminal, its
//! log, its console), not a process of their own. The command posts them to the console's
//! server (`POST /replay`, this machine only, as every local server); the deployment's loop
//! replays them between two saves and answers.

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::lambda::bus::Event;
pub use crate::local_state::{ReplayAsked, Replayed};

/// One replay waiting for the deployment's loop, and where its answer goes.
#[derive(Debug)]
pub struct ReplayRequest {
    pub asked: ReplayAsked,
    pub answer: Sender<Replayed>,
}

/// The requests' way from the console's server to the deployment's loop.
pub fn channel() -> (Sender<ReplayRequest>, Receiver<ReplayRequest>) {
    mpsc::channel()
}

/// `POST /replay`: handed to the deployment's loop, answered with what became of it.
pub async fn receive(State(requests): State<Sender<ReplayRequest>>, body: Bytes) -> Response {
    let Ok(asked) = serde_json::from_slice::<ReplayAsked>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            "not a replay: {function, message_id, records}",
        )
            .into_response();
    };
    let (answer, answered) = mpsc::channel();
    if requests.send(ReplayRequest { asked, answer }).is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the deployment is stopping",
        )
            .into_response();
    }
    // The loop replays between two saves; a function may take its whole timeout.
    let waited =
        tokio::task::spawn_blocking(move || answered.recv_timeout(Duration::from_secs(960))).await;
    match waited {
        Ok(Ok(replayed)) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&replayed).unwrap_or_default(),
        )
            .into_response(),
        _ => (StatusCode::GATEWAY_TIMEOUT, "the deployment did not answer").into_response(),
    }
}

/// A replay through the running deployment: the function's own processes get the records;
/// the function's log (so the terminal and the console) says what became of them; handled,
/// the message leaves its destination and the console is told.
pub fn replay(
    asked: &ReplayAsked,
    pool: Option<&crate::lambda::pool::FunctionPool>,
    timeout: Duration,
    queue: Option<&crate::lambda::destination::LocalDestination>,
    log: &crate::lambda::function_log::FunctionLog,
) -> Replayed {
    let (Some(pool), Some(queue)) = (pool, queue) else {
        return Replayed::Refused(format!(
            "{} has no function {} reading the stream with an on-failure destination now",
            "the running deployment", asked.function
        ));
    };
    let (messages, _) = queue.read();
    let Some(message) = messages.iter().find(|m| m.id == asked.message_id) else {
        return Replayed::Refused(format!(
            "{} {} is no longer in {} (replayed already?)",
            queue.kind.item(),
            asked.message_id,
            queue.label
        ));
    };
    let payload = serde_json::json!({"Records": asked.records}).to_string();
    let (outcome, _) = pool.invoke(payload.as_bytes(), timeout);
    let count = match asked.records.len() {
        1 => "1 record".to_owned(),
        n => format!("{n} records"),
    };
    let (replayed, told) = match crate::lambda::destination::replay_handled(outcome) {
        Ok(()) => match queue.delete(message) {
            Ok(()) => (
                Replayed::Handled,
                format!("handled -> removed from the {}", queue.kind.noun()),
            ),
            Err(error) => (
                Replayed::StillFailing(format!("{error:#}")),
                format!("handled, but the {} stays: {error:#}", queue.kind.item()),
            ),
        },
        Err(why) => (
            Replayed::StillFailing(why.clone()),
            format!("still failing ({why}): kept in the {}", queue.kind.noun()),
        ),
    };
    log.note(&format!(
        "replay of {} {} ({count}) from {}: {told}",
        queue.kind.item(),
        asked.message_id,
        queue.label
    ));
    let left: Vec<Value> = queue.messages().into_iter().map(|m| m.body).collect();
    log.tell(&Event::Queue {
        queue: &queue.label,
        messages: &left,
    });
    log.tell(&Event::Replayed {
        function: &asked.function,
        records: &asked.records,
        handled: replayed == Replayed::Handled,
    });
    replayed
}
