//! Where a local deployment keeps its files, and how other commands (`logs`, the tests) find a
//! running one: `target/xtask/local/<step>/running.json`, removed when it stops.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::project::{self, Step, STEPS};
use crate::tools::process;

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
    dir(step).join(format!("{function}.log"))
}

fn state_file(step: &str) -> PathBuf {
    dir(step).join("running.json")
}

/// What a running deployment tells other commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub pid: u32,
    pub api_url: String,
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
        "dynamodb_endpoint": running.dynamodb_endpoint,
        "table": running.table,
        "region": running.region,
        "children": running.children,
    });
    let path = state_file(step);
    std::fs::write(&path, text.to_string()).with_context(|| format!("writing {}", path.display()))
}

pub fn remove(step: &str) {
    let _ = std::fs::remove_file(state_file(step));
}

/// The deployment of `step` running now, if any. A file left by a deployment that did not
/// stop cleanly (xtask killed with SIGKILL, a crash) is recognised as stale and removed.
pub fn running(step: &str) -> Option<Running> {
    let text = std::fs::read_to_string(state_file(step)).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let pid = u32::try_from(value["pid"].as_u64()?).ok()?;
    if !process_alive(pid) || !is_xtask(pid) {
        remove(step);
        return None;
    }
    Some(Running {
        pid,
        api_url: value["api_url"].as_str()?.to_owned(),
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

/// Whether the process is an xtask, where that can be told (Linux): a pid of a process that
/// died is soon given to another one.
fn is_xtask(pid: u32) -> bool {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains("xtask"),
        Err(_) => true,
    }
}

/// Whether a process with this id exists (`kill -0`, which sends nothing).
pub fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        // A zombie (exited, not yet reaped) counts as gone.
        return std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or_default()
                .trim_start()
                .starts_with('Z')
        });
    }
    process::output(
        Command::new("kill").args(["-0", &pid.to_string()]),
        "kill -0",
    )
    .is_ok_and(|output| output.status.success())
}
