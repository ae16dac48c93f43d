//! Lambda's event filtering (`filterPatterns` of a stream event): a record reaches the
//! function only if it matches one of the patterns; the others are dropped and the stream
//! moves past them. A pattern mirrors the record's JSON; its leaves are lists of what may be
//! there: values, `{"prefix": ..}`, `{"exists": ..}`, `{"anything-but": ..}`,
//! `{"numeric": [">", 0, "<=", 5]}` (AWS Lambda, "Lambda event filtering").

use serde_json::Value;

/// Whether the record passes: no patterns, or one that matches.
pub fn passes(patterns: &[Value], record: &Value) -> bool {
    patterns.is_empty()
        || patterns
            .iter()
            .any(|pattern| matches(pattern, Some(record)))
}

fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(key, inner)| {
            let value = value.and_then(|v| v.get(key));
            match inner {
                Value::Array(_) => leaf(inner, value),
                _ => value.is_some() && matches(inner, value),
            }
        }),
        Value::Array(_) => leaf(pattern, value),
        _ => false,
    }
}

/// One leaf: the record's value matches any of the rules in the list.
fn leaf(rules: &Value, value: Option<&Value>) -> bool {
    let Some(rules) = rules.as_array() else {
        return false;
    };
    rules.iter().any(|rule| match rule {
        Value::Object(rule) => rule.iter().all(|(kind, argument)| match kind.as_str() {
            "exists" => argument.as_bool() == Some(value.is_some()),
            "prefix" => value
                .and_then(Value::as_str)
                .zip(argument.as_str())
                .is_some_and(|(value, prefix)| value.starts_with(prefix)),
            "anything-but" => value.is_some_and(|value| match argument {
                Value::Array(excluded) => !excluded.contains(value),
                excluded => excluded != value,
            }),
            "numeric" => value.and_then(number).is_some_and(|n| numeric(argument, n)),
            _ => false,
        }),
        exact => value == Some(exact),
    })
}

/// DynamoDB numbers arrive as strings (`{"N": "42"}`).
fn number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str()?.parse().ok())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(event: &str, name: Value) -> Value {
        json!({"eventName": event, "dynamodb": {"NewImage": {"id": {"S": "1"}, "name": name}}})
    }

    #[test]
    fn no_patterns_let_everything_through() {
        assert!(passes(&[], &record("INSERT", json!({"S": "a"}))));
    }

    #[test]
    fn an_event_name_pattern_keeps_only_those_events() {
        let patterns = [json!({"eventName": ["INSERT", "MODIFY"]})];
        assert!(passes(&patterns, &record("INSERT", json!({"S": "a"}))));
        assert!(!passes(&patterns, &record("REMOVE", json!({"S": "a"}))));
    }

    #[test]
    fn image_patterns_with_prefix_exists_anything_but_and_numeric() {
        let name = |rule: Value| [json!({"dynamodb": {"NewImage": {"name": rule}}})];
        let ada = record("INSERT", json!({"S": "Ada"}));
        assert!(passes(&name(json!({"S": [{"prefix": "A"}]})), &ada));
        assert!(!passes(&name(json!({"S": [{"prefix": "B"}]})), &ada));
        assert!(passes(
            &name(json!({"S": [{"anything-but": ["Bob"]}]})),
            &ada
        ));
        assert!(!passes(
            &name(json!({"S": [{"anything-but": "Ada"}]})),
            &ada
        ));
        assert!(!passes(&name(json!({"N": [{"exists": true}]})), &ada));
        assert!(passes(&name(json!({"N": [{"exists": false}]})), &ada));
        let answer = record("INSERT", json!({"N": "42"}));
        assert!(passes(
            &name(json!({"N": [{"numeric": [">", 40, "<=", 42]}]})),
            &answer
        ));
        assert!(!passes(
            &name(json!({"N": [{"numeric": ["<", 40]}]})),
            &answer
        ));
    }

    #[test]
    fn one_matching_pattern_of_several_is_enough() {
        let patterns = [
            json!({"eventName": ["REMOVE"]}),
            json!({"eventName": ["INSERT"]}),
        ];
        assert!(passes(&patterns, &record("INSERT", json!({"S": "a"}))));
    }
}
