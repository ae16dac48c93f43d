//! The item `put-item` writes, checked: DynamoDB JSON, an object of typed values with a
//! string `id` (the table's key); no key written twice (JSON takes the last, silently). What
//! is refused is quoted short: the item may be large.

use anyhow::{bail, Result};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

const TYPES: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];

/// The item, checked: a JSON object of typed values with a string `id` (the table's key).
pub(super) fn parse_item(text: &str) -> Result<Value> {
    let item: Value = strict_json(text).map_err(|error| {
        anyhow::anyhow!(
            "ITEM is not JSON ({error}): {}\n(quote it for the shell: put-item '{{\"id\": \
             {{\"S\": \"bad-1\"}}}}')",
            short(text)
        )
    })?;
    let Some(fields) = item.as_object() else {
        bail!("ITEM must be a JSON object of attributes, e.g. {{\"id\": {{\"S\": \"bad-1\"}}}}");
    };
    for (name, value) in fields {
        check_typed(name, value)?;
    }
    match fields.get("id") {
        Some(id)
            if id
                .get("S")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()) => {}
        Some(_) => {
            bail!("`id` is the table's key, a string: write it as {{\"id\": {{\"S\": \"bad-1\"}}}}")
        }
        None => bail!(
            "the item has no `id`, the table's key: add one, e.g. \"id\": {{\"S\": \"bad-1\"}}"
        ),
    }
    Ok(item)
}

/// `{"S": "x"}` and the other one-key forms of DynamoDB JSON, nested ones too.
fn check_typed(name: &str, value: &Value) -> Result<()> {
    let typed: Option<(&String, &Value)> = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o: &Map<String, Value>| o.iter().next())
        .filter(|(kind, _)| TYPES.contains(&kind.as_str()));
    let Some((kind, inner)) = typed else {
        bail!(
            "`{}` is {}: in DynamoDB JSON each value names its type, e.g. \
             {{\"S\": \"text\"}}, {{\"N\": \"42\"}}, {{\"BOOL\": true}} ({} ...)",
            short(name),
            short(&value.to_string()),
            TYPES.join(", ")
        );
    };
    match (kind.as_str(), inner) {
        ("M", Value::Object(fields)) => fields
            .iter()
            .try_for_each(|(key, value)| check_typed(&format!("{name}.{key}"), value)),
        ("L", Value::Array(items)) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, value)| check_typed(&format!("{name}[{i}]"), value)),
        ("S" | "N" | "B", Value::String(_)) | ("BOOL" | "NULL", Value::Bool(_)) => Ok(()),
        ("SS" | "NS" | "BS", Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
        (kind, inner) => bail!(
            "`{}`: {{\"{kind}\": {}}} is not a valid {kind} value",
            short(name),
            short(&inner.to_string())
        ),
    }
}

/// JSON read as `serde_json` reads it, but a key written twice in one object is an error.
fn strict_json(text: &str) -> Result<Value, serde_json::Error> {
    struct Strict;
    impl<'de> Visitor<'de> for Strict {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element_seed(StrictSeed)? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut object = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let value = map.next_value_seed(StrictSeed)?;
                if object.insert(key.clone(), value).is_some() {
                    return Err(de::Error::custom(format!(
                        "the key {key:?} is written twice"
                    )));
                }
            }
            Ok(Value::Object(object))
        }
    }
    struct StrictSeed;
    impl<'de> de::DeserializeSeed<'de> for StrictSeed {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
            deserializer.deserialize_any(Strict)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = deserializer.deserialize_any(Strict)?;
    deserializer.end()?;
    Ok(value)
}

/// At most 200 characters of a text quoted back to the learner.
fn short(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}... ({} bytes)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        format!("{:#}", parse_item(text).unwrap_err())
    }

    #[test]
    fn a_typed_item_with_an_id_is_taken() {
        let item = r#"{"id": {"S": "bad-1"}, "name": {"N": "42"}, "tags": {"L": [{"M": {"a": {"BOOL": true}}}]}}"#;
        assert!(parse_item(item).is_ok());
    }

    #[test]
    fn each_mistake_is_named() {
        assert!(error("{id: 1}").starts_with("ITEM is not JSON"));
        assert!(error("[1]").starts_with("ITEM must be a JSON object"));
        assert!(error(r#"{"name": {"S": "x"}}"#).starts_with("the item has no `id`"));
        assert!(error(r#"{"id": {"N": "1"}}"#).starts_with("`id` is the table's key, a string"));
        assert!(error(r#"{"id": "1"}"#)
            .starts_with("`id` is \"1\": in DynamoDB JSON each value names its type"));
        assert!(error(r#"{"id": {"S": "1"}, "name": {"N": 42}}"#)
            .starts_with("`name`: {\"N\": 42} is not a valid N value"));
        assert!(error(r#"{"id": {"S": "1"}, "m": {"M": {"x": 1}}}"#).starts_with("`m.x` is 1"));
    }

    #[test]
    fn a_key_written_twice_and_a_large_mistake_are_said_short() {
        assert!(error(r#"{"id": {"S": "a"}, "id": {"S": "b"}}"#).contains("written twice"));
        let large = format!(r#"{{"id": {{"S": "1"}}, "x": "{}"}}"#, "y".repeat(108_000));
        let said = error(&large);
        assert!(said.len() < 1000, "{} bytes said", said.len());
        let invalid = format!("{{{}", "z".repeat(108_000));
        assert!(error(&invalid).len() < 1000);
    }
}
