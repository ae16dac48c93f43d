//! Lambda's event filtering (`filterPatterns` of a stream event): a record reaches the
//! function only if it matches one of the patterns; the others are dropped and the stream
//! moves past them. A pattern mirrors the record's JSON; its leaves are lists of what may be
//! there: values, `{"prefix": ..}`, `{"suffix": ..}`, `{"equals-ignore-case": ..}`,
//! `{"exists": ..}`, `{"anything-but": ..}`, `{"numeric": [">", 0, "<=", 5]}`.
//!
//! Lambda takes EventBridge's pattern syntax and rules (AWS Lambda developer guide, "Lambda
//! event filtering", filter rule syntax), and these are the ones a DynamoDB record meets:
//! - comparisons apply to leaves only: `{"name": [{"exists": true}]}` never matches the
//!   attribute `name`, which is `{"S": ...}` in the record; `{"name": {"S": [...]}}` does
//!   (EventBridge user guide, "Comparison operators": "only work on leaf nodes"; Lambda
//!   developer guide, "Using event filtering with a DynamoDB event source", the Exists
//!   operator);
//! - `numeric` compares JSON numbers only, and a DynamoDB number is a string (`{"N": "42"}`):
//!   it never matches one (EventBridge user guide, "Content filtering", numeric matching);
//! - a leaf that is an array in the record matches if any of its values does (EventBridge
//!   user guide, "Arrays in event patterns");
//! - a path that is not in the record is a leaf that does not exist: only `exists: false`
//!   matches it.
//!
//! A pattern Lambda would refuse ([`invalid`]) is refused when the local cloud starts, as
//! `CreateEventSourceMapping` refuses it.

use serde_json::{Map, Value};

/// Lambda's default quota of filters on one event source mapping (Lambda developer guide,
/// "Lambda event filtering": five, up to 10 on request).
pub const MAX_FILTERS: usize = 5;

/// The longest `Pattern` (Lambda API reference, `Filter`: length at most 4,096).
pub const MAX_PATTERN_CHARS: usize = 4096;

/// Whether the record passes: no patterns, or one that matches.
pub fn passes(patterns: &[Value], record: &Value) -> bool {
    patterns.is_empty()
        || patterns
            .iter()
            .any(|pattern| matches(pattern, Some(record)))
}

fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    let Value::Object(fields) = pattern else {
        return false;
    };
    fields.iter().all(|(key, inner)| {
        // A record's array of objects matches if one of them does.
        let values: Vec<Option<&Value>> = match value {
            Some(Value::Array(items)) => items.iter().map(|item| item.get(key)).collect(),
            Some(value) => vec![value.get(key)],
            None => vec![None],
        };
        let values = if values.is_empty() {
            vec![None]
        } else {
            values
        };
        values.into_iter().any(|value| match inner {
            Value::Array(rules) => leaf(rules, leaves(value)),
            nested => matches(nested, value),
        })
    })
}

/// The leaf values at a place in the record: none where it is missing or an object, the
/// scalars of an array, or the scalar itself.
fn leaves(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Object(_)) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter(|v| is_scalar(v)).collect(),
        Some(scalar) => vec![scalar],
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// One leaf: the record's values there match any of the rules in the list.
fn leaf(rules: &[Value], values: Vec<&Value>) -> bool {
    let any = |test: &dyn Fn(&Value) -> bool| values.iter().any(|value| test(value));
    rules.iter().any(|rule| match rule {
        Value::Object(rule) => match rule.iter().next() {
            Some((kind, argument)) => match kind.as_str() {
                "exists" => argument.as_bool() == Some(!values.is_empty()),
                "prefix" => any(&|v| both_str(v, argument, |v, a| v.starts_with(a))),
                "suffix" => any(&|v| both_str(v, argument, |v, a| v.ends_with(a))),
                "equals-ignore-case" => {
                    any(&|v| both_str(v, argument, |v, a| v.to_lowercase() == a.to_lowercase()))
                }
                "anything-but" => any(&|v| !excluded(argument, v)),
                "numeric" => any(&|v| v.as_f64().is_some_and(|n| numeric(argument, n))),
                _ => false,
            },
            None => false,
        },
        exact => any(&|v| v == exact),
    })
}

fn both_str(value: &Value, argument: &Value, test: impl Fn(&str, &str) -> bool) -> bool {
    value
        .as_str()
        .zip(argument.as_str())
        .is_some_and(|(value, argument)| test(value, argument))
}

/// `anything-but`'s argument: a value, a list of values, or `{"prefix": ...}`.
fn excluded(argument: &Value, value: &Value) -> bool {
    match argument {
        Value::Array(list) => list.contains(value),
        Value::Object(rule) => rule
            .get("prefix")
            .is_some_and(|prefix| both_str(value, prefix, |v, p| v.starts_with(p))),
        single => single == value,
    }
}

/// `[">", 0, "<=", 5]`: every comparison holds.
fn numeric(conditions: &Value, n: f64) -> bool {
    let Some(conditions) = conditions.as_array() else {
        return false;
    };
    conditions.chunks(2).all(|pair| match pair {
        [Value::String(op), bound] => bound.as_f64().is_some_and(|b| match op.as_str() {
            "=" => n == b,
            "<" => n < b,
            "<=" => n <= b,
            ">" => n > b,
            ">=" => n >= b,
            _ => false,
        }),
        _ => false,
    })
}

/// Why Lambda refuses `pattern` (as serverless.yml gives it, before the framework writes it
/// as JSON text), if it does: AWS answers `InvalidParameterValueException: Invalid filter
/// pattern definition.` for each of these.
pub fn invalid(pattern: &Value) -> Option<String> {
    match pattern {
        Value::Object(fields) => object_invalid(fields, ""),
        other => Some(format!(
            "a pattern is a mapping of the record's fields (like {{eventName: [INSERT]}}), not {}",
            kind(other)
        )),
    }
}

fn object_invalid(fields: &Map<String, Value>, path: &str) -> Option<String> {
    fields.iter().find_map(|(key, inner)| {
        let path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match inner {
            Value::Object(nested) => object_invalid(nested, &path),
            Value::Array(rules) if rules.is_empty() => Some(format!(
                "{path}: a list of what may be there cannot be empty"
            )),
            Value::Array(rules) => rules.iter().find_map(|rule| rule_invalid(rule, &path)),
            other => Some(format!(
                "{path}: {} where a list belongs (write [{}])",
                kind(other),
                other
            )),
        }
    })
}

fn rule_invalid(rule: &Value, path: &str) -> Option<String> {
    let Value::Object(rule) = rule else {
        return (!is_scalar(rule)).then(|| format!("{path}: a list inside a list of values"));
    };
    let mut entries = rule.iter();
    let (Some((kind, argument)), None) = (entries.next(), entries.next()) else {
        return Some(format!("{path}: a rule has exactly one operator"));
    };
    let fine = match kind.as_str() {
        "exists" => argument.is_boolean(),
        "prefix" | "suffix" | "equals-ignore-case" => argument.is_string(),
        "anything-but" => match argument {
            Value::Array(values) => !values.is_empty() && values.iter().all(is_scalar),
            Value::Object(inner) => {
                inner.len() == 1 && inner.get("prefix").is_some_and(Value::is_string)
            }
            scalar => is_scalar(scalar),
        },
        "numeric" => numeric_is_valid(argument),
        _ => return Some(format!("{path}: {kind:?} is not an operator Lambda knows")),
    };
    (!fine).then(|| format!("{path}: {kind}'s argument {argument} is not one it takes"))
}

/// `["=", n]`, or one bound from below and/or one from above, each a JSON number.
fn numeric_is_valid(argument: &Value) -> bool {
    let Some(items) = argument.as_array() else {
        return false;
    };
    let pairs: Option<Vec<(&str, f64)>> = items
        .chunks(2)
        .map(|pair| match pair {
            [Value::String(op), bound] => Some((op.as_str(), bound.as_f64()?)),
            _ => None,
        })
        .collect();
    let lower = |op: &str| matches!(op, ">" | ">=");
    let upper = |op: &str| matches!(op, "<" | "<=");
    match pairs.as_deref() {
        Some([("=", _)]) => true,
        Some([(op, _)]) => lower(op) || upper(op),
        Some([(first, low), (second, high)]) => lower(first) && upper(second) && low < high,
        _ => false,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests;
