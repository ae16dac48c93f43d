//! `cargo xtask failures`: what the stream's retries gave up on, from the stream event's
//! on-failure destination. A message says where the records are (shard, sequence numbers),
//! not what they are: they are read back from the table's stream and shown as plain values;
//! `--replay` sends them to the stream function again, and removes a message once its records
//! are handled.

mod aws;
mod messages;
mod replay;

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::lambda::destination::{DestinationKind, DestinationName, KeptMessage, LocalDestination};
use crate::local_state as state;
use crate::serverless_yml::{self, ServerlessYml};
use crate::target::Target;
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::local_dynamodb::LocalDynamoDb;
use crate::tools::terminal;
use messages::{count, describe, records_of, show};
use replay::start_function;

/// What the stream's retries gave up on, kept by its on-failure destination (--replay)
///
/// Lists the messages of the stream event's on-failure destination (`destinations.onFailure`
/// in serverless.yml): when, why (RetryAttemptsExhausted: the retries ran out;
/// RecordAgeExceeded: the records were too old), and the records each one names, read back
/// from the table's stream by their sequence numbers (a stream keeps them 24 hours) and
/// shown as plain values.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    step: Option<String>,
    /// Send those records to the stream function again, once you have fixed the handler (or
    /// the data): a message whose records it handles is removed from its queue (topic,
    /// bucket), one it still fails on stays
    #[arg(long)]
    replay: bool,
    /// The deployed queue, stream and function on AWS instead of the local ones
    #[arg(long)]
    aws: bool,
    /// With --aws: the AWS stage (default: your login name, as for deploy)
    #[arg(long, value_name = "NAME", requires = "aws")]
    stage: Option<String>,
    /// A copy of a step (as `deploy --local --dir` runs it) instead
    #[arg(long, value_name = "PATH", conflicts_with = "step")]
    dir: Option<std::path::PathBuf>,
}

/// The stream function with an on-failure destination, and the queue, topic or bucket it is.
struct Destination {
    function: String,
    handler: String,
    kept: DestinationName,
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
        if destination.kept.kind != DestinationKind::Queue {
            bail!(
                "`failures --aws` reads an SQS queue; {} keeps its own on AWS: {}",
                destination.kept,
                match destination.kept.kind {
                    DestinationKind::Bucket => format!(
                        "`aws s3 ls s3://{}/aws/lambda/ --recursive` lists its objects, each \
                         with its records (`payload`)",
                        destination.kept.name
                    ),
                    _ => "a topic keeps nothing itself: subscribe an SQS queue to it and \
                          read that one"
                        .to_owned(),
                }
            );
        }
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
            let named = serverless_yml::destination::of(yml, on_failure).map_err(|no| {
                anyhow::anyhow!(
                    "function {}'s on-failure destination: {}. Nothing is kept locally to list \
                     or replay: fix serverless.yml, then `cargo xtask deploy --local`",
                    function.name,
                    no.why()
                )
            })?;
            return Ok(Some(Destination {
                function: function.name.to_owned(),
                handler: function.handler().unwrap_or_default().to_owned(),
                kept: named,
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
    let queue = LocalDestination::in_state(&state::dir(&target.name), &destination.kept);
    let messages = list(&queue, &target.name);
    let item = queue.kind.item();
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
                    println!("     {}", terminal::safe(&show(record)));
                }
            }
            Err(error) => println!("     {}", terminal::safe(&format!("{error:#}"))),
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
    let still_failing = match state::running(&target.name) {
        Some(running) => {
            println!(
                "through the running deployment ({}): its terminal, `cargo xtask logs {}` and \
                 the console show each replay",
                running.api_url, destination.function
            );
            replay::through_deployment(&running, destination, &messages, batches)?
        }
        None => {
            let function = start_function(target, yml, destination, &table, &region)?;
            replay::here(function, destination, &queue, &messages, batches)?
        }
    };
    Ok(match still_failing {
        0 => {
            println!(
                "Every record was handled: the {} is empty.",
                queue.kind.noun()
            );
            ExitCode::SUCCESS
        }
        n => {
            println!(
                "{} still in the {}: fix what fails, then replay again.",
                count(n, item),
                queue.kind.noun()
            );
            ExitCode::FAILURE
        }
    })
}

/// Its first lines: what it keeps, and the files in it that are not what it keeps (left
/// alone); the messages.
fn list(queue: &LocalDestination, step: &str) -> Vec<KeptMessage> {
    let (messages, damaged) = queue.read();
    let item = queue.kind.item();
    println!(
        "{} of {step} (local): {}",
        queue.label,
        count(messages.len(), item)
    );
    for file in &damaged {
        println!(
            "  {} is not {} (damaged or cut short): left as it is",
            terminal::safe(&file.display().to_string()),
            queue.kind.an_item()
        );
    }
    messages
}
