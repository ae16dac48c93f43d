//! What Lambda's `CreateEventSourceMapping` (through CloudFormation) refuses of a `stream`
//! event, refused at a local start with AWS's words and the line of serverless.yml. Sources:
//! the Lambda API reference (`CreateEventSourceMapping`'s valid ranges; `Filter`'s pattern
//! length), CloudFormation's `AWS::Lambda::EventSourceMapping` (a record age from 60 s, or -1),
//! and the Lambda developer guide ("Lambda event filtering": five filters, patterns that are
//! not valid fail the mapping's creation).

use serde_json::Value as Json;
use yaml_serde::Value;

use crate::lambda::event_source::filter;
use crate::serverless_yml::{intrinsic, Intrinsic, ServerlessYml, Step};

/// A setting's valid range, as the Lambda API reference gives it.
struct Range {
    key: &'static str,
    /// The API's name for it, as its validation message names the field.
    api_field: &'static str,
    min: i64,
    max: i64,
}

const RANGES: [Range; 6] = [
    Range {
        key: "batchSize",
        api_field: "batchSize",
        min: 1,
        max: 10_000,
    },
    Range {
        key: "batchWindow",
        api_field: "maximumBatchingWindowInSeconds",
        min: 0,
        max: 300,
    },
    Range {
        key: "maximumRetryAttempts",
        api_field: "maximumRetryAttempts",
        min: -1,
        max: 10_000,
    },
    Range {
        key: "maximumRecordAgeInSeconds",
        api_field: "maximumRecordAgeInSeconds",
        min: -1,
        max: 604_800,
    },
    Range {
        key: "parallelizationFactor",
        api_field: "parallelizationFactor",
        min: 1,
        max: 10,
    },
    Range {
        key: "tumblingWindowInSeconds",
        api_field: "tumblingWindowInSeconds",
        min: 0,
        max: 900,
    },
];

/// Every refusal of the `stream` events of `yml`'s functions.
pub fn of(yml: &ServerlessYml) -> Vec<String> {
    let mut refused = Vec::new();
    for function in yml.functions() {
        let events = function
            .definition
            .get("events")
            .and_then(Value::as_sequence)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut streams_seen: Vec<String> = Vec::new();
        for (index, event) in events.iter().enumerate() {
            let Some(stream) = event.get("stream") else {
                continue;
            };
            if stream.get("type").and_then(Value::as_str) != Some("dynamodb") {
                continue;
            }
            let at = |key: &str| {
                let path = [
                    Step::Key("functions"),
                    Step::Key(function.name),
                    Step::Key("events"),
                    Step::Index(index),
                    Step::Key("stream"),
                    Step::Key(key),
                ];
                let line = yml
                    .line_of(&path)
                    .or_else(|| yml.line_of(&path[..4]))
                    .map_or_else(String::new, |line| format!("line {line}: "));
                format!("{line}function {}'s stream event, {key}", function.name)
            };
            refused.extend(ranges(stream, &at));
            refused.extend(filters(stream, &at));
            if let Some(arn) = stream.get("arn").and_then(intrinsic) {
                let written = written(&arn);
                if let Some(why) = undefined_resource(yml, &arn) {
                    refused.push(format!("{}: {why}", at("arn")));
                } else if streams_seen.contains(&written) {
                    refused.push(format!(
                        "{}: Lambda refuses a second mapping of one stream to one function: \
                         \"The event source arn (...) and function (...) provided mapping \
                         already exists\" (ResourceConflictException): an earlier stream event \
                         of {} reads {written} already; keep one",
                        at("arn"),
                        function.name
                    ));
                } else {
                    streams_seen.push(written);
                }
            }
        }
    }
    refused
}

fn ranges(stream: &Value, at: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut refused = Vec::new();
    for range in &RANGES {
        let Some(value) = stream.get(range.key) else {
            continue;
        };
        let Some(n) = value.as_i64() else {
            refused.push(format!(
                "{}: Lambda takes a whole number here, not {}",
                at(range.key),
                json(value)
            ));
            continue;
        };
        let constraint = if n < range.min {
            format!("greater than or equal to {}", range.min)
        } else if n > range.max {
            format!("less than or equal to {}", range.max)
        } else {
            if range.key == "maximumRecordAgeInSeconds" && (0..60).contains(&n) {
                refused.push(format!(
                    "{}: {n} is refused: the shortest record age Lambda takes is 60 seconds \
                     (or -1, no limit)",
                    at(range.key)
                ));
            }
            continue;
        };
        refused.push(format!(
            "{}: \"1 validation error detected: Value '{n}' at '{}' failed to satisfy \
             constraint: Member must have value {constraint}\"",
            at(range.key),
            range.api_field
        ));
    }
    if let Some(position) = stream.get("startingPosition") {
        if !matches!(position.as_str(), Some("LATEST" | "TRIM_HORIZON")) {
            refused.push(format!(
                "{}: a DynamoDB stream starts at LATEST or TRIM_HORIZON (AT_TIMESTAMP is \
                 Kinesis's only), not {}",
                at("startingPosition"),
                json(position)
            ));
        }
    }
    if let Some(kind) = stream.get("functionResponseType") {
        if kind.as_str() != Some("ReportBatchItemFailures") {
            refused.push(format!(
                "{}: the only response type Lambda knows is ReportBatchItemFailures, not {}",
                at("functionResponseType"),
                json(kind)
            ));
        }
    }
    refused
}

fn filters(stream: &Value, at: &dyn Fn(&str) -> String) -> Vec<String> {
    let Some(patterns) = stream.get("filterPatterns") else {
        return Vec::new();
    };
    let Some(patterns) = patterns.as_sequence() else {
        return vec![format!(
            "{}: a list of patterns (- eventName: [INSERT]), not {}",
            at("filterPatterns"),
            json(patterns)
        )];
    };
    let mut refused = Vec::new();
    if patterns.len() > filter::MAX_FILTERS {
        refused.push(format!(
            "{}: {} patterns; Lambda takes {} on one mapping (its default quota)",
            at("filterPatterns"),
            patterns.len(),
            filter::MAX_FILTERS
        ));
    }
    for (n, pattern) in patterns.iter().enumerate() {
        let pattern = serde_json::to_value(pattern).unwrap_or(Json::Null);
        // The framework writes each pattern as compact JSON text: its length is Lambda's.
        let text = pattern.to_string();
        if text.chars().count() > filter::MAX_PATTERN_CHARS {
            refused.push(format!(
                "{}: pattern {}: \"Member must have length less than or equal to {}\" ({} \
                 characters as JSON)",
                at("filterPatterns"),
                n + 1,
                filter::MAX_PATTERN_CHARS,
                text.chars().count()
            ));
        } else if let Some(why) = filter::invalid(&pattern) {
            refused.push(format!(
                "{}: pattern {}: \"Invalid filter pattern definition.\" \
                 (InvalidParameterValueException): {why}",
                at("filterPatterns"),
                n + 1
            ));
        }
    }
    refused
}

/// The intrinsic as serverless.yml's short form writes it.
fn written(arn: &Intrinsic) -> String {
    match arn {
        Intrinsic::GetAtt {
            resource,
            attribute,
            ..
        } => format!("!GetAtt {resource}.{attribute}"),
        Intrinsic::Ref(resource) => format!("!Ref {resource}"),
    }
}

/// CloudFormation refuses a `!GetAtt` or `!Ref` of a resource the template does not have.
fn undefined_resource(yml: &ServerlessYml, arn: &Intrinsic) -> Option<String> {
    let (resource, words) = match arn {
        Intrinsic::GetAtt { resource, .. } => (
            resource,
            format!(
                "Template error: instance of Fn::GetAtt references undefined resource {resource}"
            ),
        ),
        Intrinsic::Ref(resource) => (
            resource,
            format!(
                "Template format error: Unresolved resource dependencies [{resource}] in the \
                 Resources block of the template"
            ),
        ),
    };
    yml.resource(resource)
        .is_none()
        .then(|| format!("\"{words}\" (CloudFormation): resources.Resources has no {resource}"))
}

fn json(value: &Value) -> String {
    serde_json::to_value(value).map_or_else(|_| "that".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests;
