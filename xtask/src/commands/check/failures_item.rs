//! Item 6: records the handler cannot handle. The step's binary gets one batch that mixes
//! users with records that are not users; it must answer, name the first bad record's
//! sequence number in `batchItemFailures` (and no user before it), and log the users before
//! it. Lambda retries from the lowest reported sequence number, so stopping at the first bad
//! record is as correct as carrying on and reporting every one.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::report::{Finding, Item};
use super::stream_events::{self, panic_in, sequence_number};
use crate::lambda::json_in_logs::{contains, json_values};
use crate::lambda::runtime_api::{error_message, Outcome};

/// Where the README explains the code; its next section shows the lesson in a running service.
mod batch;

use batch::{batch, Kind, Sent};

const SECTION: &str = "README, \"Handle the records in Rust\"";

/// Runs the check on a built binary. `logs_users`: the handler item passed; if not, what this
/// item finds of the log is that item's failure, not this one's.
pub fn check(binary: &Path, step_name: &str, logs_users: bool) -> Result<Finding> {
    let batch = batch();
    let event = json!({"Records": batch.iter().map(|(_, record)| record).collect::<Vec<_>>()});
    let users_only = json!({"Records": batch
        .iter()
        .filter(|(sent, _)| matches!(sent.kind, Kind::User(_)))
        .map(|(_, record)| record)
        .collect::<Vec<_>>()});
    let mut function = stream_events::start_function(binary, step_name, "bad-records")?;
    let outcome = function.invoke(event.to_string().as_bytes(), Duration::from_secs(10));
    let log = function.log_text();
    let sent: Vec<Sent> = batch.into_iter().map(|(sent, _)| sent).collect();
    Ok(match outcome {
        Ok(Outcome::Response(body)) => judge_answer(&body, &log, &sent, logs_users),
        Ok(Outcome::Error(body)) => {
            // Whether the bad records are the cause: a batch of users alone, failed too?
            let again = function.invoke(users_only.to_string().as_bytes(), Duration::from_secs(10));
            match again {
                Ok(Outcome::Error(_)) => fails_every_batch(&error_message(&body)),
                _ => failed(&log, &error_message(&body)),
            }
        }
        Err(error) => match panic_in(&log) {
            Some(_) => failed(&log, &format!("{error:#}")),
            None => Finding::fail(
                Item::Failures,
                format!(
                    "the handler did not answer the batch: {}. Lambda would count the whole \
                     batch as failed and retry every record of it ({SECTION})",
                    error.to_string().lines().next().unwrap_or_default()
                ),
            ),
        },
    })
}

/// The handler failed the whole batch: by a panic, or by returning an error.
fn failed(log: &str, error: &str) -> Finding {
    let item = Item::Failures;
    if let Some((place, message)) = panic_in(log) {
        return Finding::fail(
            item,
            format!(
                "the handler panicked at {place} ({message}) on a record that is not a user. \
                 Lambda then retries every record of the batch, and on Lambda (where a panic \
                 ends the process) starts a new environment each time. An `unwrap()` or \
                 `expect()` on the conversion does this: use `match` and put the record in \
                 batch_item_failures ({SECTION})"
            ),
        );
    }
    let first_line = error.lines().next().unwrap_or_default();
    Finding::fail(
        item,
        format!(
            "the handler failed the whole batch ({first_line}) because one record is not a \
             user: Lambda then retries every record of the batch, the users too. A `?` on one \
             record's conversion does this: `match` on it, put that record in \
             batch_item_failures and carry on ({SECTION})"
        ),
    )
}

/// The handler returns an error for a batch of users too: not the bad records' doing.
fn fails_every_batch(error: &str) -> Finding {
    let first_line = error.lines().next().unwrap_or_default();
    Finding::fail(
        Item::Failures,
        format!(
            "the handler returns an error ({first_line}) for every batch, a batch of users too: \
             Lambda retries each one until it gives up. Answer `Ok` with the batch's failures \
             (none, for a batch of users) and return an error only when the whole batch cannot \
             be handled ({SECTION})"
        ),
    )
}

fn judge_answer(body: &[u8], log: &str, sent: &[Sent], logs_users: bool) -> Finding {
    let item = Item::Failures;
    let fail = |hint: String| Finding::fail(item, hint);
    let reported = match reported_records(body, sent) {
        Ok(reported) => reported,
        Err(finding) => return finding,
    };
    let Some(first_bad) = sent.iter().find(|s| matches!(s.kind, Kind::NotAUser(_))) else {
        return Finding::pass(item);
    };
    if let Some(user) = reported
        .iter()
        .find(|s| s.n < first_bad.n && matches!(s.kind, Kind::User(_)))
    {
        return fail(format!(
            "batchItemFailures names the {} record of user {} (sequence number {}), though it \
             is a user: Lambda retries from the lowest sequence number reported, so that user and \
             every record after it come again. Report only the records you cannot convert \
             ({SECTION})",
            user.event_name,
            user.id,
            sequence_number(user.n)
        ));
    }
    if !reported.iter().any(|s| s.n == first_bad.n) {
        let Kind::NotAUser(why) = first_bad.kind else {
            return Finding::pass(item);
        };
        let logged = json_values(log)
            .iter()
            .any(|value| mentions_id(value, first_bad.id));
        let what = if logged {
            "was logged but not reported in batchItemFailures: Lambda counts it as handled. \
             Convert each image into shared::User, so that a record which is not a user fails \
             the conversion, and report it"
        } else {
            "was neither logged nor reported in batchItemFailures: Lambda counts it as handled, \
             and the change is lost without a trace. Report each record you cannot convert"
        };
        return fail(format!(
            "the {} record {} (sequence number {}) is not a user ({why}), and {what} ({SECTION})",
            first_bad.event_name,
            first_bad.id,
            sequence_number(first_bad.n)
        ));
    }
    users_logged_before(first_bad, sent, log, logs_users)
}

/// The records the answer's `batchItemFailures` names; a finding when an entry names none
/// of the batch's (Lambda then fails the whole batch).
fn reported_records<'s>(body: &[u8], sent: &'s [Sent]) -> Result<Vec<&'s Sent>, Finding> {
    let fail = |hint: String| Finding::fail(Item::Failures, hint);
    let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let entries = answer["batchItemFailures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut reported = Vec::new();
    for entry in &entries {
        let identifier = entry["itemIdentifier"].as_str().unwrap_or_default();
        if identifier.is_empty() {
            return Err(fail(format!(
                "batchItemFailures has an entry without an itemIdentifier: Lambda then fails the \
                 whole batch and retries every record. Set it to the record's \
                 `change.sequence_number` ({SECTION})"
            )));
        }
        let Some(record) = sent.iter().find(|s| sequence_number(s.n) == identifier) else {
            let what = match sent
                .iter()
                .find(|s| format!("check-event-{}", s.n) == identifier)
            {
                Some(_) => "a record's event id (`event_id`), not its sequence number".to_owned(),
                None => "no sequence number of the batch".to_owned(),
            };
            return Err(fail(format!(
                "batchItemFailures names {identifier:?}, {what}: Lambda does not know it, fails \
                 the whole batch and retries every record. Use the record's \
                 `change.sequence_number` ({SECTION})"
            )));
        };
        reported.push(record);
    }
    Ok(reported)
}

/// Every user before the first bad record is in the log, as plain JSON.
fn users_logged_before(first_bad: &Sent, sent: &[Sent], log: &str, logs_users: bool) -> Finding {
    let item = Item::Failures;
    let values = json_values(log);
    let missing: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.n < first_bad.n)
        .filter(|s| match s.kind {
            Kind::User(name) => {
                let user = json!({"id": s.id, "name": name});
                !values.iter().any(|value| contains(value, &user))
            }
            Kind::NotAUser(_) => false,
        })
        .collect();
    if let Some(user) = missing.first() {
        if !logs_users {
            return Finding::skipped(
                item,
                "first log the users as JSON (the item above): its batchItemFailures are right, \
                 and the users it logs are judged once that item passes",
            );
        }
        return Finding::fail(
            item,
            format!(
                "the log does not show user {} of the {} record before the bad one: log every \
             user of the batch as plain JSON, and stop (or report) only at a record you cannot \
             convert ({SECTION})",
                user.id, user.event_name
            ),
        );
    }
    Finding::pass(item)
}

/// Whether the value, or any value inside it, has `id` as its `id`, plain or typed
/// (`{"S": id}`, as in a logged raw event).
fn mentions_id(value: &Value, id: &str) -> bool {
    match value {
        Value::Object(fields) => {
            let own = fields.get("id");
            own.and_then(Value::as_str) == Some(id)
                || own.and_then(|own| own.get("S")).and_then(Value::as_str) == Some(id)
                || fields.values().any(|field| mentions_id(field, id))
        }
        Value::Array(items) => items.iter().any(|item| mentions_id(item, id)),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
