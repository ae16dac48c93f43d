//! `cargo xtask build`: the step's Lambda artifact (see `tools::lambda_zip`), with its size.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::project::Step;
use crate::tools::lambda_zip;

/// The step's Lambda zip (what `cargo xtask deploy` uploads)
///
/// Builds the step's binary for Lambda (Amazon Linux 2023, the architecture of
/// provider.architecture in serverless.yml) with cargo-lambda, installed into target/ the first
/// time, and prints the zip's path and size. A first build takes several minutes.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    step: Option<String>,
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
