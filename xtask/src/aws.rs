//! The AWS path: deploy, logs and remove through the pinned Serverless Framework.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::project::Step;

pub fn deploy(step: Step, _stage: Option<&str>) -> Result<ExitCode> {
    bail!(
        "deploying {} to AWS is not in this version of the workshop yet: \
         run it locally with `cargo xtask deploy --local`",
        step.name
    )
}

pub fn logs(step: Step, function: &str, _stage: Option<&str>, _tail: bool) -> Result<ExitCode> {
    bail!(
        "no local deployment of {} is running, and AWS logs are not in this version of the \
         workshop yet: start `cargo xtask deploy --local`, then `cargo xtask logs {function}`",
        step.name
    )
}
