//! A replay's function: the step's stream function built and run as Lambda runs it, and
//! whether it handled a replayed batch.

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::{Destination, Table};
use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::lambda::function_environment::{function_environment, LocalNames};
use crate::lambda::runtime_api::{error_message, Outcome};
use crate::local_state as state;
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};

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
    })
}

/// Whether the function handled a replayed batch: it answered, and reported none of it.
pub(super) fn replayed(outcome: Result<Outcome>) -> std::result::Result<(), String> {
    match outcome {
        Ok(Outcome::Response(body)) => {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let failures: Vec<&str> = answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["itemIdentifier"].as_str().unwrap_or(""))
                .collect();
            match failures.as_slice() {
                [] => Ok(()),
                some => Err(format!("it reported {}", some.join(", "))),
            }
        }
        Ok(Outcome::Error(body)) => Err(error_message(&body)),
        Err(error) => Err(format!("{error:#}")),
    }
}
