//! `cargo xtask failures`: what the stream's retries gave up on, from the stream event's
//! on-failure destination. A message says where the records are (shard, sequence numbers),
//! not what they are: they are read back from the table's stream and shown as plain values;
//! `--replay` sends them to the stream function again, and removes a message once its records
//! are handled.

mod aws;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use pico_args::Arguments;
use serde_json::{json, Value};

use crate::lambda::destination::{LocalQueue, QueueMessage};
use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::lambda::function_environment::{function_environment, LocalNames};
use crate::lambda::runtime_api::{error_message, Outcome};
use crate::lambda::stream_records::{as_lambda_record, read_between};
use crate::local_state as state;
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::local_dynamodb::{plain_item, LocalDynamoDb};

pub const HELP: &str = "\
cargo xtask failures: what the stream's retries gave up on, kept by its on-failure destination

Usage: cargo xtask failures [STEP] [--replay] [--aws [--stage NAME]] [--dir PATH]

Lists the messages of the stream event's on-failure destination (`destinations.onFailure`
in serverless.yml): when, why (RetryAttemptsExhausted: the retries ran out;
RecordAgeExceeded: the records were too old), and the records each one names, read back
from the table's stream by their sequence numbers (a stream keeps them 24 hours) and shown
as plain values. STEP is a step directory; by default the one your shell is in.

  --replay       send those records to the stream function again, once you have fixed the
                 handler (or the data): a message whose records it handles is removed from
                 the queue, one it still fails on stays
  --aws          the deployed queue, stream and function on AWS instead of the local ones
  --stage NAME   with --aws: the AWS stage (default: your login name, as for deploy)
  --dir PATH     a copy of a step (as `deploy --local --dir` runs it) instead
  -h, --help     this text
";

#[derive(Debug, Clone)]
pub struct Options {
    step: Option<String>,
    replay: bool,
    aws: bool,
    stage: Option<String>,
    dir: Option<std::path::PathBuf>,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        let options = Self {
            replay: args.contains("--replay"),
            aws: args.contains("--aws"),
            stage: args.opt_value_from_str("--stage")?,
            dir: args.opt_value_from_str("--dir")?,
            step: args.opt_free_from_str()?,
        };
        if options.stage.is_some() && !options.aws {
            bail!("--stage names an AWS stage: `cargo xtask failures --aws --stage NAME`");
        }
        Ok(options)
    }
}

/// The stream function with an on-failure destination, and its queue's name.
struct Destination {
    function: String,
    handler: String,
    queue: String,
}

pub fn run(options: Options) -> Result<ExitCode> {
    let target = match &options.dir {
        Some(dir) => Target::of_dir(dir.clone())?,
        None => Target::of_step(state::chosen_step(options.step.as_deref())?),
    };
    let yml = ServerlessYml::load(&target.dir)?;
    let Some(destination) = destination(&yml)? else {
        println!(
            "the stream event of {} has no on-failure destination: what its retries give up on \
             is lost, with nothing to list or replay. README, \"Keep what the stream skips\", \
             adds one.",
            target.name
        );
        return Ok(ExitCode::SUCCESS);
    };
    if options.aws {
        return aws::run(
            &target.name,
            &yml,
            &destination.function,
            options.stage.as_deref(),
            options.replay,
        );
    }
    local(&target, &yml, &destination, options.replay)
}

fn destination(yml: &ServerlessYml) -> Result<Option<Destination>> {
    for function in yml.functions() {
        for event in function.dynamodb_streams() {
            let Some(on_failure) = &event.settings.on_failure else {
                continue;
            };
            let queue = yml.local_queue(on_failure).map_err(|why| {
                anyhow::anyhow!("function {}'s on-failure destination: {why}", function.name)
            })?;
            return Ok(Some(Destination {
                function: function.name.to_owned(),
                handler: function.handler().unwrap_or_default().to_owned(),
                queue,
            }));
        }
    }
    Ok(None)
}

/// The local DynamoDB with the step's table: the running deployment's, or the table's file
/// opened here when none runs.
enum Table {
    Running(LocalDynamoDb),
    /// The endpoint lives as long as the table is read.
    Opened {
        _endpoint: LocalDynamoDbEndpoint,
        client: LocalDynamoDb,
    },
}

impl Table {
    fn of(name: &str, region: &str) -> Result<Self> {
        if let Some(running) = state::running(name) {
            return Ok(Table::Running(LocalDynamoDb::new(
                &running.dynamodb_endpoint,
                region,
            )));
        }
        let file = state::database(name);
        if !file.exists() {
            bail!("{name} has no local table yet: `cargo xtask deploy --local` makes one");
        }
        let endpoint = LocalDynamoDbEndpoint::start(&Storage::File(file))?;
        let client = LocalDynamoDb::new(&endpoint.url(), region);
        Ok(Table::Opened {
            _endpoint: endpoint,
            client,
        })
    }

    fn client(&self) -> &LocalDynamoDb {
        match self {
            Table::Running(client) | Table::Opened { client, .. } => client,
        }
    }

    fn url(&self) -> String {
        match self {
            Table::Running(client) | Table::Opened { client, .. } => client.endpoint().to_owned(),
        }
    }
}

fn local(
    target: &Target,
    yml: &ServerlessYml,
    destination: &Destination,
    replay: bool,
) -> Result<ExitCode> {
    let queue = LocalQueue::in_state(&state::dir(&target.name), &destination.queue);
    let messages = queue.messages();
    println!(
        "queue {} of {} (local): {}",
        queue.name,
        target.name,
        count(messages.len(), "message")
    );
    if messages.is_empty() {
        println!(
            "Nothing was given up on (or a replay handled it all). A record the stream \
             function keeps failing on lands here after its last retry."
        );
        return Ok(ExitCode::SUCCESS);
    }
    let region = yml.region().to_owned();
    let table = Table::of(&target.name, &region)?;
    let mut batches = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        println!("  {}. {}", index + 1, describe(message));
        let records = records_of(table.client(), &message.body, &region);
        match &records {
            Ok(records) => {
                for record in records {
                    println!("     {}", show(record));
                }
            }
            Err(error) => println!("     {error:#}"),
        }
        batches.push(records.ok());
    }
    if !replay {
        println!(
            "Fix the handler, then `cargo xtask failures --replay` sends these records to \
             function {} again.",
            destination.function
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut function = start_function(target, yml, destination, &table, &region)?;
    let mut still_failing = 0;
    for (index, (message, records)) in messages.iter().zip(batches).enumerate() {
        let Some(records) = records else {
            println!(
                "  {}. kept: its records are no longer in the stream",
                index + 1
            );
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
        for line in function.log_text()[before..].lines() {
            println!("     {} | {line}", destination.function);
        }
        match replayed(outcome) {
            Ok(()) => {
                queue.delete(&message.id)?;
                println!("  {}. handled: removed from the queue", index + 1);
            }
            Err(why) => {
                still_failing += 1;
                println!("  {}. still failing ({why}): kept in the queue", index + 1);
            }
        }
    }
    Ok(match still_failing {
        0 => {
            println!("Every record was handled: the queue is empty.");
            ExitCode::SUCCESS
        }
        n => {
            println!(
                "{} still in the queue: fix what fails, then replay again.",
                count(n, "message")
            );
            ExitCode::FAILURE
        }
    })
}

/// One message's line: when, why, how many records.
pub(crate) fn describe(message: &QueueMessage) -> String {
    let body = &message.body;
    let info = &body["DDBStreamBatchInfo"];
    let size = info["batchSize"].as_u64().unwrap_or(0) as usize;
    let range = match (
        info["startSequenceNumber"].as_str(),
        info["endSequenceNumber"].as_str(),
    ) {
        (Some(first), Some(last)) if first == last => format!("sequence {first}"),
        (Some(first), Some(last)) => format!("sequences {first}..{last}"),
        _ => "sequences unknown".to_owned(),
    };
    format!(
        "{} {} after {}: {}, {range}",
        body["timestamp"].as_str().unwrap_or("?"),
        body["requestContext"]["condition"].as_str().unwrap_or("?"),
        count(
            body["requestContext"]["approximateInvokeCount"]
                .as_u64()
                .unwrap_or(0) as usize,
            "invocation"
        ),
        count(size, "record"),
    )
}

/// A record as the learner reads it: what happened, its key, its images as plain values.
pub(crate) fn show(record: &Value) -> String {
    let change = &record["dynamodb"];
    let image = |name: &str| match change
        .get(name)
        .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
    {
        Some(image) => format!(
            " {}: {}",
            name.trim_end_matches("Image").to_lowercase(),
            plain_item(image)
        ),
        None => String::new(),
    };
    format!(
        "{} {}{}{}",
        record["eventName"].as_str().unwrap_or("?"),
        plain_item(&change["Keys"]),
        image("NewImage"),
        image("OldImage")
    )
}

/// The records a message names, read back from the table's current stream, in Lambda's form.
fn records_of(dynamodb: &LocalDynamoDb, body: &Value, region: &str) -> Result<Vec<Value>> {
    let info = &body["DDBStreamBatchInfo"];
    let (Some(first), Some(last), Some(shard), Some(stream_arn)) = (
        info["startSequenceNumber"].as_str(),
        info["endSequenceNumber"].as_str(),
        info["shardId"].as_str(),
        info["streamArn"].as_str(),
    ) else {
        bail!("the message names no records: {body}");
    };
    // `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`
    let table = stream_arn
        .split("table/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .context("the message's streamArn names no table")?;
    let described = dynamodb
        .call(
            "DynamoDB_20120810.DescribeTable",
            &json!({"TableName": table}),
        )
        .with_context(|| format!("reading the table {table}"))?;
    let Some(local_stream) = described["Table"]["LatestStreamArn"].as_str() else {
        bail!("the table {table} has no stream any more: its records are gone");
    };
    let records = read_between(dynamodb, local_stream, shard, first, last).map_err(|error| {
        anyhow::anyhow!("the records are no longer in the stream ({error:#}): a stream keeps them 24 hours, and a stream turned off and on again is a new one")
    })?;
    Ok(records
        .into_iter()
        .filter_map(|record| as_lambda_record(record, stream_arn, region))
        .collect())
}

/// The step's stream function, built from its sources and run as Lambda runs it.
fn start_function(
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
        log: state::dir(&target.name).join(format!("{}.replay.log", destination.function)),
    })
}

/// Whether the function handled a replayed batch: it answered, and reported none of it.
fn replayed(outcome: Result<Outcome>) -> std::result::Result<(), String> {
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

pub(crate) fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}
