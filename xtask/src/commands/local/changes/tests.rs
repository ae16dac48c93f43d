use super::*;
use crate::serverless_yml::ServerlessYml;
use std::path::Path;

fn lines(changes: Vec<Change>) -> Vec<String> {
    changes.iter().map(Change::to_string).collect()
}

#[test]
fn a_change_of_serverless_yml_is_told_one_line_each() {
    let finish =
        std::fs::read_to_string(crate::project::root().join("7-finish/serverless.yml")).unwrap();
    let parse =
        |text: &str| Plan::of(&ServerlessYml::parse(Path::new("serverless.yml"), text).unwrap());
    let before = parse(&finish);
    assert_eq!(between(&before, &before), []);
    let tuned = finish.replace(
        "maximumRetryAttempts: 3",
        "maximumRetryAttempts: 3\n          batchSize: 5",
    );
    assert_eq!(
        between(&before, &parse(&tuned)),
        [Change::FeedSettings {
            function: "stream".to_owned(),
            settings: vec![Setting {
                name: "batchSize",
                before: "10".to_owned(),
                after: "5".to_owned()
            }]
        }]
    );
    assert_eq!(
        lines(between(&before, &parse(&tuned))),
        ["stream's stream event: batchSize 10 -> 5"]
    );
    // Without the stream function and the table's stream: as the exercise starts.
    let mut yml: yaml_serde::Value = yaml_serde::from_str(&finish).unwrap();
    yml["functions"].as_mapping_mut().unwrap().remove("stream");
    yml["resources"]["Resources"]["Table"]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("StreamSpecification");
    let without = parse(&yaml_serde::to_string(&yml).unwrap());
    assert_eq!(
        lines(between(&without, &before)),
        [
            "function stream added (stream.handler)",
            "the table's stream is on",
            "the stream's records now go to stream"
        ]
    );
    assert_eq!(
        lines(between(&before, &without)),
        [
            "function stream removed",
            "the table's stream is off",
            "stream no longer gets the stream's records"
        ]
    );
}
