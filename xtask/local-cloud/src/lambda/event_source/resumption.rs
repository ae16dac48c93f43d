//! Where an event source mapping starts reading a stream: after its checkpoint (a batch in
//! flight when the last run was killed comes again), else from the stream's start or end.

use std::ops::ControlFlow;

use anyhow::Result;

use super::checkpoint::{Checkpoint, CheckpointFile, Tries};
use super::delivery::sequence_number;
use crate::tools::local_dynamodb::streams::{LocalStreams, Position};

/// Where a mapping starts reading a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumption {
    /// A new mapping, from the stream's oldest record (`TRIM_HORIZON`).
    FromStart,
    /// A new mapping, after the stream's newest record (`LATEST`).
    FromLatest,
    /// Where the last run's mapping stopped: after this sequence number.
    After(String),
    /// The last run was killed while this batch was being delivered: it comes again.
    InFlight { first: String, last: String },
}

impl std::fmt::Display for Resumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resumption::FromStart => write!(f, "reads the stream from its oldest record"),
            Resumption::FromLatest => write!(f, "reads the stream from its newest record on"),
            Resumption::After(sequence) => write!(
                f,
                "resumes after sequence {sequence}, where the last run stopped"
            ),
            Resumption::InFlight { first, last } => write!(
                f,
                "the last run was stopped while a batch (sequences {first}..{last}) was being \
                 delivered: it comes again (an event source mapping delivers at least once)"
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resumed {
    pub iterators: Vec<String>,
    /// The shard they read (the local DynamoDB has one per stream).
    pub shard_id: String,
    /// The checkpoint it starts from.
    pub after: Option<String>,
    /// The tries the record after it had.
    pub tries: Option<Tries>,
    pub how: Resumption,
}

/// Iterators for the stream's shard (the local DynamoDB has one per stream), from where the
/// kept checkpoint says, else from its start or (`from_latest`) its end; a new mapping's
/// place is written down at once, so that a restart before its first batch misses nothing.
pub fn resume(
    streams: &LocalStreams,
    stream_arn: &str,
    checkpoint: &CheckpointFile,
    from_latest: bool,
) -> Result<Resumed> {
    let kept = checkpoint.read(stream_arn);
    let tries = kept.as_ref().and_then(|kept| kept.tries.clone());
    let (after, how) = match kept {
        Some(kept) => {
            let how = match (&kept.in_flight, &kept.after) {
                (Some((first, last)), _) => Resumption::InFlight {
                    first: first.clone(),
                    last: last.clone(),
                },
                (None, Some(after)) => Resumption::After(after.clone()),
                (None, None) => Resumption::FromStart,
            };
            (kept.after, how)
        }
        None if from_latest => {
            let newest = newest_sequence(streams, stream_arn)?;
            (newest, Resumption::FromLatest)
        }
        None => (None, Resumption::FromStart),
    };
    checkpoint.write(&Checkpoint {
        stream_arn: stream_arn.to_owned(),
        after: after.clone(),
        in_flight: None,
        tries: tries.clone(),
    })?;
    let shards = streams.shards(stream_arn)?;
    let iterators = shards
        .iter()
        .map(|shard| {
            let at = match &after {
                Some(sequence) => Position::After(sequence),
                None => Position::Oldest,
            };
            streams.iterator(stream_arn, shard, at)
        })
        .collect::<Result<_>>()?;
    Ok(Resumed {
        iterators,
        shard_id: shards.first().cloned().unwrap_or_default(),
        after,
        tries,
        how,
    })
}

/// The sequence number of the stream's newest record, read from its start.
fn newest_sequence(streams: &LocalStreams, stream_arn: &str) -> Result<Option<String>> {
    let mut newest = None;
    for shard in streams.shards(stream_arn)? {
        let iterator = streams.iterator(stream_arn, &shard, Position::Oldest)?;
        streams.read_shard(Some(iterator), |records| {
            newest = records
                .last()
                .and_then(sequence_number)
                .map(str::to_owned)
                .or(newest.take());
            ControlFlow::Continue(())
        })?;
    }
    Ok(newest)
}
