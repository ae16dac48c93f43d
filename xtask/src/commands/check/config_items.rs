//! The configuration items: the table's stream (README step 1) and the stream function
//! (step 2), read from serverless.yml in any spelling the Serverless Framework accepts.

use yaml_serde::Value;

use super::report::{Finding, Item};
use crate::serverless_yml::{intrinsic, Function, Intrinsic, ServerlessYml};
use crate::HANDLER_NAMES;

const STEP_1: &str = "README, \"Turn on the stream\"";
const STEP_2: &str = "README, \"Add the stream function\"";
pub const STREAM_HANDLER: &str = "stream.handler";

/// Item 2: the table's `StreamSpecification`.
pub fn stream(yml: &ServerlessYml) -> Finding {
    let item = Item::Stream;
    let Some((table, resource)) = yml.users_table() else {
        return Finding::fail(
            item,
            "serverless.yml has no AWS::DynamoDB::Table under resources.Resources: the step \
             needs the users table (compare with 7-finish/serverless.yml)",
        );
    };
    let specification = resource
        .get("Properties")
        .and_then(|p| p.get("StreamSpecification"));
    let Some(specification) = specification else {
        if resource.get("StreamSpecification").is_some() {
            return Finding::fail(
                item,
                format!(
                    "StreamSpecification is beside the table's Type; it belongs inside {table}'s \
                     Properties ({STEP_1})"
                ),
            );
        }
        return Finding::fail(
            item,
            format!("{table} has no StreamSpecification: add one to its Properties ({STEP_1})"),
        );
    };
    match specification.get("StreamViewType").and_then(Value::as_str) {
        Some("NEW_AND_OLD_IMAGES") => Finding::pass(item),
        None => Finding::fail(
            item,
            format!("StreamSpecification has no StreamViewType: set it to NEW_AND_OLD_IMAGES ({STEP_1})"),
        ),
        Some(view @ ("KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE")) => {
            let carries = match view {
                "KEYS_ONLY" => "only the keys of a changed item",
                "NEW_IMAGE" => "only the item after the change, nothing for a deleted user",
                _ => "only the item before the change, nothing for a created user",
            };
            Finding::fail(
                item,
                format!(
                    "StreamViewType is {view}: records would carry {carries}. This step logs the \
                     new image of a created or changed user and the old image of a deleted one: \
                     use NEW_AND_OLD_IMAGES"
                ),
            )
        }
        Some(other) => Finding::fail(
            item,
            format!(
                "StreamViewType {other:?} is not a stream view type (KEYS_ONLY, NEW_IMAGE, \
                 OLD_IMAGE, NEW_AND_OLD_IMAGES): use NEW_AND_OLD_IMAGES"
            ),
        ),
    }
}

/// Item 3: a function with `handler: stream.handler` and a dynamodb `stream` event on the
/// table's `StreamArn`; then any advice on the event's options, as ⚠ lines.
pub fn function(yml: &ServerlessYml) -> Vec<Finding> {
    let item = Item::Function;
    let table = yml.users_table().map_or("Table", |(id, _)| id);
    let functions = yml.functions();
    let candidates: Vec<Function<'_>> = functions
        .iter()
        .filter(|function| function.handler() == Some(STREAM_HANDLER))
        .copied()
        .collect();
    if candidates.is_empty() {
        let misnamed = functions
            .iter()
            .find(|f| f.events().iter().any(|(kind, _)| *kind == "stream"))
            .or_else(|| functions.iter().find(|f| f.name == "stream"));
        let hint = match misnamed {
            Some(function) => format!(
                "function {} has handler {:?}, a name the step's binary does not know: the \
                 stream handler runs for `handler: {STREAM_HANDLER}` (the binary knows {})",
                function.name,
                function.handler().unwrap_or(""),
                HANDLER_NAMES.join(", ")
            ),
            None => format!(
                "no function has `handler: {STREAM_HANDLER}`: add a function `stream` under \
                 functions: ({STEP_2})"
            ),
        };
        return vec![Finding::fail(item, hint)];
    }
    let mut first_failure = None;
    for function in &candidates {
        match stream_event(function, table) {
            Ok(advice) => {
                let mut findings = vec![Finding::pass(item)];
                findings.extend(advice);
                return findings;
            }
            Err(failure) => {
                first_failure.get_or_insert(failure);
            }
        }
    }
    vec![first_failure.unwrap_or_else(|| Finding::fail(item, "no stream event"))]
}

/// The function's dynamodb stream event, checked; the advice lines if it is right.
pub(super) fn stream_event(function: &Function<'_>, table: &str) -> Result<Vec<Finding>, Finding> {
    let event = the_stream_event(function, table)?;
    let Some(arn) = event.get("arn") else {
        return Err(Finding::fail(
            Item::Function,
            format!(
                "the stream event of {} has no `arn`: add `arn: !GetAtt {table}.StreamArn`",
                function.name
            ),
        ));
    };
    let mut advice = stream_arn(arn, table)?;
    advice.extend(settings_advice(event));
    Ok(advice)
}

/// The function's stream event: a mapping of `type: dynamodb`.
fn the_stream_event<'a>(function: &Function<'a>, table: &str) -> Result<&'a Value, Finding> {
    let item = Item::Function;
    let name = function.name;
    let fail = |hint: String| Finding::fail(item, hint);
    let events = function.events();
    if events.is_empty() {
        return Err(fail(format!(
            "function {name} has no events: give it a `stream` event of type dynamodb on the \
             table's stream ({STEP_2})"
        )));
    }
    let Some((_, event)) = events.iter().find(|(kind, _)| *kind == "stream") else {
        let kinds: Vec<&str> = events.iter().map(|(kind, _)| *kind).collect();
        return Err(fail(format!(
            "function {name} has no `stream` event (it has: {}): add `- stream:` with \
             `type: dynamodb` and `arn: !GetAtt {table}.StreamArn`",
            kinds.join(", ")
        )));
    };
    if event.as_str().is_some() || intrinsic(event).is_some() {
        return Err(fail(format!(
            "function {name}'s stream event is a bare ARN: write it as a mapping with \
             `type: dynamodb` and `arn: !GetAtt {table}.StreamArn`"
        )));
    }
    match event.get("type").and_then(Value::as_str) {
        Some("dynamodb") => {}
        None => {
            return Err(fail(format!(
                "the stream event of {name} has no `type`: add `type: dynamodb` (without it the \
                 framework cannot tell a table's stream from a Kinesis stream)"
            )))
        }
        Some("kinesis") => {
            return Err(fail(format!(
                "the stream event of {name} has `type: kinesis`, which reads a Kinesis data \
                 stream; a DynamoDB table's stream is `type: dynamodb`"
            )))
        }
        Some(other) => {
            return Err(fail(format!(
                "the stream event of {name} has `type: {other}`: a DynamoDB table's stream is \
                 `type: dynamodb`"
            )))
        }
    }
    Ok(*event)
}

/// The event's `arn`: the table's stream by `!GetAtt`; advice on how it is written.
fn stream_arn(arn: &Value, table: &str) -> Result<Vec<Finding>, Finding> {
    let item = Item::Function;
    let fail = |hint: String| Finding::fail(item, hint);
    let mut advice = Vec::new();
    match intrinsic(arn) {
        Some(Intrinsic::GetAtt {
            resource,
            attribute,
            dotted_long_form,
        }) => {
            if resource != table {
                return Err(fail(format!(
                    "`arn` reads an attribute of {resource}, not of the table {table}: use \
                     `!GetAtt {table}.StreamArn`"
                )));
            }
            match attribute.as_str() {
                "StreamArn" => {}
                "Arn" => {
                    return Err(fail(format!(
                        "`arn` is the table's own ARN ({table}.Arn); its stream has another one: \
                         use `!GetAtt {table}.StreamArn`"
                    )))
                }
                other => {
                    return Err(fail(format!(
                        "`{table}.{other}` is not the table's stream: use `!GetAtt {table}.StreamArn`"
                    )))
                }
            }
            if dotted_long_form {
                advice.push(Finding::warn(
                    item,
                    format!("`Fn::GetAtt: {table}.StreamArn` works, but is better as a list"),
                    format!(
                        "the Serverless Framework expects `Fn::GetAtt: [{table}, StreamArn]` (or \
                         `!GetAtt {table}.StreamArn`) for the stream's ARN"
                    ),
                ));
            }
        }
        Some(Intrinsic::Ref(resource)) => {
            return Err(fail(format!(
                "`!Ref {resource}` gives the table's name, not its stream: use `!GetAtt {table}.StreamArn`"
            )))
        }
        None if arn.as_str().is_some() => {
            return Err(fail(format!(
                "`arn` is written out as text, and a stream's ARN changes whenever the table is \
                 created again: use `!GetAtt {table}.StreamArn`"
            )))
        }
        None => return Err(fail(format!("`arn` should be `!GetAtt {table}.StreamArn`"))),
    }
    Ok(advice)
}

/// What the event lacks that AWS needs for records that fail: warnings.
fn settings_advice(event: &Value) -> Vec<Finding> {
    let item = Item::Function;
    let mut advice = Vec::new();
    if event.get("functionResponseType").and_then(Value::as_str) != Some("ReportBatchItemFailures")
    {
        advice.push(Finding::warn(
            item,
            "functionResponseType: ReportBatchItemFailures is missing",
            "without it AWS ignores the batchItemFailures your handler reports: the batch counts \
             as done and those records are lost (README, \"Add the stream function\")",
        ));
    }
    if event.get("maximumRetryAttempts").is_none() {
        advice.push(Finding::warn(
            item,
            "maximumRetryAttempts is not set",
            "without a retry limit (maximumRetryAttempts: 3) a record that keeps failing is \
             retried until the stream drops it, 24 hours later, holding up every change behind \
             it (README, \"Add the stream function\")",
        ));
    }
    if event.get("bisectBatchOnFunctionError").is_none() {
        advice.push(Finding::warn(
            item,
            "bisectBatchOnFunctionError is not set",
            "with bisectBatchOnFunctionError: true Lambda splits a batch whose invocation fails, \
             so the records before a bad one get through instead of being retried with it \
             (README, \"Add the stream function\")",
        ));
    }
    advice
}
