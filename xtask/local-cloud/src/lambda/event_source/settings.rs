//! What a stream's event source mapping delivers, when, and what it retries: the settings of
//! Lambda's CreateEventSourceMapping that the local mapping follows.

use serde_json::Value;

/// A mapping's delivery settings; the default is what the Serverless Framework deploys for a
/// stream event that sets none (batches of 10 from the oldest record, retried until they
/// expire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSettings {
    pub batch_size: usize,
    /// `startingPosition: LATEST` (else TRIM_HORIZON).
    pub from_latest: bool,
    /// `functionResponseType: ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `None`: retry until the record expires, as AWS does by default.
    pub maximum_retry_attempts: Option<u32>,
    /// `bisectBatchOnFunctionError`.
    pub bisect: bool,
    /// `maximumRecordAgeInSeconds`: older records are given up on, not delivered.
    pub maximum_record_age_seconds: Option<u64>,
    /// `batchWindow`: how long Lambda gathers records before a batch that is not full.
    pub batch_window_seconds: u64,
    /// `filterPatterns`, as JSON: a record must match one to be delivered.
    pub filter_patterns: Vec<Value>,
}

impl Default for MappingSettings {
    fn default() -> Self {
        Self {
            batch_size: 10,
            from_latest: false,
            report_batch_item_failures: false,
            maximum_retry_attempts: None,
            bisect: false,
            maximum_record_age_seconds: None,
            batch_window_seconds: 0,
            filter_patterns: Vec::new(),
        }
    }
}
