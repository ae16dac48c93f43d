//! `cargo xtask remove`: tear the step's AWS stack down, so nothing is left running or billed.

use std::process::ExitCode;

use anyhow::Result;
use pico_args::Arguments;

use crate::project::Step;
use crate::tools::aws;

pub const HELP: &str = "\
cargo xtask remove: remove the step's stack from AWS (serverless remove)

Usage: cargo xtask remove [STEP] [--stage NAME]

  --stage NAME   the stage to remove (default: your login name, made valid)
";

#[derive(Debug, Clone)]
pub struct Options {
    step: Option<String>,
    stage: Option<String>,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        Ok(Self {
            stage: args.opt_value_from_str("--stage")?,
            step: args.opt_free_from_str()?,
        })
    }
}

pub fn run(options: Options) -> Result<ExitCode> {
    let step = Step::chosen(options.step.as_deref())?;
    let stage = aws::credentials_and_stage(options.stage.as_deref())?;
    aws::serverless(step, &["remove", "--stage", &stage])
}
