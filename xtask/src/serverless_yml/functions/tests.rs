use super::*;

fn function(yaml: &str) -> Value {
    yaml_serde::from_str(yaml).unwrap()
}

#[test]
fn stream_settings_have_the_framework_defaults() {
    let definition = function(
        "events:\n  - stream:\n      type: dynamodb\n      arn: !GetAtt Table.StreamArn\n",
    );
    let streams = Function {
        name: "f",
        definition: &definition,
    }
    .dynamodb_streams();
    assert_eq!(
        streams,
        [StreamEvent {
            arn: Some(Intrinsic::GetAtt {
                resource: "Table".into(),
                attribute: "StreamArn".into(),
                dotted_long_form: false
            }),
            settings: StreamSettings {
                // The framework's defaults are Lambda's.
                mapping: MappingSettings::default(),
                enabled: true,
                on_failure: None,
                not_emulated: Vec::new(),
            }
        }]
    );
}

#[test]
fn an_on_failure_destination_is_read_in_each_spelling() {
    let settings = |destination: &str| {
        let definition = function(&format!(
            "events:\n  - stream:\n      type: dynamodb\n      destinations:\n        \
             onFailure:{destination}\n"
        ));
        Function {
            name: "f",
            definition: &definition,
        }
        .dynamodb_streams()
        .remove(0)
        .settings
        .on_failure
    };
    let queue =
        settings("\n          arn: !GetAtt FailedRecords.Arn\n          type: sqs").unwrap();
    assert_eq!(queue.resource(), Some("FailedRecords"));
    assert_eq!(queue.kind.as_deref(), Some("sqs"));
    let written = settings(" arn:aws:sqs:us-east-1:1:q").unwrap();
    assert_eq!(
        written.literal_arn.as_deref(),
        Some("arn:aws:sqs:us-east-1:1:q")
    );
    assert_eq!(written.resource(), None);
    let untyped = settings("\n          arn: !GetAtt FailedRecords.Arn").unwrap();
    assert_eq!(untyped.kind, None);
}

#[test]
fn http_routes_in_both_forms() {
    let definition = function("events:\n  - http: get users/{id}\n  - http:\n      path: /users/{id}/\n      method: put\n  - stream: x\n");
    let routes = Function {
        name: "f",
        definition: &definition,
    }
    .http_routes();
    let route = |method: &str| HttpRoute {
        method: method.into(),
        path: "users/{id}".into(),
    };
    assert_eq!(routes, [route("GET"), route("PUT")]);
}
