//! `cargo xtask bench`: the authors' bench, a crate of its own (`xtask/bench`), built and run
//! on demand: a learner's `cargo xtask` never compiles it.

use std::process::ExitCode;

use anyhow::Result;

use crate::project;
use crate::tools::process;

/// Runs `cargo run --package workshop-bench -- ARGS`; `--help` is the bench's own.
pub fn run(args: Vec<String>) -> Result<ExitCode> {
    eprintln!("building the bench (xtask/bench; the first time takes a minute)");
    let status = process::status(
        project::cargo()
            .args(["run", "--quiet", "--package", "workshop-bench", "--"])
            .args(args),
        "running the bench",
    )?;
    Ok(match status.success() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}
