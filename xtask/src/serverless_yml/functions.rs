//! The entries of `functions:` and their events, with the Serverless Framework's defaults.

use yaml_serde::Value;

use local_cloud::lambda::api_gateway::routes::RouteSpec;
use local_cloud::lambda::event_source::MappingSettings;

use super::intrinsic::{intrinsic, Intrinsic};

/// One entry of `functions:`.
#[derive(Debug, Clone, Copy)]
pub struct Function<'a> {
    pub name: &'a str,
    pub definition: &'a Value,
}

/// An `http` event: `method` and `path` (without its slashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    pub method: String,
    pub path: String,
}

/// A `stream` event of `type: dynamodb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// Its `arn`, if it is an intrinsic (`!GetAtt Table.StreamArn`).
    pub arn: Option<Intrinsic>,
    pub settings: StreamSettings,
}

/// A `stream` event's settings, with the Serverless Framework's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// What the mapping delivers, when, and what it retries.
    pub mapping: MappingSettings,
    pub enabled: bool,
    /// `destinations.onFailure`: where Lambda sends word of the records it gives up on.
    pub on_failure: Option<OnFailure>,
    /// Settings written but not emulated locally (`parallelizationFactor`...).
    pub not_emulated: Vec<String>,
}

/// `destinations: { onFailure: ... }` of a stream event: an ARN (an intrinsic, or written out)
/// and the kind of destination, `sqs` or `sns` (which the framework cannot tell from an
/// intrinsic by itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnFailure {
    /// `arn` as an intrinsic (`!GetAtt FailedRecords.Arn`).
    pub arn: Option<Intrinsic>,
    /// `arn` written out (`arn:aws:sqs:...`), or the short form `onFailure: arn:...`.
    pub literal_arn: Option<String>,
    /// `type`, as written.
    pub kind: Option<String>,
}

impl OnFailure {
    fn of(event: &Value) -> Option<Self> {
        let on_failure = event.get("destinations")?.get("onFailure")?;
        if let Some(arn) = on_failure.as_str() {
            return Some(Self {
                arn: None,
                literal_arn: Some(arn.to_owned()),
                kind: None,
            });
        }
        let arn = on_failure.get("arn");
        let intrinsic_arn = arn.and_then(intrinsic);
        Some(Self {
            // A tagged value (`!GetAtt X.Arn`) reads as a string too: only an untagged one is
            // an ARN written out.
            literal_arn: arn
                .filter(|_| intrinsic_arn.is_none())
                .and_then(Value::as_str)
                .map(str::to_owned),
            arn: intrinsic_arn,
            kind: on_failure
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The logical id of the resource it names (`FailedRecords` for `!GetAtt
    /// FailedRecords.Arn` or `!Ref FailedRecords`).
    pub fn resource(&self) -> Option<&str> {
        match &self.arn {
            Some(Intrinsic::GetAtt { resource, .. }) | Some(Intrinsic::Ref(resource)) => {
                Some(resource)
            }
            None => None,
        }
    }
}

/// The stream event's settings that the local deployment keeps, and the ones it reads.
const EMULATED: [&str; 12] = [
    "filterPatterns",
    "batchWindow",
    "type",
    "arn",
    "batchSize",
    "startingPosition",
    "functionResponseType",
    "maximumRetryAttempts",
    "bisectBatchOnFunctionError",
    "enabled",
    "maximumRecordAgeInSeconds",
    "destinations",
];

/// The framework's defaults: what an event that sets nothing gets.
impl Default for StreamSettings {
    fn default() -> Self {
        Self::of(&Value::Null)
    }
}

impl StreamSettings {
    fn of(event: &Value) -> Self {
        let number = |key: &str| event.get(key).and_then(Value::as_i64);
        let mapping = MappingSettings {
            batch_size: number("batchSize")
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(10),
            from_latest: event.get("startingPosition").and_then(Value::as_str) == Some("LATEST"),
            report_batch_item_failures: event.get("functionResponseType").and_then(Value::as_str)
                == Some("ReportBatchItemFailures"),
            maximum_retry_attempts: number("maximumRetryAttempts")
                .filter(|n| *n >= 0)
                .and_then(|n| u32::try_from(n).ok()),
            bisect: event
                .get("bisectBatchOnFunctionError")
                .and_then(Value::as_bool)
                == Some(true),
            // -1 is AWS's "no limit".
            maximum_record_age_seconds: number("maximumRecordAgeInSeconds")
                .and_then(|n| u64::try_from(n).ok()),
            batch_window_seconds: number("batchWindow")
                .and_then(|n| u64::try_from(n).ok())
                .map_or(0, |n| n.min(300)),
            filter_patterns: event
                .get("filterPatterns")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|pattern| serde_json::to_value(pattern).ok())
                .collect(),
        };
        Self {
            mapping,
            enabled: event.get("enabled").and_then(Value::as_bool) != Some(false),
            on_failure: OnFailure::of(event),
            not_emulated: event
                .as_mapping()
                .into_iter()
                .flatten()
                .filter_map(|(key, _)| key.as_str())
                .filter(|key| !EMULATED.contains(key))
                .map(str::to_owned)
                .collect(),
        }
    }
}

impl<'a> Function<'a> {
    /// The API's routes of its `http` events, in both of the framework's spellings
    /// (`http: PUT users/{id}`, or a mapping with `path` and `method`).
    pub fn routes(&self) -> Vec<RouteSpec> {
        self.http_routes()
            .into_iter()
            .map(|route| RouteSpec {
                function: self.name.to_owned(),
                method: route.method,
                path: route.path,
            })
            .collect()
    }

    pub fn handler(&self) -> Option<&'a str> {
        self.definition.get("handler").and_then(Value::as_str)
    }

    /// The function's own `environment`.
    pub fn environment(&self) -> Option<&'a Value> {
        self.definition.get("environment")
    }

    /// The `events:` list as written; each event is a one-key mapping (`- http: ...`).
    pub fn events(&self) -> Vec<(&'a str, &'a Value)> {
        self.definition
            .get("events")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|event| event.as_mapping())
            .flat_map(|event| event.iter())
            .filter_map(|(kind, settings)| Some((kind.as_str()?, settings)))
            .collect()
    }

    /// The `http` events, long form or short (`- http: GET users/{id}`).
    pub fn http_routes(&self) -> Vec<HttpRoute> {
        self.events()
            .into_iter()
            .filter(|(kind, _)| *kind == "http")
            .filter_map(|(_, event)| {
                let (method, path) = match event {
                    Value::String(short) => short.split_once(' ')?,
                    _ => (event.get("method")?.as_str()?, event.get("path")?.as_str()?),
                };
                Some(HttpRoute {
                    method: method.trim().to_uppercase(),
                    path: path.trim().trim_matches('/').to_owned(),
                })
            })
            .collect()
    }

    /// The `stream` events on a DynamoDB stream.
    pub fn dynamodb_streams(&self) -> Vec<StreamEvent> {
        self.events()
            .into_iter()
            .filter(|(kind, event)| {
                *kind == "stream" && event.get("type").and_then(Value::as_str) == Some("dynamodb")
            })
            .map(|(_, event)| StreamEvent {
                arn: event.get("arn").and_then(intrinsic),
                settings: StreamSettings::of(event),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
