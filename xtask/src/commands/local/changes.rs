//! What a saved serverless.yml changed in a running local deployment, as typed values: the
//! plan's differences ([`between`]) and what the service met applying them. Each is rendered
//! once, as its `watch:` line ([`fmt::Display`]); nothing reads these lines back.

use std::fmt;
use std::time::Duration;

use super::plan::Plan;
use crate::lambda::api_gateway::routes::RouteSpec;
use crate::lambda::service::FunctionChange;
use crate::serverless_yml::StreamSettings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    FunctionAdded {
        function: String,
        handler: String,
    },
    HandlerChanged {
        function: String,
        before: String,
        after: String,
    },
    FunctionRemoved {
        function: String,
    },
    TimeoutChanged {
        function: String,
        before: Duration,
        after: Duration,
    },
    RouteAdded(RouteSpec),
    RouteRemoved(RouteSpec),
    StreamOn,
    StreamOff,
    /// The stream's records now go to this function.
    Feeds {
        function: String,
    },
    /// Settings of a function's stream event, each as `name before -> after`.
    FeedSettings {
        function: String,
        settings: Vec<Setting>,
    },
    NoLongerFeeds {
        function: String,
    },
    Note(String),
    /// Met while applying the plan: a function's environment changed.
    EnvironmentChanged {
        function: String,
    },
    /// Met while applying the plan: a function could not start its new version.
    DidNotStart {
        function: String,
        error: String,
    },
    /// The table's keys, billing or name differ: only a restart makes a new table.
    TableDiffers,
}

/// One setting of a stream event that differs, in serverless.yml's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub before: String,
    pub after: String,
}

impl From<FunctionChange> for Change {
    fn from(met: FunctionChange) -> Self {
        match met {
            FunctionChange::EnvironmentChanged { function } => {
                Change::EnvironmentChanged { function }
            }
            FunctionChange::DidNotStart { function, error } => {
                Change::DidNotStart { function, error }
            }
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::FunctionAdded { function, handler } => {
                write!(f, "function {function} added ({handler})")
            }
            Change::HandlerChanged {
                function,
                before,
                after,
            } => write!(f, "function {function}: handler {before} -> {after}"),
            Change::FunctionRemoved { function } => write!(f, "function {function} removed"),
            Change::TimeoutChanged {
                function,
                before,
                after,
            } => write!(
                f,
                "function {function}: timeout {} s -> {} s",
                before.as_secs(),
                after.as_secs()
            ),
            Change::RouteAdded(route) => {
                write!(f, "route {} -> {} added", route.describe(), route.function)
            }
            Change::RouteRemoved(route) => {
                write!(
                    f,
                    "route {} -> {} removed",
                    route.describe(),
                    route.function
                )
            }
            Change::StreamOn => write!(f, "the table's stream is on"),
            Change::StreamOff => write!(f, "the table's stream is off"),
            Change::Feeds { function } => write!(f, "the stream's records now go to {function}"),
            Change::FeedSettings { function, settings } => {
                let settings: Vec<String> = settings
                    .iter()
                    .map(|s| format!("{} {} -> {}", s.name, s.before, s.after))
                    .collect();
                write!(f, "{function}'s stream event: {}", settings.join(", "))
            }
            Change::NoLongerFeeds { function } => {
                write!(f, "{function} no longer gets the stream's records")
            }
            Change::Note(note) => write!(f, "note: {note}"),
            Change::EnvironmentChanged { function } => {
                write!(f, "function {function}: its environment changed")
            }
            Change::DidNotStart { function, error } => write!(f, "function {function}: {error}"),
            Change::TableDiffers => write!(
                f,
                "the table's definition differs from the running table's (keys, billing, \
                 name...): the local table keeps its own. Restart `cargo xtask deploy --local \
                 --watch` for a new table (the running table's items are then kept aside)"
            ),
        }
    }
}

/// What differs between two plans, in the order a learner reads it.
pub fn between(old: &Plan, new: &Plan) -> Vec<Change> {
    let mut changes = Vec::new();
    let known = |plan: &Plan, name: &str| plan.functions.iter().any(|(n, _)| n == name);
    for (name, handler) in &new.functions {
        match old.functions.iter().find(|(n, _)| n == name) {
            None => changes.push(Change::FunctionAdded {
                function: name.clone(),
                handler: handler.clone(),
            }),
            Some((_, before)) if before != handler => changes.push(Change::HandlerChanged {
                function: name.clone(),
                before: before.clone(),
                after: handler.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, _) in old.functions.iter().filter(|(n, _)| !known(new, n)) {
        changes.push(Change::FunctionRemoved {
            function: name.clone(),
        });
    }
    for (name, timeout) in &new.timeouts {
        let before = old.timeout(name);
        if known(old, name) && before != *timeout {
            changes.push(Change::TimeoutChanged {
                function: name.clone(),
                before,
                after: *timeout,
            });
        }
    }
    for route in new.routes.iter().filter(|r| !old.routes.contains(r)) {
        changes.push(Change::RouteAdded(route.clone()));
    }
    for route in old.routes.iter().filter(|r| !new.routes.contains(r)) {
        changes.push(Change::RouteRemoved(route.clone()));
    }
    match (old.stream, new.stream) {
        (false, true) => changes.push(Change::StreamOn),
        (true, false) => changes.push(Change::StreamOff),
        _ => {}
    }
    for (name, settings) in &new.pollers {
        match old.pollers.iter().find(|(n, _)| n == name) {
            None => changes.push(Change::Feeds {
                function: name.clone(),
            }),
            Some((_, before)) => {
                let settings = setting_changes(before, settings);
                if !settings.is_empty() {
                    changes.push(Change::FeedSettings {
                        function: name.clone(),
                        settings,
                    });
                }
            }
        }
    }
    for (name, _) in &old.pollers {
        if !new.pollers.iter().any(|(n, _)| n == name) {
            changes.push(Change::NoLongerFeeds {
                function: name.clone(),
            });
        }
    }
    for note in new.notes.iter().filter(|n| !old.notes.contains(n)) {
        changes.push(Change::Note(note.clone()));
    }
    changes
}

/// Each setting that differs, shown as serverless.yml writes it.
fn setting_changes(old: &StreamSettings, new: &StreamSettings) -> Vec<Setting> {
    let shown = |settings: &StreamSettings| -> Vec<(&'static str, String)> {
        let or_unset = |value: Option<String>| value.unwrap_or_else(|| "(not set)".to_owned());
        let position = match settings.mapping.from_latest {
            true => "LATEST",
            false => "TRIM_HORIZON",
        };
        let response_type = match settings.mapping.report_batch_item_failures {
            true => "ReportBatchItemFailures",
            false => "(not set)",
        };
        let on_failure = settings.on_failure.as_ref().map(|destination| {
            let named = destination
                .resource()
                .or(destination.literal_arn.as_deref());
            named.unwrap_or("?").to_owned()
        });
        vec![
            ("batchSize", settings.mapping.batch_size.to_string()),
            ("startingPosition", position.to_owned()),
            ("functionResponseType", response_type.to_owned()),
            (
                "maximumRetryAttempts",
                or_unset(
                    settings
                        .mapping
                        .maximum_retry_attempts
                        .map(|n| n.to_string()),
                ),
            ),
            (
                "bisectBatchOnFunctionError",
                settings.mapping.bisect.to_string(),
            ),
            (
                "maximumRecordAgeInSeconds",
                or_unset(
                    settings
                        .mapping
                        .maximum_record_age_seconds
                        .map(|n| n.to_string()),
                ),
            ),
            (
                "batchWindow",
                settings.mapping.batch_window_seconds.to_string(),
            ),
            ("destinations.onFailure", or_unset(on_failure)),
            (
                "filterPatterns",
                serde_json::Value::from(settings.mapping.filter_patterns.clone()).to_string(),
            ),
        ]
    };
    shown(old)
        .into_iter()
        .zip(shown(new))
        .filter(|((_, before), (_, after))| before != after)
        .map(|((name, before), (_, after))| Setting {
            name,
            before,
            after,
        })
        .collect()
}

#[cfg(test)]
mod tests;
