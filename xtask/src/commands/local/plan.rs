//! What a local deployment of a step will run, read from its serverless.yml alone: the
//! functions, the API's routes, which functions the table's stream feeds and with which
//! settings, and the notes a learner should read. Pure: no process, no port, no table.

mod mapping_rules;
mod refusals;

use std::time::Duration;

use crate::lambda::api_gateway::routes::RouteSpec;
use crate::lambda::destination::{DestinationKind, DestinationName};
use crate::serverless_yml::destination::NoDestination;
use crate::serverless_yml::{self, Intrinsic, OnFailure, ServerlessYml, StreamSettings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Every function, with its handler (`""` when serverless.yml gives none).
    pub functions: Vec<(String, String)>,
    /// How long each function may run, by name (its `timeout`).
    pub timeouts: Vec<(String, Duration)>,
    pub routes: Vec<RouteSpec>,
    /// The functions the table's stream feeds, with their event's settings.
    pub pollers: Vec<(String, StreamSettings)>,
    /// The local queue, topic or bucket each poller's on-failure destination is, by function.
    pub destinations: Vec<(String, DestinationName)>,
    /// Whether the table has a stream (`StreamSpecification`).
    pub stream: bool,
    pub notes: Vec<String>,
    /// What AWS would refuse at deploy: a start or reload that has any does not go on.
    pub refused: Vec<String>,
}

impl Plan {
    pub fn of(yml: &ServerlessYml) -> Self {
        let table = yml.users_table();
        let table_id = table.map_or("Table", |(id, _)| id);
        let stream = table.is_some_and(|(_, resource)| {
            resource
                .get("Properties")
                .and_then(|p| p.get("StreamSpecification"))
                .is_some()
        });
        let mut plan = Plan {
            functions: Vec::new(),
            timeouts: Vec::new(),
            routes: Vec::new(),
            pollers: Vec::new(),
            destinations: Vec::new(),
            stream,
            notes: Vec::new(),
            refused: Vec::new(),
        };
        for function in yml.functions() {
            let name = function.name;
            plan.functions.push((
                name.to_owned(),
                function.handler().unwrap_or_default().to_owned(),
            ));
            plan.timeouts
                .push((name.to_owned(), yml.timeout(&function)));
            plan.routes.extend(function.routes());
            for event in function.dynamodb_streams() {
                let on_table_stream = matches!(
                    &event.arn,
                    Some(Intrinsic::GetAtt { resource, attribute, .. })
                        if resource == table_id && attribute == "StreamArn"
                );
                let note = match (stream, on_table_stream, event.settings.enabled) {
                    (true, true, true) => {
                        if !event.settings.not_emulated.is_empty() {
                            plan.notes.push(format!(
                                "function {name}'s stream event: {} not emulated here (AWS \
                                 keeps them; locally every record is delivered as it comes)",
                                event.settings.not_emulated.join(", ")
                            ));
                        }
                        if let Some(on_failure) = &event.settings.on_failure {
                            plan.keep_destination(yml, name, on_failure);
                        }
                        plan.pollers.push((name.to_owned(), event.settings));
                        continue;
                    }
                    (false, _, _) => format!(
                        "function {name} reads the table's stream, but the table has no stream \
                         yet: see README step 1 (StreamSpecification)"
                    ),
                    (_, false, _) => format!(
                        "function {name}'s stream event is not on {table_id}.StreamArn: it gets \
                         no records here"
                    ),
                    (_, _, false) => format!("function {name}'s stream event is disabled"),
                };
                plan.notes.push(note);
            }
        }
        plan.refused.extend(refusals::of(yml));
        plan.refused.extend(mapping_rules::of(yml));
        plan
    }

    /// The destination `function`'s stream event names, with what to know of it; or why it
    /// is not kept here (refused when the deploy would fail on it).
    fn keep_destination(&mut self, yml: &ServerlessYml, function: &str, on_failure: &OnFailure) {
        match serverless_yml::destination::of(yml, on_failure) {
            Ok(kept) => {
                if kept.kind == DestinationKind::Bucket {
                    self.notes.push(format!(
                        "function {function}'s on-failure destination is {kept}: on AWS its \
                         role needs s3:PutObject and s3:ListBucket on it (the framework grants \
                         a queue's or a topic's permissions only): add them under \
                         provider.iam.role.statements"
                    ));
                }
                self.destinations.push((function.to_owned(), kept));
            }
            Err(NoDestination::Refused(why)) => self.refused.push(format!(
                "function {function}'s on-failure destination: {why}"
            )),
            Err(NoDestination::NotHere(why)) => self.notes.push(format!(
                "function {function}'s on-failure destination: {why}"
            )),
        }
    }

    /// An error with what AWS would refuse, if anything.
    pub fn refuse_what_aws_would(&self) -> anyhow::Result<()> {
        if self.refused.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "serverless.yml has what AWS refuses at deploy, so it does not run here either:\n  {}",
            self.refused.join("\n  ")
        )
    }

    /// The local queue, topic or bucket that keeps word of what `function`'s stream skips.
    pub fn destination(&self, function: &str) -> Option<&DestinationName> {
        self.destinations
            .iter()
            .find(|(name, _)| name == function)
            .map(|(_, kept)| kept)
    }

    /// The function's timeout (6 s for a function the plan does not know).
    pub fn timeout(&self, function: &str) -> Duration {
        self.timeouts
            .iter()
            .find(|(name, _)| name == function)
            .map_or(Duration::from_secs(6), |(_, timeout)| *timeout)
    }

    /// The stream's line of the summary.
    pub fn stream_summary(&self) -> String {
        match (self.stream, self.pollers.as_slice()) {
            (false, _) => {
                "off: the table has no stream yet (README step 1: StreamSpecification)".to_owned()
            }
            (true, []) => "on: no function reads it yet (README step 2)".to_owned(),
            (true, pollers) => format!(
                "on: its records go to {}",
                pollers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan_of(step: &str) -> Plan {
        let dir = crate::project::root().join(step);
        Plan::of(&ServerlessYml::load(&dir).unwrap())
    }

    #[test]
    fn the_solution_feeds_its_stream_function_with_its_settings() {
        let plan = plan_of("7-finish");
        assert_eq!(plan.functions.len(), 4);
        assert_eq!(plan.routes.len(), 3);
        assert_eq!(plan.pollers.len(), 1);
        let (name, settings) = &plan.pollers[0];
        assert_eq!(name, "stream");
        assert_eq!(settings.mapping.maximum_retry_attempts, Some(3));
        assert!(settings.mapping.bisect && settings.mapping.report_batch_item_failures);
        assert_eq!(plan.stream_summary(), "on: its records go to stream");
        assert!(plan.notes.is_empty());
        // No `timeout` in serverless.yml: the framework's 6 seconds.
        assert_eq!(plan.timeout("stream"), Duration::from_secs(6));
    }

    /// The framework grants the rights `type` names (its stream.js): a type that disagrees
    /// with the destination deploys a function that cannot send to it. Refused, with how to fix.
    #[test]
    fn a_destination_whose_type_disagrees_is_refused() {
        let yml = std::fs::read_to_string(crate::project::root().join("7-finish/serverless.yml"))
            .unwrap()
            .replace("              type: sqs", "              type: sns");
        let plan = Plan::of(&ServerlessYml::parse(Path::new("serverless.yml"), &yml).unwrap());
        assert_eq!(
            plan.refused,
            [
                "function stream's on-failure destination: SkippedRecords is a queue, but its \
              `type` says topic: the framework gives the function the rights `type` names. Make \
              them agree: `type: sqs` for a queue, `type: sns` for a topic, no type for a \
              bucket's ARN"
            ]
        );
        assert!(plan.destinations.is_empty());
    }

    #[test]
    fn a_stream_function_without_a_table_stream_gets_a_note() {
        let text = "service: s\nfunctions:\n  s:\n    handler: stream.handler\n    events:\n      - stream:\n          type: dynamodb\n          arn: !GetAtt Table.StreamArn\nresources:\n  Resources:\n    Table:\n      Type: AWS::DynamoDB::Table\n";
        let plan = Plan::of(&ServerlessYml::parse(Path::new("serverless.yml"), text).unwrap());
        assert_eq!(
            plan.notes,
            [
                "function s reads the table's stream, but the table has no stream yet: see README \
              step 1 (StreamSpecification)"
            ]
        );
        let disabled = text.replace("type: dynamodb", "type: dynamodb\n          enabled: false")
            .replace("      Type: AWS::DynamoDB::Table\n", "      Type: AWS::DynamoDB::Table\n      Properties:\n        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}\n");
        let plan = Plan::of(&ServerlessYml::parse(Path::new("serverless.yml"), &disabled).unwrap());
        assert_eq!(plan.notes, ["function s's stream event is disabled"]);
        assert_eq!(
            plan.stream_summary(),
            "on: no function reads it yet (README step 2)"
        );
        let filtered = disabled.replace(
            "enabled: false",
            "filterPatterns: [{eventName: [INSERT]}]\n          batchWindow: 5\n          parallelizationFactor: 2",
        );
        let plan = Plan::of(&ServerlessYml::parse(Path::new("serverless.yml"), &filtered).unwrap());
        assert_eq!(
            plan.notes,
            [
                "function s's stream event: parallelizationFactor not emulated here (AWS keeps \
              them; locally every record is delivered as it comes)"
            ]
        );
        assert_eq!(plan.pollers[0].1.mapping.batch_window_seconds, 5);
        assert_eq!(plan.stream_summary(), "on: its records go to s");
        assert_eq!(
            plan.pollers[0].1.mapping.filter_patterns,
            [serde_json::json!({"eventName": ["INSERT"]})]
        );
    }
}
