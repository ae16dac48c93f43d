//! Host builds of a step crate: the same code Lambda runs, built to run on this machine.

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{bail, Context, Result};

use crate::project::{self, Step};

/// Builds the step's binary (debug, into the shared target directory) and returns its path.
/// Cargo's progress and errors go to the terminal.
pub fn build(step: Step) -> Result<PathBuf> {
    let status = project::cargo()
        .args(["build", "--package", step.package, "--bin", step.package])
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("running cargo build for {}", step.name))?;
    if !status.success() {
        bail!("{} does not build: the errors are above", step.name);
    }
    Ok(path(step))
}

/// Where [`build`] puts the step's binary.
pub fn path(step: Step) -> PathBuf {
    let exe = if cfg!(windows) {
        format!("{}.exe", step.package)
    } else {
        step.package.to_owned()
    };
    project::target_dir().join("debug").join(exe)
}
