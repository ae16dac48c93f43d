//! A stream record's `SizeBytes` as DynamoDB counts it: the bytes of the attribute names and
//! values over its keys and images (DynamoDB developer guide, "DynamoDB item sizes and
//! formats"; recorded AWS records agree), not the length of their JSON.

use base64::Engine as _;
use serde_json::Value;

/// The size of the keys and images of a record's `dynamodb` part.
pub fn of_change(change: &Value) -> usize {
    ["Keys", "NewImage", "OldImage"]
        .iter()
        .map(|part| item(&change[*part]))
        .sum()
}

/// An item (or a map's content): each attribute's name and value.
fn item(attributes: &Value) -> usize {
    attributes.as_object().map_or(0, |attributes| {
        attributes
            .iter()
            .map(|(name, value)| name.len() + attribute(value))
            .sum()
    })
}

/// One typed value (`{"S": "Ada"}`).
fn attribute(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|v| v.iter().next()) else {
        return 0;
    };
    let each = |size: fn(&Value) -> usize| inner.as_array().map_or(0, |v| v.iter().map(size).sum());
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => number(inner),
        "B" => binary(inner),
        "BOOL" | "NULL" => 1,
        "SS" => each(|v| v.as_str().map_or(0, str::len)),
        "NS" => each(number),
        "BS" => each(binary),
        // A list or a map: 3 bytes, and 1 more for each element.
        "L" => 3 + each(|v| 1 + attribute(v)),
        "M" => {
            3 + inner.as_object().map_or(0, |m| {
                m.iter()
                    .map(|(name, v)| name.len() + 1 + attribute(v))
                    .sum()
            })
        }
        _ => 0,
    }
}

/// 1 byte per two significant digits, and 1 more; leading and trailing zeros do not count.
fn number(value: &Value) -> usize {
    let text = value.as_str().unwrap_or_default();
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// The raw bytes, not their base64.
fn binary(value: &Value) -> usize {
    let text = value.as_str().unwrap_or_default();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_or(text.len(), |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The developer guide's rules, one type at a time.
    #[test]
    fn names_and_values_are_counted_as_dynamodb_counts_them() {
        let size = |image: Value| item(&image);
        assert_eq!(size(json!({"id": {"S": "user-1"}})), 2 + 6);
        assert_eq!(size(json!({"name": {"S": "Zoë"}})), 4 + 4);
        assert_eq!(size(json!({"n": {"N": "101"}})), 1 + 2 + 1);
        assert_eq!(size(json!({"n": {"N": "-0.00120"}})), 1 + 1 + 1);
        assert_eq!(size(json!({"n": {"N": "12345"}})), 1 + 3 + 1);
        assert_eq!(size(json!({"b": {"B": "AAEC"}})), 1 + 3);
        assert_eq!(
            size(json!({"ok": {"BOOL": true}, "x": {"NULL": true}})),
            3 + 2
        );
        assert_eq!(size(json!({"t": {"SS": ["a", "bc"]}})), 1 + 3);
        assert_eq!(
            size(json!({"l": {"L": [{"S": "a"}, {"N": "1"}]}})),
            1 + 3 + 2 + 3
        );
        assert_eq!(
            size(json!({"m": {"M": {"k": {"S": "v"}}}})),
            1 + 3 + 1 + 1 + 1
        );
        assert_eq!(size(json!({"m": {"M": {}}})), 1 + 3);
    }

    /// A record AWS made: the original workshop's MODIFY of user 1 from "test" to "test2"
    /// (its README, recorded on AWS) says `"SizeBytes": 26`.
    #[test]
    fn the_workshops_recorded_aws_record_has_this_size() {
        let modify = json!({
            "Keys": {"id": {"S": "1"}},
            "NewImage": {"name": {"S": "test2"}, "id": {"S": "1"}},
            "OldImage": {"name": {"S": "test"}, "id": {"S": "1"}},
        });
        assert_eq!(of_change(&modify), 26);
    }

    /// An INSERT counts its keys and its new image; a MODIFY both images.
    #[test]
    fn a_change_counts_its_keys_and_images() {
        let keys = json!({"id": {"S": "1"}});
        let image = json!({"id": {"S": "1"}, "name": {"S": "Ada"}});
        let insert = json!({"Keys": keys, "NewImage": image});
        assert_eq!(of_change(&insert), 3 + (3 + 7));
        let modify = json!({"Keys": keys, "NewImage": image, "OldImage": image});
        assert_eq!(of_change(&modify), 3 + 10 + 10);
    }
}
