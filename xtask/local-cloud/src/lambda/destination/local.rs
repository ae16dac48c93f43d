//! The places that keep word of records given up on, as files in the step's local state (they
//! survive a restart, as AWS's do): an SQS queue's messages, an SNS topic's notifications (kept
//! as a queue subscribed to the topic receives them), an S3 bucket's objects under the key
//! Lambda gives them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use super::formats::{envelope, notification, object_key};
use crate::tools::files::{safe_file_name, step_entry, write_atomically, StepEntry};

/// The services Lambda sends a stream's on-failure word to (Lambda API reference, OnFailure:
/// "an Amazon SNS topic, Amazon SQS queue, Amazon S3 bucket").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    Queue,
    Topic,
    Bucket,
}

impl DestinationKind {
    /// As a learner calls it.
    pub fn noun(self) -> &'static str {
        match self {
            DestinationKind::Queue => "queue",
            DestinationKind::Topic => "topic",
            DestinationKind::Bucket => "bucket",
        }
    }

    /// `a queue`, `a topic`, `a bucket`.
    pub fn a_noun(self) -> &'static str {
        match self {
            DestinationKind::Queue => "a queue",
            DestinationKind::Topic => "a topic",
            DestinationKind::Bucket => "a bucket",
        }
    }

    /// One of what it keeps, with its article: `a message`, `an object`.
    pub fn an_item(self) -> &'static str {
        match self {
            DestinationKind::Queue => "a message",
            DestinationKind::Topic => "a notification",
            DestinationKind::Bucket => "an object",
        }
    }

    /// What it keeps, one of them.
    pub fn item(self) -> &'static str {
        match self {
            DestinationKind::Queue => "message",
            DestinationKind::Topic => "notification",
            DestinationKind::Bucket => "object",
        }
    }

    fn state_dir(self) -> &'static str {
        match self {
            DestinationKind::Queue => "queues",
            DestinationKind::Topic => "topics",
            DestinationKind::Bucket => "buckets",
        }
    }
}

/// A destination as serverless.yml names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationName {
    pub kind: DestinationKind,
    pub name: String,
}

impl DestinationName {
    /// The SQS queue `name`.
    pub fn queue(name: &str) -> Self {
        Self {
            kind: DestinationKind::Queue,
            name: name.to_owned(),
        }
    }
}

impl std::fmt::Display for DestinationName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind.noun(), self.name)
    }
}

/// A destination of the local deployment: `<state>/queues/<name>/<id>.json`,
/// `<state>/topics/<name>/<id>.json`, `<state>/buckets/<name>/<key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDestination {
    pub kind: DestinationKind,
    pub name: String,
    /// `queue SkippedRecords`: how every line names it.
    pub label: String,
    dir: PathBuf,
}

/// One message (notification, object) it keeps, oldest first when listed.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptMessage {
    /// A queue's message id, a topic's notification id, a bucket's object key.
    pub id: String,
    /// When it was sent, in ms since the epoch.
    pub sent_ms: u64,
    /// Lambda's message (a topic's notification unwrapped; an object with its `payload`).
    pub body: Value,
    /// The file it is kept in (what [`LocalDestination::delete`] removes, whatever the file
    /// says its id is); none for a message read from elsewhere (AWS).
    pub file: Option<PathBuf>,
}

impl LocalDestination {
    /// The destination `name` of the deployment whose state is in `state_dir`.
    pub fn in_state(state_dir: &Path, name: &DestinationName) -> Self {
        Self {
            kind: name.kind,
            name: name.name.clone(),
            label: name.to_string(),
            dir: state_dir
                .join(name.kind.state_dir())
                .join(safe_file_name(&name.name)),
        }
    }

    /// Sends Lambda's message `body` for `records`, as this kind of destination receives it;
    /// its id.
    pub fn send(&self, body: &Value, records: &[Value]) -> Result<String> {
        static SENT: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating the {} {}", self.label, self.dir.display()))?;
        let sent_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        // Ids sort by time of sending, and two xtasks never pick the same one.
        let id = format!(
            "{sent_ms:013}-{}-{}",
            std::process::id(),
            SENT.fetch_add(1, Ordering::Relaxed)
        );
        let (file, contents, id) = match self.kind {
            DestinationKind::Queue => (format!("{id}.json"), envelope(&id, sent_ms, body), id),
            DestinationKind::Topic => {
                let notification = notification(body, &self.name, sent_ms);
                (
                    format!("{id}.json"),
                    envelope(&id, sent_ms, &notification),
                    id,
                )
            }
            DestinationKind::Bucket => {
                let key = object_key(body, sent_ms);
                let mut object = body.clone();
                // The whole invocation, as Lambda sends it to S3 (its records with it).
                object["payload"] = Value::from(json!({"Records": records}).to_string());
                (key.clone(), object.to_string(), key)
            }
        };
        // A key's parts one by one: `/` is no separator under Windows' `\\?\` paths.
        let path = file
            .split('/')
            .fold(self.dir.clone(), |path, part| path.join(part));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        write_atomically(&path, contents.as_bytes())?;
        Ok(id)
    }

    /// Its messages, oldest first.
    pub fn messages(&self) -> Vec<KeptMessage> {
        self.read().0
    }

    /// Its messages, oldest first, and the files in it that are not messages (damaged, cut
    /// short): listed, never taken for none.
    pub fn read(&self) -> (Vec<KeptMessage>, Vec<PathBuf>) {
        let mut messages = Vec::new();
        let mut damaged = Vec::new();
        for path in files_under(&self.dir, 0) {
            // What a file browser or a write under way leaves beside the messages.
            let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase());
            if name.as_deref().is_none_or(|name| {
                name.starts_with('.')
                    || name.ends_with(".new")
                    || matches!(name, "thumbs.db" | "desktop.ini")
            }) {
                continue;
            }
            let message = match self.kind {
                DestinationKind::Bucket => read_object(&self.dir, &path),
                DestinationKind::Queue | DestinationKind::Topic => {
                    if path.extension().is_none_or(|e| e != "json") {
                        continue;
                    }
                    read_message(&path)
                }
            };
            match message {
                Some(message) => messages.push(message),
                None => damaged.push(path),
            }
        }
        messages.sort_by_cached_key(|message| match self.kind {
            // An object's own time and first record: a copied folder keeps its order.
            DestinationKind::Bucket => (
                message.body["timestamp"].as_str().unwrap_or("").to_owned(),
                sequence_key(&message.body),
                message.id.clone(),
            ),
            DestinationKind::Queue | DestinationKind::Topic => (
                format!("{:020}", message.sent_ms),
                (0, String::new()),
                message.id.clone(),
            ),
        });
        damaged.sort();
        (messages, damaged)
    }

    /// Deletes a message (its records were handled): the file it was read from.
    pub fn delete(&self, message: &KeptMessage) -> Result<()> {
        let Some(path) = &message.file else {
            anyhow::bail!("{} {} is not kept in a file", self.kind.item(), message.id);
        };
        std::fs::remove_file(path).with_context(|| format!("deleting {}", path.display()))
    }
}

/// A sequence number's order: numbers of any length, compared as numbers.
fn sequence_key(body: &Value) -> (usize, String) {
    let first = body["DDBStreamBatchInfo"]["startSequenceNumber"]
        .as_str()
        .unwrap_or("");
    (first.len(), first.to_owned())
}

/// The regular files under `dir` (links never followed), a few levels deep as a bucket's keys.
fn files_under(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match step_entry(&entry) {
            StepEntry::File => files.push(entry.path()),
            StepEntry::Dir if depth < 10 => files.extend(files_under(&entry.path(), depth + 1)),
            StepEntry::Dir | StepEntry::Other => {}
        }
    }
    files
}

fn read_message(path: &Path) -> Option<KeptMessage> {
    let text = std::fs::read_to_string(path).ok()?;
    let message: Value = serde_json::from_str(&text).ok()?;
    let mut body: Value = serde_json::from_str(message["Body"].as_str()?).ok()?;
    // A topic's notification carries Lambda's message as text.
    if body["Type"] == "Notification" {
        body = serde_json::from_str(body["Message"].as_str()?).ok()?;
    }
    Some(KeptMessage {
        id: message["MessageId"].as_str()?.to_owned(),
        sent_ms: message["SentTimestamp"].as_u64()?,
        body,
        file: Some(path.to_owned()),
    })
}

fn read_object(bucket: &Path, path: &Path) -> Option<KeptMessage> {
    let text = std::fs::read_to_string(path).ok()?;
    let body: Value = serde_json::from_str(&text).ok()?;
    body.get("DDBStreamBatchInfo")?;
    let key = path.strip_prefix(bucket).ok()?;
    let key: Vec<String> = key
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    let sent_ms = std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_millis() as u64);
    Some(KeptMessage {
        id: key.join("/"),
        sent_ms,
        body,
        file: Some(path.to_owned()),
    })
}

#[cfg(test)]
mod tests;
