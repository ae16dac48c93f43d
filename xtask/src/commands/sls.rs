//! `cargo xtask sls [STEP] -- ARGS`: the pinned Serverless Framework, for anything else.

use std::process::ExitCode;

use anyhow::Result;

use crate::project::Step;
use crate::tools::aws;

/// The workshop's pinned Serverless Framework (osls), in a step's directory
///
/// Without --stage, the stage is the one `cargo xtask deploy` uses (your login name, made
/// valid), so `sls -- info` describes the stack you deployed. Do not install `serverless`
/// globally: version 4 needs a licence login.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "For example: cargo xtask sls -- info\n             cargo xtask sls 7-finish -- package --package /tmp/out"
)]
pub struct Options {
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    step: Option<String>,
    /// The framework's own arguments, after `--`
    #[arg(last = true, required = true, value_name = "ARGS")]
    args: Vec<String>,
}

/// Runs the framework with its arguments, in the step's directory.
pub fn run(options: Options) -> Result<ExitCode> {
    let step = Step::chosen(options.step.as_deref())?;
    let after = options.args;
    let mut after = after;
    let has_stage = after
        .iter()
        .any(|a| a == "--stage" || a == "-s" || a.starts_with("--stage="));
    // A command (not --help or --version) works on a stage: the same one as deploy's.
    if !has_stage
        && after
            .first()
            .is_some_and(|command| !command.starts_with('-'))
    {
        let stage = aws::stage(None)?;
        after.extend(["--stage".to_owned(), stage]);
    }
    aws::serverless(step, &after)
}
