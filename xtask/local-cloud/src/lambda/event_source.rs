//! The event source mapping between a table's stream and a function, as Lambda runs one: the
//! poller that reads the stream, the delivery rules (batches, retries, bisection, reported
//! failures, record age), the filters, the checkpoint kept between runs.

pub mod checkpoint;
pub mod delivery;
pub mod filter;
pub mod poller;
pub mod resumption;
pub mod settings;

pub use settings::MappingSettings;

use std::path::PathBuf;

use crate::tools::local_dynamodb::streams::LocalStreams;

/// The table's stream, and the names its records and messages carry.
#[derive(Debug, Clone)]
pub struct StreamSource {
    /// The local DynamoDB's streams, read in this process.
    pub streams: LocalStreams,
    /// Its ARN in the local DynamoDB: a stream turned off and on again is another one.
    pub stream_arn: String,
    /// Its ARN as Lambda puts it in records.
    pub event_source_arn: String,
    pub region: String,
    /// What a function's ARN starts with, before its name (`...:function:service-stage-`).
    pub function_arn_prefix: String,
    /// Where each mapping keeps its place.
    pub checkpoints: PathBuf,
}
