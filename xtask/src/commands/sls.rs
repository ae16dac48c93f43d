//! `cargo xtask sls [STEP] -- ARGS`: the pinned Serverless Framework, for anything else.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::project::Step;
use crate::tools::aws;

pub const HELP: &str = "\
cargo xtask sls: the workshop's pinned Serverless Framework (osls), in a step's directory

Usage: cargo xtask sls [STEP] -- ARGS...

For example: cargo xtask sls -- info --stage alice
             cargo xtask sls 7-finish -- package --package /tmp/out
`npx serverless ARGS` from a step directory runs the same pinned framework once
installed. Do not install `serverless` globally: version 4 needs a licence login.
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
    aws::serverless(step, &after)
}
