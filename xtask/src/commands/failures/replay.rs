//! A replay: through the running deployment when one runs (its function's processes, its
//! terminal, log and console), else with the step's stream function built and run here as
//! Lambda runs it.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::{Destination, Table};
use crate::lambda::destination::{replay_handled, KeptMessage, LocalDestination};
use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::local_state as state;
use crate::local_state::{ReplayAsked, Replayed};
use crate::serverless_yml::environment::{function_environment, LocalNames};
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};
use crate::tools::terminal;

/// The step's stream function, built from its sources and run as Lambda runs it.
pub(super) fn start_function(
    target: &Target,
    yml: &ServerlessYml,
    destination: &Destination,
    table: &Table,
    region: &str,
) -> Result<LocalFunction> {
    eprintln!(
        "building {} to replay with its stream function",
        target.name
    );
    let binary = match cargo_build::build_checked(&target.krate, true)? {
        Ok(binary) => binary,
        Err(BuildErrors(errors)) => {
            bail!(
                "{} does not build:\n{errors}\nFix it, then replay",
                target.name
            )
        }
    };
    let service = yml.service().unwrap_or("service");
    let (logical_id, table_name) = match yml.users_table() {
        Some((id, _)) => (
            id.to_owned(),
            yml.users_table_name()
                .map_or_else(|| format!("{service}-local-{id}"), str::to_owned),
        ),
        None => ("Table".to_owned(), format!("{service}-local-Table")),
    };
    let names = LocalNames {
        service,
        stage: "local",
        region,
        table: (&logical_id, &table_name),
    };
    let function = yml
        .functions()
        .into_iter()
        .find(|f| f.name == destination.function)
        .context("the stream function is gone from serverless.yml")?;
    let environment = function_environment(yml, &function, &names)?;
    let url = table.url();
    LocalFunction::start(FunctionSpec {
        binary: &binary,
        arguments: Vec::new(),
        name: &destination.function,
        handler: &destination.handler,
        region,
        aws_endpoint: Some(&url),
        environment,
        log: state::dir(&target.name).join(format!(
            "{}.replay.log",
            crate::tools::files::safe_file_name(&destination.function)
        )),
        bus: None,
    })
}

/// Each message's records to a function run here; how many are still failing.
pub(super) fn here(
    mut function: LocalFunction,
    destination: &Destination,
    queue: &LocalDestination,
    messages: &[KeptMessage],
    batches: Vec<Option<Vec<Value>>>,
) -> Result<usize> {
    let mut still_failing = 0;
    for (index, (message, records)) in messages.iter().zip(batches).enumerate() {
        let Some(records) = readable(index, records) else {
            still_failing += 1;
            continue;
        };
        let before = function.log_text().len();
        let outcome = function
            .invoke(
                json!({"Records": records}).to_string().as_bytes(),
                Duration::from_secs(30),
            )
            .map_err(|error| anyhow::anyhow!("{error:#}"));
        let log = function.log_text();
        for line in log.get(before..).unwrap_or_default().lines() {
            println!("     {} | {}", destination.function, terminal::safe(line));
        }
        match replay_handled(outcome) {
            Ok(()) => {
                queue.delete(message)?;
                println!(
                    "  {}. handled: removed from the {}",
                    index + 1,
                    queue.kind.noun()
                );
            }
            Err(why) => {
                still_failing += 1;
                let why = terminal::safe(&why).into_owned();
                println!(
                    "  {}. still failing ({why}): kept in the {}",
                    index + 1,
                    queue.kind.noun()
                );
            }
        }
    }
    Ok(still_failing)
}

/// Each message's records to the running deployment, which replays them between two saves;
/// how many are still failing.
pub(super) fn through_deployment(
    running: &state::Running,
    destination: &Destination,
    messages: &[KeptMessage],
    batches: Vec<Option<Vec<Value>>>,
) -> Result<usize> {
    let noun = destination.kept.kind.noun();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(1000)))
        .build()
        .into();
    let mut still_failing = 0;
    for (index, (message, records)) in messages.iter().zip(batches).enumerate() {
        let Some(records) = readable(index, records) else {
            still_failing += 1;
            continue;
        };
        let asked = ReplayAsked {
            function: destination.function.clone(),
            message_id: message.id.clone(),
            records,
        };
        let url = format!("{}/replay", running.console_url);
        let mut answer = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(serde_json::to_string(&asked).context("writing the replay")?)
            .with_context(|| format!("asking the running deployment at {url} to replay"))?;
        let body = answer
            .body_mut()
            .read_to_string()
            .context("reading the deployment's answer")?;
        match serde_json::from_str::<Replayed>(&body) {
            Ok(Replayed::Handled) => {
                println!("  {}. handled: removed from the {noun}", index + 1);
            }
            Ok(Replayed::StillFailing(why)) => {
                still_failing += 1;
                let why = terminal::safe(&why).into_owned();
                println!("  {}. still failing ({why}): kept in the {noun}", index + 1);
            }
            Ok(Replayed::Refused(why)) => {
                still_failing += 1;
                println!("  {}. not replayed: {}", index + 1, terminal::safe(&why));
            }
            Err(_) if !body.trim().is_empty() => {
                still_failing += 1;
                println!(
                    "  {}. not replayed: {}",
                    index + 1,
                    terminal::safe(body.trim())
                );
            }
            _ => bail!("the running deployment gave no answer to the replay"),
        }
    }
    Ok(still_failing)
}

/// Message `index`'s records, or none after saying that it stays: its records could not be
/// read back (the stream no longer has them).
fn readable(index: usize, records: Option<Vec<Value>>) -> Option<Vec<Value>> {
    if records.is_none() {
        println!(
            "  {}. kept: its records are no longer in the stream",
            index + 1
        );
    }
    records
}
