//! The local DynamoDB's streams, read in this process through dynoxide's own typed calls:
//! the event source mapping reads here, as Lambda's poller reads DynamoDB Streams from inside
//! AWS. HTTP serves the SDK clients only (the functions, `put-item`, `failures`, a learner's
//! tools).

use std::ops::ControlFlow;

use anyhow::{Context, Result};
use dynoxide::actions::describe_stream::DescribeStreamRequest;
use dynoxide::actions::get_records::GetRecordsRequest;
use dynoxide::actions::get_shard_iterator::GetShardIteratorRequest;
use dynoxide::{Database, DynoxideError};
use serde_json::Value;

/// "GetRecords can retrieve a maximum of 1 MB of data or 1000 stream records, whichever
/// comes first" (DynamoDB Streams API reference, GetRecords); dynoxide caps the count alone,
/// so a page over 1 MB is asked again for half as many records (an iterator names a position,
/// so it serves again), down to one record, which always fits (an item is at most 400 KB).
const MAX_PAGE_BYTES: usize = 1024 * 1024;
const MAX_PAGE_RECORDS: usize = 1000;

#[derive(Clone)]
pub struct LocalStreams {
    database: Database,
}

impl std::fmt::Debug for LocalStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalStreams")
    }
}

impl LocalStreams {
    pub(super) fn new(database: Database) -> Self {
        Self { database }
    }

    /// The stream's shards (the local DynamoDB has one per stream).
    pub fn shards(&self, stream_arn: &str) -> Result<Vec<String>> {
        let described = self
            .database
            .describe_stream(DescribeStreamRequest {
                stream_arn: stream_arn.to_owned(),
                exclusive_start_shard_id: None,
                limit: None,
            })
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("describing the stream {stream_arn}"))?;
        Ok(described
            .stream_description
            .shards
            .into_iter()
            .map(|shard| shard.shard_id)
            .collect())
    }

    /// An iterator of the shard: from its oldest record, or from sequence number `at` on
    /// (`AT_SEQUENCE_NUMBER`, `AFTER_SEQUENCE_NUMBER`).
    pub fn iterator(&self, stream_arn: &str, shard_id: &str, at: Position<'_>) -> Result<String> {
        let (kind, sequence) = match at {
            Position::Oldest => ("TRIM_HORIZON", None),
            Position::At(sequence) => ("AT_SEQUENCE_NUMBER", Some(sequence)),
            Position::After(sequence) => ("AFTER_SEQUENCE_NUMBER", Some(sequence)),
        };
        let answer = self
            .database
            .get_shard_iterator(GetShardIteratorRequest {
                stream_arn: stream_arn.to_owned(),
                shard_id: shard_id.to_owned(),
                shard_iterator_type: kind.to_owned(),
                sequence_number: sequence.map(str::to_owned),
            })
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("getting a {kind} iterator of {shard_id}"))?;
        answer
            .shard_iterator
            .context("the stream gave no shard iterator")
    }

    /// One page of records from `iterator` (as DynamoDB Streams' JSON has them), and the
    /// iterator that follows it.
    pub fn page(&self, iterator: &str) -> Result<(Vec<Value>, Option<String>)> {
        let answer = capped_page(&self.database, iterator, MAX_PAGE_RECORDS)
            .map_err(|error| anyhow::anyhow!("{error}"))
            .context("reading the stream's records")?;
        let page: Page = serde_json::from_str(&answer).context("reading a page of the stream")?;
        Ok((page.records, page.next))
    }

    /// Reads a shard from `iterator` on, a page at a time, until it has no more or `each`
    /// has read enough.
    pub fn read_shard(
        &self,
        mut iterator: Option<String>,
        mut each: impl FnMut(Vec<Value>) -> ControlFlow<()>,
    ) -> Result<()> {
        while let Some(current) = iterator.take() {
            let (records, next) = self.page(&current)?;
            if records.is_empty() || each(records).is_break() {
                break;
            }
            iterator = next;
        }
        Ok(())
    }
}

/// Where an iterator starts.
#[derive(Debug, Clone, Copy)]
pub enum Position<'a> {
    Oldest,
    At(&'a str),
    After(&'a str),
}

/// A GetRecords answer, read back from its JSON.
#[derive(Debug, serde::Deserialize)]
struct Page {
    #[serde(rename = "Records", default)]
    records: Vec<Value>,
    #[serde(rename = "NextShardIterator")]
    next: Option<String>,
}

/// GetRecords within DynamoDB Streams' caps: at most `limit` records and 1 MB. The answer as
/// DynamoDB Streams writes it: the JSON whose size was measured, which the endpoint sends as
/// it is.
pub(super) fn capped_page(
    database: &Database,
    iterator: &str,
    limit: usize,
) -> Result<String, DynoxideError> {
    let mut limit = limit.clamp(1, MAX_PAGE_RECORDS);
    loop {
        let answer = database.get_records(GetRecordsRequest {
            shard_iterator: iterator.to_owned(),
            limit: Some(limit),
        })?;
        let count = answer.records.len();
        let json = serde_json::to_string(&answer)
            .map_err(|error| DynoxideError::InternalServerError(error.to_string()))?;
        if json.len() <= MAX_PAGE_BYTES || count <= 1 {
            return Ok(json);
        }
        limit = count / 2;
    }
}
