//! `cargo xtask remove`: tear the step's AWS stack down, so nothing is left running or billed.

use std::process::ExitCode;

use anyhow::Result;

use crate::project::Step;
use crate::tools::aws;

/// Remove the step's stack from AWS (serverless remove)
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    step: Option<String>,
    /// The stage to remove (default: your login name, made valid)
    #[arg(long, value_name = "NAME")]
    stage: Option<String>,
}

pub fn run(options: Options) -> Result<ExitCode> {
    let step = Step::chosen(options.step.as_deref())?;
    let stage = aws::credentials_and_stage(options.stage.as_deref())?;
    aws::serverless(step, &["remove", "--stage", &stage])
}
