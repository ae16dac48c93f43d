//! What the Lambda emulation tells whoever watches the service (the console): typed events,
//! each rendered where it is shown, never read back from a sentence.

use serde_json::Value;

use super::event_source::delivery::Settled;

/// An API request, answered.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: String,
    /// The path and query as sent (cut by whoever shows it).
    pub target: String,
    pub status: u16,
    pub ms: u64,
    /// The function that served it, and its invocation's request id.
    pub function: Option<String>,
    pub request_id: Option<String>,
}

/// A batch of stream records delivered to a function, and what came of it.
#[derive(Debug, Clone)]
pub struct BatchDelivered<'a> {
    pub function: &'a str,
    /// The records, as Lambda delivered them.
    pub records: &'a [Value],
    /// The sequence numbers the function reported, or why the invocation failed.
    pub reported: &'a [String],
    pub error: Option<&'a str>,
    pub settled: &'a Settled,
    /// Its story in one line, as the function's log has it.
    pub line: &'a str,
    /// The destination the records given up on were sent to (`queue SkippedRecords`), if
    /// they were.
    pub kept_in: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub ms: u64,
}

pub trait Observer: Send + Sync + std::fmt::Debug {
    fn request(&self, request: &ApiRequest);
    fn batch(&self, batch: &BatchDelivered<'_>);
    /// The messages an on-failure destination holds now.
    fn queue(&self, queue: &str, messages: &[Value]);
    /// Records kept by an on-failure destination, replayed to `function`: handled or not.
    fn replayed(&self, function: &str, records: &[Value], handled: bool);
    /// A line of the local cloud's about `function` that its log could not take (a full
    /// disk): whoever watches shows it, since the log will not.
    fn unlogged(&self, function: &str, line: &str);
}
