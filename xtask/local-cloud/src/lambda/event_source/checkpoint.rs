//! Where a stream function's event source mapping stands in the table's stream, kept in the
//! step's local state (`<function>.checkpoint.json`) as Lambda keeps a mapping's: a restart
//! resumes after the last record done with, and a batch that was being delivered when xtask
//! was killed is known, and comes again (a mapping delivers at least once).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{json, Value};

use crate::tools::files::write_atomically;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The stream it is a place in (the local DynamoDB's ARN): a stream turned off and on
    /// again is another stream, read from its start.
    pub stream_arn: String,
    /// Every record up to this sequence number is done with; `None`: none yet.
    pub after: Option<String>,
    /// The first and last sequence numbers of the batch being delivered, while it is.
    pub in_flight: Option<(String, String)>,
    /// The tries of the record after `after`, while it is being retried: a restart goes on
    /// counting (its retry limit is not met again from nothing).
    pub tries: Option<Tries>,
}

/// How often the record at the front has been tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tries {
    /// Its sequence number.
    pub first: String,
    /// Retries so far (`maximumRetryAttempts` counts these).
    pub retries: u32,
    /// Invocations that carried it.
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    pub fn of(dir: &Path, function: &str) -> Self {
        Self {
            path: dir.join(format!(
                "{}.checkpoint.json",
                crate::tools::files::safe_file_name(function)
            )),
        }
    }

    /// The checkpoint kept, if there is one for `stream_arn`.
    pub fn read(&self, stream_arn: &str) -> Option<Checkpoint> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let value: Value = serde_json::from_str(&text).ok()?;
        let checkpoint = Checkpoint {
            stream_arn: value["stream_arn"].as_str()?.to_owned(),
            after: value["after"].as_str().map(str::to_owned),
            in_flight: match (
                value["in_flight"]["first"].as_str(),
                value["in_flight"]["last"].as_str(),
            ) {
                (Some(first), Some(last)) => Some((first.to_owned(), last.to_owned())),
                _ => None,
            },
            tries: (|| {
                let tries = &value["tries"];
                Some(Tries {
                    first: tries["first"].as_str()?.to_owned(),
                    retries: u32::try_from(tries["retries"].as_u64()?).ok()?,
                    attempts: u32::try_from(tries["attempts"].as_u64()?).ok()?,
                })
            })(),
        };
        (checkpoint.stream_arn == stream_arn).then_some(checkpoint)
    }

    pub fn write(&self, checkpoint: &Checkpoint) -> Result<()> {
        let in_flight = checkpoint
            .in_flight
            .as_ref()
            .map(|(first, last)| json!({"first": first, "last": last}));
        let tries = checkpoint.tries.as_ref().map(|tries| {
            json!({"first": tries.first, "retries": tries.retries, "attempts": tries.attempts})
        });
        let text = json!({
            "stream_arn": checkpoint.stream_arn,
            "after": checkpoint.after,
            "in_flight": in_flight,
            "tries": tries,
        });
        write_atomically(&self.path, text.to_string().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_reads_back_for_its_own_stream_only() {
        let dir = std::env::temp_dir().join(format!("xtask-checkpoint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = CheckpointFile::of(&dir, "stream");
        assert_eq!(file.read("arn:1"), None);
        let checkpoint = Checkpoint {
            stream_arn: "arn:1".to_owned(),
            after: Some("100000000000000000007".to_owned()),
            in_flight: Some((
                "100000000000000000008".to_owned(),
                "100000000000000000009".to_owned(),
            )),
            tries: Some(Tries {
                first: "100000000000000000008".to_owned(),
                retries: 2,
                attempts: 3,
            }),
        };
        file.write(&checkpoint).unwrap();
        assert_eq!(file.read("arn:1"), Some(checkpoint));
        assert_eq!(file.read("arn:2"), None, "another stream starts afresh");
        // One written before the tries were kept: its place stands, its tries are none.
        std::fs::write(
            dir.join("stream.checkpoint.json"),
            r#"{"stream_arn":"arn:1","after":"100000000000000000007","in_flight":null}"#,
        )
        .unwrap();
        let old = file.read("arn:1").unwrap();
        assert_eq!(
            (old.after.as_deref(), old.tries),
            (Some("100000000000000000007"), None)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
