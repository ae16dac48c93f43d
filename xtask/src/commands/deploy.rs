//! `cargo xtask deploy`: the step on AWS (`--local`: see `commands::local`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pico_args::Arguments;

use crate::project::Step;
use crate::tools::{aws, lambda_zip};

pub const HELP: &str = "\
cargo xtask deploy: deploy a step's service

Usage: cargo xtask deploy [STEP] [--local [--watch [--poll]] [--fresh] [--port N]
                          [--dir PATH]] [--stage NAME]

STEP is a step directory (6-streams, 7-finish); by default the one your shell is in,
else 6-streams.

  --local        run the whole service on this machine instead, no AWS account needed:
                 the API on http://127.0.0.1:PORT, the table (and its stream, if
                 serverless.yml turns it on) in a local DynamoDB, every function's log
                 in this terminal. Ctrl-C stops everything. The table and the stream's
                 place are kept in target/xtask/local/STEP: the next run goes on from them.
  --fresh        with --local: start with a new, empty table instead of the last run's
  --watch        with --local: each time you save a file of the step, rebuild it and
                 put the new code (or serverless.yml) in place; the table, its items and
                 the stream's position stay
  --poll         with --watch: notice saves by reading the files every half second, for
                 file systems that send no change events (WSL 2 on a Windows drive,
                 network or container mounts)
  --port N       the local API's port (default 3000)
  --dir PATH     with --local: run the step in PATH (a copy of a step) instead
  --stage NAME   the AWS stage (default: your login name, made valid)
  -h, --help     this text

Credentials come from the AWS SDK's usual places (`aws configure`, AWS_PROFILE, the
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables). AWS_ENDPOINT_URL (or a per-service
AWS_ENDPOINT_URL_<SERVICE>) sends every AWS call of deploy, logs, put-item --aws, sls and
remove to another endpoint: a company proxy, LocalStack, an emulated account.
";

#[derive(Debug, Clone)]
pub struct Options {
    pub step: Option<String>,
    /// `--local`: `main` hands these options to `local::run` instead.
    pub local: bool,
    pub port: u16,
    pub watch: bool,
    pub poll: bool,
    pub fresh: bool,
    pub dir: Option<PathBuf>,
    stage: Option<String>,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        let local = args.contains("--local");
        let watch = args.contains("--watch");
        let fresh = args.contains("--fresh");
        let poll = args.contains("--poll");
        if poll && !watch {
            anyhow::bail!("--poll is a way to watch: `cargo xtask deploy --local --watch --poll`");
        }
        let dir: Option<PathBuf> = args.opt_value_from_str("--dir")?;
        if !local && (watch || fresh || dir.is_some()) {
            anyhow::bail!(
                "--watch, --fresh and --dir work with --local: `cargo xtask deploy --local \
                 --watch`"
            );
        }
        let stage = args.opt_value_from_str("--stage")?;
        if local && stage.is_some() {
            anyhow::bail!(
                "--stage names an AWS stage; a local deployment always uses the stage `local`: \
                 drop --stage, or drop --local to deploy to AWS"
            );
        }
        Ok(Self {
            local,
            watch,
            poll,
            fresh,
            dir,
            port: args.opt_value_from_str("--port")?.unwrap_or(3000),
            stage,
            step: args.opt_free_from_str()?,
        })
    }
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
