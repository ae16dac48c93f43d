//! `cargo xtask put-item`: one raw item written into the step's table, past the API's checks,
//! so a learner can watch a record that is not a user go through the stream.

mod item;

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::local_state as state;
use crate::project::{self, Step};
use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::LocalDynamoDb;
use crate::tools::{aws, process};
use item::parse_item;

/// Write one raw item into the step's table (a record the stream function cannot handle)
///
/// The item goes straight into the table, without the API's checks: a way to make a record
/// the stream function cannot handle. By default into the table of the running
/// `cargo xtask deploy --local`. Several items are written together, so that their records
/// reach the stream function in one batch.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "For example: cargo xtask put-item '{\"id\": {\"S\": \"bad-1\"}, \"name\": {\"N\": \"42\"}}'
             cargo xtask put-item '{\"id\": {\"S\": \"bad-3\"}}' '{\"id\": {\"S\": \"4\"}, \"name\": {\"S\": \"Ada\"}}'"
)]
pub struct Options {
    /// The item in DynamoDB JSON, each value with its type (several: one batch); then, if
    /// given, a step directory (6-streams, 7-finish), by default the one your shell is in,
    /// else 6-streams
    #[arg(required = true, value_name = "ITEM... [STEP]")]
    arguments: Vec<String>,
    /// Into the table of the step's stack on AWS instead
    #[arg(long)]
    aws: bool,
    /// The AWS stage (default: your login name, as for deploy)
    #[arg(long, value_name = "NAME", requires = "aws")]
    stage: Option<String>,
}

pub fn run(options: Options) -> Result<ExitCode> {
    // The items are JSON objects; a STEP is not.
    let (items, steps): (Vec<&String>, Vec<&String>) = options
        .arguments
        .iter()
        .partition(|argument| argument.trim_start().starts_with('{'));
    if steps.len() > 1 || items.is_empty() {
        bail!("give the items (JSON objects), then at most one STEP: see --help");
    }
    let step = state::chosen_step(steps.first().map(|step| step.as_str()))?;
    let items = items
        .iter()
        .map(|item| parse_item(item))
        .collect::<Result<Vec<Value>>>()?;
    if options.aws {
        let [item] = items.as_slice() else {
            bail!("on AWS, put-item writes one item at a time");
        };
        return put_on_aws(step, item, options.stage.as_deref());
    }
    let Some(running) = state::running(step.name) else {
        bail!(
            "no local deployment of {} is running: start one with `cargo xtask deploy --local \
             {}` in another terminal (or write to AWS with --aws)",
            step.name,
            step.name
        );
    };
    if let [_, _, ..] = items.as_slice() {
        return put_together(step, &running, &items);
    }
    let item = &items[0];
    let dynamodb = LocalDynamoDb::new(&running.dynamodb_endpoint, &running.region);
    let old = dynamodb
        .call(
            "DynamoDB_20120810.PutItem",
            &json!({"TableName": running.table, "Item": item, "ReturnValues": "ALL_OLD"}),
        )
        .with_context(|| format!("writing the item into {}", running.table))?;
    // The item as stored (numbers as DynamoDB keeps them), to compare with what was there.
    let stored = dynamodb
        .call(
            "DynamoDB_20120810.GetItem",
            &json!({"TableName": running.table, "Key": {"id": item["id"]}, "ConsistentRead": true}),
        )
        .with_context(|| format!("reading the item back from {}", running.table))?;
    if old.get("Attributes").is_some() && old["Attributes"] == stored["Item"] {
        println!("{}", unchanged(item, &running.table));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "written into {} of {} (local). Its stream record reaches the stream function \
         within a second: watch the deploy --local terminal, or `cargo xtask logs stream`.",
        running.table, step.name
    );
    Ok(ExitCode::SUCCESS)
}

/// Several items in one write (BatchWriteItem): their records come to the stream function in
/// one batch, in the order given.
fn put_together(step: Step, running: &state::Running, items: &[Value]) -> Result<ExitCode> {
    if items.len() > 25 {
        bail!("at most 25 items go in one write (DynamoDB's BatchWriteItem)");
    }
    let dynamodb = LocalDynamoDb::new(&running.dynamodb_endpoint, &running.region);
    let writes: Vec<Value> = items
        .iter()
        .map(|item| json!({"PutRequest": {"Item": item}}))
        .collect();
    dynamodb
        .call(
            "DynamoDB_20120810.BatchWriteItem",
            &json!({"RequestItems": {running.table.clone(): writes}}),
        )
        .with_context(|| format!("writing the items into {}", running.table))?;
    println!(
        "{} items written together into {} of {} (local): their records reach the stream \
         function in one batch, within a second.",
        items.len(),
        running.table,
        step.name
    );
    Ok(ExitCode::SUCCESS)
}

/// A write of what the table already holds: no record, and what to do to see one.
fn unchanged(item: &Value, table: &str) -> String {
    let id = item["id"]["S"].as_str().unwrap_or_default();
    format!(
        "{id} was already in {table} with exactly these values: the write changed nothing. \
         DynamoDB writes no stream record for a write that changes nothing, so the stream \
         function gets none. To see a record, write another id (say {}) or change a value.",
        next_id(id)
    )
}

/// `bad-2` after `bad-1`; `x-2` after `x`.
fn next_id(id: &str) -> String {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = id.split_at(id.len() - digits);
    match number.parse::<u64>() {
        Ok(n) => format!("{stem}{}", n + 1),
        Err(_) => format!("{id}-2"),
    }
}

fn put_on_aws(step: Step, item: &Value, stage: Option<&str>) -> Result<ExitCode> {
    let yml = ServerlessYml::load(&step.dir())?;
    let stage = aws::credentials_and_stage(stage)?;
    let Some((logical_id, _)) = yml.users_table() else {
        bail!("{} has no table in serverless.yml", step.name);
    };
    let service = yml.service().context("serverless.yml has no `service`")?;
    let region = yml.region();
    // CloudFormation names a table it names itself STACK-LOGICALID-SUFFIX; the framework's
    // stack is SERVICE-STAGE.
    let table = match yml.users_table_name() {
        Some(name) => format!("={name}"),
        None => format!("{service}-{stage}-{logical_id}-"),
    };
    eprintln!("writing the item into the {logical_id} table of stage {stage} on AWS");
    let output = process::output_with_heartbeat(
        project::cargo()
            .args([
                "run",
                "--quiet",
                "--package",
                "xtask-aws",
                "--bin",
                "aws-put-item",
                "--",
            ])
            .args([region, &table, &item.to_string()]),
        "writing the item on AWS (the first time compiles the AWS SDK)",
        std::time::Duration::from_secs(5),
    )?;
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Ok(ExitCode::FAILURE);
    }
    // The helper says `unchanged TABLE` when the table already held exactly this item.
    let said = String::from_utf8_lossy(&output.stdout);
    match said
        .lines()
        .find_map(|line| line.strip_prefix("unchanged "))
    {
        Some(table) => println!("{}", unchanged(item, table)),
        None => println!(
            "{}written. `cargo xtask logs stream` shows what the stream function made of it.",
            said
        ),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_to_try_next_is_named() {
        assert_eq!(next_id("bad-1"), "bad-2");
        assert_eq!(next_id("bad-9"), "bad-10");
        assert_eq!(next_id("x"), "x-2");
    }
}
