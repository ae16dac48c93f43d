//! The local deployments' registry: where a deployment keeps its files
//! (`target/xtask/local/<step>/`), and how other commands (`logs`, `put-item`, `failures`, the
//! tests) find a running one. A running deployment holds a lock on its `running.lock`, which
//! the system lets go when the process ends, however it ends (SIGKILL too); `running.json`
//! says where it serves.

use std::path::PathBuf;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::project::{self, Step, STEPS};
use crate::tools::files::safe_file_name;
use crate::tools::lock_file::{self, Held};

pub fn dir(step: &str) -> PathBuf {
    let root = std::env::var_os(project::LOCAL_STATE_DIR)
        .map_or_else(|| project::xtask_dir().join("local"), PathBuf::from);
    root.join(step)
}

/// The local DynamoDB's file of a step's deployment: its table and streams.
pub fn database(step: &str) -> PathBuf {
    dir(step).join(DATABASE_FILE)
}

pub const DATABASE_FILE: &str = "dynamodb.sqlite";

pub fn function_log(step: &str, function: &str) -> PathBuf {
    dir(step).join(format!("{}.log", safe_file_name(function)))
}

fn state_file(step: &str) -> PathBuf {
    dir(step).join("running.json")
}

fn lock_path(step: &str) -> PathBuf {
    dir(step).join("running.lock")
}

/// A running deployment's hold on its step: one deployment of a step at a time.
#[derive(Debug)]
pub struct Claim {
    step: String,
    lock: Held,
}

impl Claim {
    /// Takes the lock again if its file was deleted while held (`cargo clean`, a tidy-up):
    /// a lock on a file no longer there keeps nobody out, and a second deployment could start
    /// beside this one. Whether it took it again.
    pub fn renew(&mut self) -> bool {
        let path = lock_path(&self.step);
        if path.exists() {
            return false;
        }
        match lock_file::try_take(&path) {
            Ok(Some(lock)) => {
                self.lock = lock;
                true
            }
            _ => false,
        }
    }
}

/// Takes the step for a deployment of this process, or says it is taken.
pub fn claim(step: &str) -> Result<Claim> {
    match lock_file::try_take(&lock_path(step))? {
        Some(lock) => Ok(Claim {
            step: step.to_owned(),
            lock,
        }),
        None => bail!("{step} is taken by another deployment"),
    }
}

/// Whether a deployment of `step` holds its lock now.
fn held(step: &str) -> bool {
    lock_file::is_held(&lock_path(step))
}

/// What a running deployment tells other commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub pid: u32,
    pub api_url: String,
    /// The console's server, which also takes `failures --replay`'s records.
    pub console_url: String,
    pub dynamodb_endpoint: String,
    /// The users table's name in the local DynamoDB, and its region.
    pub table: String,
    pub region: String,
    /// Every process it started (the functions).
    pub children: Vec<u32>,
}

pub fn write(step: &str, running: &Running) -> Result<()> {
    let text = json!({
        "pid": running.pid,
        "api_url": running.api_url,
        "console_url": running.console_url,
        "dynamodb_endpoint": running.dynamodb_endpoint,
        "table": running.table,
        "region": running.region,
        "children": running.children,
    });
    // Rewritten after each save under --watch, while `logs`, `put-item` or a test may read it:
    // never seen half written.
    crate::tools::files::write_atomically(&state_file(step), text.to_string().as_bytes())
}

pub fn remove(step: &str) {
    let _ = std::fs::remove_file(state_file(step));
}

/// The deployment of `step` running now, if any. A file left by a deployment that did not
/// stop cleanly (xtask killed with SIGKILL, a crash) is known by its lock, which nobody
/// holds, and removed.
pub fn running(step: &str) -> Option<Running> {
    if !held(step) {
        remove(step);
        return None;
    }
    let text = std::fs::read_to_string(state_file(step)).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let pid = u32::try_from(value["pid"].as_u64()?).ok()?;
    Some(Running {
        pid,
        api_url: value["api_url"].as_str()?.to_owned(),
        console_url: value["console_url"].as_str()?.to_owned(),
        dynamodb_endpoint: value["dynamodb_endpoint"].as_str()?.to_owned(),
        table: value["table"].as_str()?.to_owned(),
        region: value["region"].as_str()?.to_owned(),
        children: value["children"]
            .as_array()?
            .iter()
            .filter_map(|pid| u32::try_from(pid.as_u64()?).ok())
            .collect(),
    })
}

/// The step of a command that reads the local deployment (`logs`, `put-item`): the one given,
/// else the step directory the shell is in, else the step running locally, else the exercise.
pub fn chosen_step(name: Option<&str>) -> Result<Step> {
    if name.is_some() {
        return Step::chosen(name);
    }
    Ok(Step::here()
        .or_else(|| STEPS.into_iter().find(|step| running(step.name).is_some()))
        .unwrap_or(STEPS[0]))
}

/// What `failures --replay` asks of the running deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayAsked {
    /// The stream function (serverless.yml's name).
    pub function: String,
    /// The queue message whose records these are.
    pub message_id: String,
    /// The records, as Lambda delivers them.
    pub records: Vec<Value>,
}

/// What became of a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replayed {
    /// Handled: the message is removed from the queue.
    Handled,
    /// Still failing (why): the message stays.
    StillFailing(String),
    /// Not done (why): no such function, a message already gone...
    Refused(String),
}
