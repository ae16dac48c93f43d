use std::path::Path;

use super::*;

const HEAD: &str = "service: s
functions:
  stream:
    handler: stream.handler
    events:
      - stream:
          type: dynamodb
          arn: !GetAtt Table.StreamArn\n";

const TABLE: &str = "resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}\n";

fn refusals(settings: &str) -> Vec<String> {
    let text = format!("{HEAD}{settings}{TABLE}");
    of(&ServerlessYml::parse(Path::new("serverless.yml"), &text).unwrap())
}

#[test]
fn the_solution_and_valid_settings_are_taken() {
    let dir = crate::project::root().join("7-finish");
    assert_eq!(
        of(&ServerlessYml::load(&dir).unwrap()),
        Vec::<String>::new()
    );
    let fine = "          batchSize: 10000\n          batchWindow: 300\n          \
                maximumRetryAttempts: -1\n          maximumRecordAgeInSeconds: 60\n          \
                parallelizationFactor: 10\n          tumblingWindowInSeconds: 0\n          \
                startingPosition: LATEST\n          filterPatterns:\n            \
                - eventName: [INSERT]\n";
    assert_eq!(refusals(fine), Vec::<String>::new());
}

/// Lambda API reference, CreateEventSourceMapping: each setting's valid range, in the API's
/// validation words; CloudFormation's AWS::Lambda::EventSourceMapping: no record age between
/// 0 and 59.
#[test]
fn settings_out_of_aws_ranges_are_refused_with_the_line() {
    assert_eq!(
        refusals("          batchSize: 20000\n"),
        [
            "line 9: function stream's stream event, batchSize: \"1 validation error detected: \
          Value '20000' at 'batchSize' failed to satisfy constraint: Member must have value \
          less than or equal to 10000\""
        ]
    );
    for (setting, line_has) in [
        ("batchSize: 0", "greater than or equal to 1"),
        ("batchWindow: 301", "'maximumBatchingWindowInSeconds'"),
        ("maximumRetryAttempts: -2", "greater than or equal to -1"),
        (
            "maximumRecordAgeInSeconds: 30",
            "shortest record age Lambda takes is 60",
        ),
        (
            "maximumRecordAgeInSeconds: 604801",
            "less than or equal to 604800",
        ),
        ("parallelizationFactor: 11", "less than or equal to 10"),
        ("tumblingWindowInSeconds: 901", "less than or equal to 900"),
        ("batchSize: ten", "a whole number here, not \"ten\""),
        ("startingPosition: AT_TIMESTAMP", "LATEST or TRIM_HORIZON"),
        (
            "functionResponseType: ReportFailures",
            "ReportBatchItemFailures",
        ),
    ] {
        let refused = refusals(&format!("          {setting}\n"));
        assert_eq!(refused.len(), 1, "{setting}: {refused:?}");
        assert!(refused[0].starts_with("line 9: "), "{}", refused[0]);
        assert!(refused[0].contains(line_has), "{setting}: {}", refused[0]);
    }
}

/// Lambda developer guide, "Lambda event filtering": at most five filters by default, and a
/// pattern that is not valid fails the mapping ("Invalid filter pattern definition."); the
/// Lambda API reference's Filter: a pattern of at most 4,096 characters.
#[test]
fn filters_aws_refuses_are_refused() {
    let refused = refusals("          filterPatterns:\n            - INSERT\n");
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].starts_with(
            "line 9: function stream's stream event, filterPatterns: pattern 1: \"Invalid \
             filter pattern definition.\""
        ),
        "{}",
        refused[0]
    );
    let six =
        "          filterPatterns:\n".to_owned() + &"            - eventName: [INSERT]\n".repeat(6);
    assert!(refusals(&six)[0].contains("6 patterns; Lambda takes 5"));
    let long = format!(
        "          filterPatterns:\n            - eventName: [\"{}\"]\n",
        "I".repeat(4096)
    );
    assert!(refusals(&long)[0].contains("less than or equal to 4096"));
}

/// AWS: a second mapping of the same stream to the same function is a conflict; a GetAtt of
/// a resource the template does not have is a template error.
#[test]
fn a_second_mapping_and_an_undefined_stream_are_refused() {
    let twice = "      - stream:\n          type: dynamodb\n          \
                 arn: !GetAtt Table.StreamArn\n";
    let refused = refusals(twice);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("line 11: function stream's stream event, arn: Lambda refuses"),
        "{}",
        refused[0]
    );
    let elsewhere = "      - stream:\n          type: dynamodb\n          \
                     arn: !GetAtt Missing.StreamArn\n";
    let refused = refusals(elsewhere);
    assert!(
        refused[0].contains("references undefined resource Missing"),
        "{}",
        refused[0]
    );
}
