//! `cargo xtask build`: the step's Lambda artifact (see `tools::lambda_zip`), with its size.

use std::process::ExitCode;

use anyhow::{Context, Result};
use pico_args::Arguments;

use crate::project::Step;
use crate::tools::lambda_zip;

pub const HELP: &str = "\
cargo xtask build: the step's Lambda zip (what `cargo xtask deploy` uploads)

Usage: cargo xtask build [STEP]

Builds the step's binary for Lambda (Amazon Linux 2023, the architecture of
provider.architecture in serverless.yml) with cargo-lambda, installed into target/ the
first time, and prints the zip's path and size. A first build takes several minutes.
";

#[derive(Debug, Clone)]
pub struct Options {
    step: Option<String>,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        Ok(Self {
            step: args.opt_free_from_str()?,
        })
    }
}

pub fn run(options: Options) -> Result<ExitCode> {
    let step = Step::chosen(options.step.as_deref())?;
    let zip = lambda_zip::build(step)?;
    let size = std::fs::metadata(&zip)
        .with_context(|| format!("reading {}", zip.display()))?
        .len();
    println!("{} ({:.1} MB)", zip.display(), size as f64 / 1_000_000.0);
    Ok(ExitCode::SUCCESS)
}
