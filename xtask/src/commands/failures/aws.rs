//! `cargo xtask failures --aws`: the deployed stream function's on-failure queue, its records
//! read back from the deployed table's stream, and the deployed function invoked to replay
//! them. The AWS calls are the AWS SDK for JavaScript's, which the pinned framework brings
//! (`xtask/aws/failures.js`): no more of the Rust SDK to compile.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::messages::{count, describe, show};
use crate::lambda::destination::KeptMessage;
use crate::project;
use crate::serverless_yml::ServerlessYml;
use crate::tools::{aws, node, process, terminal};

pub fn run(
    name: &str,
    yml: &ServerlessYml,
    function: &str,
    stage: Option<&str>,
    replay: bool,
) -> Result<ExitCode> {
    let stage = aws::credentials_and_stage(stage)?;
    let service = yml.service().context("serverless.yml has no `service`")?;
    // The framework names a deployed function SERVICE-STAGE-FUNCTION.
    let deployed = format!("{service}-{stage}-{function}");
    let mode = if replay { "replay" } else { "list" };
    let lines = read_queue(yml, &deployed, mode)?;
    let queue = lines
        .iter()
        .find_map(|line| line["queue"].as_str())
        .unwrap_or("?");
    let messages: Vec<&Value> = lines
        .iter()
        .filter(|line| line.get("body").is_some())
        .collect();
    println!(
        "queue {queue} of {name} (AWS, stage {stage}): {}",
        count(messages.len(), "message")
    );
    let mut still_failing = 0;
    for (index, message) in messages.iter().enumerate() {
        if !show_message(index, message, replay) {
            still_failing += 1;
        }
    }
    if !replay && !messages.is_empty() {
        println!(
            "Fix the handler and deploy it (`cargo xtask deploy`), then `cargo xtask failures \
             --aws --replay` sends these records to it again."
        );
    }
    Ok(match still_failing {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

/// The on-failure queue's messages of the deployed function, as the script reads them
/// (`list`) or replays them (`replay`): one JSON line each, after the queue's name.
fn read_queue(yml: &ServerlessYml, deployed: &str, mode: &str) -> Result<Vec<Value>> {
    let output = process::output(
        node::script(&project::root().join("xtask/aws/failures.js"))?.args([
            yml.region(),
            deployed,
            mode,
        ]),
        "reading the on-failure queue on AWS",
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    if let Some(error) = lines.iter().find_map(|line| line["error"].as_str()) {
        bail!("{error}");
    }
    if !output.status.success() {
        bail!(
            "reading the on-failure queue on AWS failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(lines)
}

/// Prints message number `index` with its records, and what its replay came to; whether it
/// is done with (listed, or handled).
fn show_message(index: usize, message: &Value, replay: bool) -> bool {
    let listed = KeptMessage {
        id: message["id"].as_str().unwrap_or_default().to_owned(),
        sent_ms: message["sent"].as_u64().unwrap_or(0),
        body: message["body"].clone(),
        file: None,
    };
    println!("  {}. {}", index + 1, describe(&listed));
    match message["records"].as_array() {
        Some(records) => records
            .iter()
            .for_each(|r| println!("     {}", terminal::safe(&show(r)))),
        None => println!(
            "     the records are no longer in the stream ({}): a stream keeps them 24 hours",
            message["records_error"].as_str().unwrap_or("?")
        ),
    }
    if !replay {
        return true;
    }
    let replayed = &message["replay"];
    if replayed["handled"] == true {
        println!("  {}. handled: removed from the queue", index + 1);
        return true;
    }
    let why = replayed["why"]
        .as_str()
        .unwrap_or("its records could not be read");
    let why = terminal::safe(why).into_owned();
    println!("  {}. still failing ({why}): kept in the queue", index + 1);
    false
}
