//! JSON found in a function's log: every value that appears in the text, compact or
//! pretty-printed, behind any prefix. What checks and benches compare, not the text.

use serde_json::Value;

/// Every JSON object or array that appears in the text, outermost first.
pub fn json_values(text: &str) -> Vec<Value> {
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(['{', '[']) {
        let candidate = &rest[start..];
        let mut stream = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                values.push(value);
                rest = &candidate[stream.byte_offset()..];
            }
            _ => rest = &candidate[1..],
        }
    }
    values
}

/// Whether `needle` is `haystack` or any value inside it.
pub fn contains(haystack: &Value, needle: &Value) -> bool {
    haystack == needle
        || match haystack {
            Value::Array(items) => items.iter().any(|item| contains(item, needle)),
            Value::Object(fields) => fields.values().any(|field| contains(field, needle)),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_skips_what_is_not_json() {
        let values = json_values("a {b} [1, 2] {\"x\": {\"y\": 1}} {");
        assert_eq!(values, [json!([1, 2]), json!({"x": {"y": 1}})]);
    }
}
