//! `cargo xtask sls [STEP] -- ARGS`: the pinned Serverless Framework, for anything else.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::project::Step;
use crate::tools::aws;

pub const HELP: &str = "\
cargo xtask sls: the workshop's pinned Serverless Framework (osls), in a step's directory

Usage: cargo xtask sls [STEP] -- ARGS...

For example: cargo xtask sls -- info
             cargo xtask sls 7-finish -- package --package /tmp/out
Without --stage, the stage is the one `cargo xtask deploy` uses (your login name, made
valid), so `sls -- info` describes the stack you deployed. Do not install `serverless`
globally: version 4 needs a licence login.
";

/// `sls` takes everything after `--` as the framework's own arguments.
pub fn run(args: Vec<String>) -> Result<ExitCode> {
    let (before, after) = match args.iter().position(|a| a == "--") {
        Some(split) => (&args[..split], args[split + 1..].to_vec()),
        None => bail!("put the framework's arguments after `--`: cargo xtask sls -- info"),
    };
    let step = match before {
        [] => Step::chosen(None)?,
        [step] => Step::named(step)?,
        _ => bail!("sls takes at most one STEP before `--`; see --help"),
    };
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
