//! Item 5: the step's own binary, started as Lambda starts the stream function, gets an
//! INSERT, a MODIFY and a REMOVE; its log must show each changed user as plain values.
//!
//! The log is compared by content, not text: every JSON value in it is found (compact or
//! pretty-printed, any key order, any prefix), and each expected user is looked for inside them.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::report::{Finding, Item};
use super::stream_events::{self, panic_in, record, typed};
use crate::lambda::json_in_logs::{contains, json_values};
use crate::lambda::runtime_api::{error_message, Outcome};

const STEP_6: &str = "README, \"Handle the records in Rust\"";

/// One change the check sends, and the user the log must then show.
struct Change {
    event_name: &'static str,
    /// What a learner reads in a hint: "the INSERT record's new image".
    image_shown: &'static str,
    record: Value,
    expected: Value,
}

fn change(
    n: u32,
    event_name: &'static str,
    image_shown: &'static str,
    new: Option<&str>,
    old: Option<&str>,
) -> Change {
    let id = format!("check-{n}");
    let image = |name: Option<&str>| name.map(|name| typed(&json!({"id": id, "name": name})));
    let name = new.or(old).unwrap_or_default();
    Change {
        event_name,
        image_shown,
        record: record(n, event_name, &id, image(new), image(old)),
        expected: json!({"id": id, "name": name}),
    }
}

fn changes() -> Vec<Change> {
    vec![
        change(
            1,
            "INSERT",
            "the INSERT record's new image",
            Some("Ada Lovelace"),
            None,
        ),
        change(
            2,
            "MODIFY",
            "the MODIFY record's new image",
            Some("Grace Hopper"),
            Some("Grace"),
        ),
        change(
            3,
            "REMOVE",
            "the REMOVE record's old image (a REMOVE has no new image)",
            None,
            Some("Margaret Hamilton"),
        ),
    ]
}

/// Runs the check on a built binary.
pub fn check(binary: &Path, step_name: &str) -> Result<Finding> {
    let item = Item::Handler;
    let mut function = stream_events::start_function(binary, step_name, "stream")?;
    let changes = changes();
    for change in &changes {
        let event = json!({"Records": [change.record]});
        let outcome = function.invoke(event.to_string().as_bytes(), Duration::from_secs(10));
        let error = match outcome {
            Ok(Outcome::Response(body)) => {
                let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let failures = answer["batchItemFailures"].as_array().map_or(0, Vec::len);
                if failures > 0 && change.event_name == "REMOVE" {
                    return Ok(Finding::fail(
                        item,
                        format!(
                            "the handler reported the REMOVE record in batchItemFailures. A \
                             REMOVE has no new image: log its `old_image`, the user as it was \
                             ({STEP_6})"
                        ),
                    ));
                }
                if failures > 0 {
                    return Ok(Finding::fail(
                        item,
                        format!(
                            "the handler reported the {} record in batchItemFailures, though its \
                             new image is a user: report only records you cannot convert",
                            change.event_name
                        ),
                    ));
                }
                continue;
            }
            Ok(Outcome::Error(body)) => error_message(&body),
            Err(error) => format!("{error:#}"),
        };
        let log = function.log_text();
        let what = match panic_in(&log) {
            Some((place, message)) => format!("panicked at {place} ({message})"),
            None => format!("failed ({})", error.lines().next().unwrap_or_default()),
        };
        let hint = if change.event_name == "REMOVE" {
            format!(
                "the handler {what} on a REMOVE record. A REMOVE has no new image: log its \
                 `old_image` ({STEP_6})"
            )
        } else {
            format!(
                "the handler {what} on the {} record, whose new image is a user ({STEP_6})",
                change.event_name
            )
        };
        return Ok(Finding::fail(item, hint));
    }
    Ok(judge_log(&function.log_text(), &changes))
}

fn judge_log(log: &str, changes: &[Change]) -> Finding {
    let values = json_values(log);
    for change in changes {
        if values.iter().any(|value| contains(value, &change.expected)) {
            continue;
        }
        let hint = if values
            .iter()
            .any(|value| contains(value, &typed(&change.expected)))
        {
            format!(
                "the log shows {} only in DynamoDB's typed form ({{\"S\": ...}}): turn it into a \
                 plain value with serde_dynamo::from_item and log that ({STEP_6})",
                change.image_shown
            )
        } else if in_debug_form(log, &change.expected) {
            format!(
                "the log shows {} in Rust's debug form (`User {{ id: .. }}`, from `{{:?}}`): log \
                 it as JSON, e.g. with serde_json::to_string ({STEP_6})",
                change.image_shown
            )
        } else {
            format!(
                "the log does not show {}, {}, as JSON ({STEP_6})",
                change.image_shown, change.expected
            )
        };
        return Finding::fail(Item::Handler, hint);
    }
    Finding::pass(Item::Handler)
}

/// `User { id: "1", name: "Ada" }`, or `{:#?}`'s multi-line form: the fields are there as
/// `id: "1"` and `name: "Ada"`.
fn in_debug_form(log: &str, user: &Value) -> bool {
    ["id", "name"].iter().all(|field| {
        let value = user[field].as_str().unwrap_or_default();
        log.contains(&format!("{field}: {value:?}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(log: &str) -> Finding {
        judge_log(log, &changes())
    }

    const PLAIN: &str = r#" INFO INSERT {"id":"check-1"}: value is now {"id":"check-1","name":"Ada Lovelace"}
 INFO MODIFY {"id":"check-2"}: value is now {"id":"check-2","name":"Grace Hopper"}
 INFO REMOVE {"id":"check-3"}: value was {"id":"check-3","name":"Margaret Hamilton"}
"#;

    #[test]
    fn compact_lines_with_a_prefix_pass() {
        assert_eq!(verdict(PLAIN), Finding::pass(Item::Handler));
    }

    #[test]
    fn pretty_printed_values_in_any_key_order_pass() {
        let log = "value is now {\n  \"name\": \"Ada Lovelace\",\n  \"id\": \"check-1\"\n}\n\
                   value is now {\n  \"id\": \"check-2\",\n  \"name\": \"Grace Hopper\"\n}\n\
                   deleted: [{\"user\": {\"name\": \"Margaret Hamilton\", \"id\": \"check-3\"}}]\n";
        assert_eq!(verdict(log), Finding::pass(Item::Handler));
    }

    #[test]
    fn the_raw_event_fails_with_the_serde_dynamo_hint() {
        let raw: Vec<String> = changes()
            .iter()
            .map(|change| format!(" INFO {}", json!({"Records": [change.record]})))
            .collect();
        let finding = verdict(&raw.join("\n"));
        assert_eq!(finding.status, super::super::report::Status::Fail);
        assert_eq!(
            finding.hint,
            [
                "the log shows the INSERT record's new image only in DynamoDB's typed form \
              ({\"S\": ...}): turn it into a plain value with serde_dynamo::from_item and log \
              that (README, \"Handle the records in Rust\")"
            ]
        );
    }

    #[test]
    fn a_remove_logged_from_its_empty_new_image_fails_on_the_old_image() {
        let log = PLAIN.replace(r#"{"id":"check-3","name":"Margaret Hamilton"}"#, "{}");
        let finding = verdict(&log);
        assert_eq!(finding.status, super::super::report::Status::Fail);
        assert!(
            finding.hint[0].starts_with(
                "the log does not show the REMOVE record's old image (a REMOVE has no new image)"
            ),
            "{:?}",
            finding.hint
        );
    }

    #[test]
    fn a_debug_form_log_is_recognised() {
        let log = PLAIN.replace(
            r#"value is now {"id":"check-1","name":"Ada Lovelace"}"#,
            r#"value is now User { id: "check-1", name: "Ada Lovelace" }"#,
        );
        let finding = verdict(&log);
        assert!(
            finding.hint[0]
                .starts_with("the log shows the INSERT record's new image in Rust's debug form"),
            "{:?}",
            finding.hint
        );
    }
}
