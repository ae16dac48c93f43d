//! Each rule with its source. The whole mapping (table, stream, poller, function) is held by
//! `xtask/tests/conformance.rs`; these hold the rules one by one.

use super::*;
use serde_json::json;

fn record(event: &str, name: Value) -> Value {
    json!({"eventName": event, "dynamodb": {
        "ApproximateCreationDateTime": 1_732_558_060.0,
        "NewImage": {"id": {"S": "1"}, "name": name}}})
}

fn on_name(rule: Value) -> [Value; 1] {
    [json!({"dynamodb": {"NewImage": {"name": rule}}})]
}

#[test]
fn no_patterns_let_everything_through() {
    assert!(passes(&[], &record("INSERT", json!({"S": "a"}))));
}

/// Lambda developer guide, "Lambda event filtering": Or within a list, and a record that
/// satisfies any one filter is sent.
#[test]
fn any_value_of_a_list_and_any_pattern_of_several() {
    let patterns = [json!({"eventName": ["INSERT", "MODIFY"]})];
    assert!(passes(&patterns, &record("INSERT", json!({"S": "a"}))));
    assert!(!passes(&patterns, &record("REMOVE", json!({"S": "a"}))));
    let patterns = [
        json!({"eventName": ["REMOVE"]}),
        json!({"eventName": ["INSERT"]}),
    ];
    assert!(passes(&patterns, &record("INSERT", json!({"S": "a"}))));
}

/// Lambda developer guide, "Using event filtering with a DynamoDB event source", the Exists
/// operator: it works on leaf nodes only, so it is written through the type key. AWS, as
/// recorded: without the `S` an attribute that is there does not "exist", and `exists: false`
/// matches it.
#[test]
fn exists_sees_leaves_only() {
    let ada = record("INSERT", json!({"S": "Ada"}));
    assert!(passes(&on_name(json!({"S": [{"exists": true}]})), &ada));
    assert!(!passes(&on_name(json!({"S": [{"exists": false}]})), &ada));
    assert!(!passes(&on_name(json!([{"exists": true}])), &ada));
    assert!(passes(&on_name(json!([{"exists": false}])), &ada));
    // The wrong type key is a leaf that is not there.
    assert!(!passes(&on_name(json!({"N": [{"exists": true}]})), &ada));
    assert!(passes(&on_name(json!({"N": [{"exists": false}]})), &ada));
    // A path under a missing field does not exist either.
    let missing = [json!({"dynamodb": {"OldImage": {"name": {"S": [{"exists": false}]}}}})];
    assert!(passes(&missing, &ada));
}

/// EventBridge user guide, "Content filtering", numeric matching: JSON numbers only. A
/// DynamoDB number is a string in the record, and AWS (recorded) did not deliver
/// `{"N": "101"}` to a `> 100` filter; `ApproximateCreationDateTime` is a number.
#[test]
fn numeric_compares_json_numbers_not_dynamodb_number_strings() {
    let answer = record("INSERT", json!({"N": "101"}));
    assert!(!passes(
        &on_name(json!({"N": [{"numeric": [">", 100]}]})),
        &answer
    ));
    let created = |rule: Value| [json!({"dynamodb": {"ApproximateCreationDateTime": rule}})];
    assert!(passes(
        &created(json!([{"numeric": [">", 1_700_000_000, "<=", 1_800_000_000]}])),
        &answer
    ));
    assert!(!passes(
        &created(json!([{"numeric": ["<", 1_700_000_000]}])),
        &answer
    ));
    // Equality on the string itself is how a DynamoDB number is matched.
    assert!(passes(&on_name(json!({"N": ["101"]})), &answer));
}

/// Lambda developer guide, "Lambda event filtering": prefix (and EventBridge's suffix and
/// equals-ignore-case) on strings; anything-but on a value, a list, or a prefix.
#[test]
fn string_rules_and_anything_but() {
    let ada = record("INSERT", json!({"S": "Ada"}));
    assert!(passes(&on_name(json!({"S": [{"prefix": "A"}]})), &ada));
    assert!(!passes(&on_name(json!({"S": [{"prefix": "B"}]})), &ada));
    assert!(passes(&on_name(json!({"S": [{"suffix": "da"}]})), &ada));
    assert!(passes(
        &on_name(json!({"S": [{"equals-ignore-case": "ADA"}]})),
        &ada
    ));
    assert!(passes(
        &on_name(json!({"S": [{"anything-but": ["Bob"]}]})),
        &ada
    ));
    assert!(!passes(
        &on_name(json!({"S": [{"anything-but": "Ada"}]})),
        &ada
    ));
    assert!(!passes(
        &on_name(json!({"S": [{"anything-but": {"prefix": "A"}}]})),
        &ada
    ));
    // anything-but needs the leaf: a missing one is not "anything".
    assert!(!passes(
        &on_name(json!({"N": [{"anything-but": "x"}]})),
        &ada
    ));
}

/// EventBridge user guide, "Arrays in event patterns": a record's list matches if any of its
/// values does (a string set, `SS`).
#[test]
fn a_list_in_the_record_matches_by_any_value() {
    let tagged = record("INSERT", json!({"SS": ["blue", "red"]}));
    assert!(passes(&on_name(json!({"SS": ["red"]})), &tagged));
    assert!(!passes(&on_name(json!({"SS": ["green"]})), &tagged));
}

/// Lambda developer guide, "Lambda event filtering", filtering Kinesis and DynamoDB records:
/// a pattern that is not valid fails at the mapping's creation; AWS answers "Invalid filter
/// pattern definition." (recorded for a bare string, broken JSON, a scalar where a list
/// belongs).
#[test]
fn patterns_lambda_refuses_are_named() {
    for refused in [
        json!("INSERT"),
        json!(["INSERT"]),
        json!({"eventName": "INSERT"}),
        json!({"eventName": []}),
        json!({"eventName": [["INSERT"]]}),
        json!({"dynamodb": {"NewImage": {"name": {"S": [{"exists": "yes"}]}}}}),
        json!({"eventName": [{"prefix": "I", "suffix": "T"}]}),
        json!({"eventName": [{"contains": "NS"}]}),
        json!({"dynamodb": {"SizeBytes": [{"numeric": [">", "10"]}]}}),
        json!({"dynamodb": {"SizeBytes": [{"numeric": ["<", 5, ">", 1]}]}}),
        json!({"dynamodb": {"SizeBytes": [{"numeric": [">", 5, "<", 1]}]}}),
    ] {
        assert!(invalid(&refused).is_some(), "{refused}");
    }
    for fine in [
        json!({"eventName": ["INSERT"]}),
        json!({"dynamodb": {"NewImage": {"name": {"S": [{"exists": true}, "Ada", null]}}}}),
        json!({"dynamodb": {"SizeBytes": [{"numeric": [">", 1, "<=", 5]}]}}),
        json!({"dynamodb": {"SizeBytes": [{"numeric": ["=", 3]}]}}),
        json!({"eventName": [{"anything-but": {"prefix": "MOD"}}]}),
    ] {
        assert_eq!(invalid(&fine), None, "{fine}");
    }
    assert_eq!(
        invalid(&json!({"eventName": "INSERT"})).as_deref(),
        Some("eventName: a string where a list belongs (write [\"INSERT\"])")
    );
}
