//! `cargo xtask deploy`: the step on AWS (`--local`: see `commands::local`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::project::Step;
use crate::tools::{aws, lambda_zip};

/// Deploy the step to AWS, or run it on this machine with --local
///
/// Credentials come from the AWS SDK's usual places (`aws configure`, AWS_PROFILE, the
/// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables). AWS_ENDPOINT_URL (or a
/// per-service AWS_ENDPOINT_URL_<SERVICE>) sends every AWS call of deploy, logs,
/// put-item --aws, sls and remove to another endpoint: a company proxy, LocalStack, an
/// emulated account.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    pub step: Option<String>,
    /// Run the whole service on this machine instead, no AWS account needed: the API on
    /// http://127.0.0.1:PORT, the table (and its stream, if serverless.yml turns it on) in a
    /// local DynamoDB, every function's log in this terminal. Ctrl-C stops everything. The
    /// table and the stream's place are kept in target/xtask/local/STEP: the next run goes on
    /// from them
    #[arg(long)]
    pub local: bool,
    /// The local API's port
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub port: u16,
    /// With --local: each time you save a file of the step, rebuild it and put the new code
    /// (or serverless.yml) in place; the table, its items and the stream's position stay
    #[arg(long, requires = "local")]
    pub watch: bool,
    /// With --watch: notice saves by reading the files every half second, for file systems
    /// that send no change events (WSL 2 on a Windows drive, network or container mounts)
    #[arg(long, requires = "watch")]
    pub poll: bool,
    /// With --local: start with a new, empty table instead of the last run's
    #[arg(long, requires = "local")]
    pub fresh: bool,
    /// With --local: run the step in PATH (a copy of a step) instead
    #[arg(long, value_name = "PATH", requires = "local", conflicts_with = "step")]
    pub dir: Option<PathBuf>,
    /// The AWS stage (default: your login name, made valid); a local deployment's stage is
    /// always `local`
    #[arg(long, value_name = "NAME", conflicts_with = "local")]
    stage: Option<String>,
}

/// The step on AWS: build, then `serverless deploy`.
pub fn run(options: Options) -> Result<ExitCode> {
    let step = Step::chosen(options.step.as_deref())?;
    let stage = aws::credentials_and_stage(options.stage.as_deref())?;
    lambda_zip::build(step)?;
    eprintln!(
        "deploying {} to AWS (stage {stage}) with the Serverless Framework",
        step.name
    );
    aws::serverless(step, &["deploy", "--stage", &stage])
}
