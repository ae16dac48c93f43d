//! What the AWS commands (deploy, logs, remove, sls) share: credentials, the stage, and
//! running the pinned Serverless Framework in the step's directory.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::project::{self, Step};
use crate::stage;
use crate::tools::{node, process};

/// The learner's stage, printed: every AWS command says which stack it works on.
pub fn stage(given: Option<&str>) -> Result<String> {
    let stage = stage::resolve(given)?;
    eprintln!("stage: {stage}");
    Ok(stage)
}

/// What every AWS command does first: credentials (without them nothing else matters, a stage
/// name neither), then the stage, printed; and where the calls go when `AWS_ENDPOINT_URL`
/// sends them elsewhere than AWS (a company endpoint, LocalStack, an emulated account).
pub fn credentials_and_stage(given: Option<&str>) -> Result<String> {
    if let Some(endpoint) = std::env::var_os("AWS_ENDPOINT_URL") {
        eprintln!(
            "AWS_ENDPOINT_URL is {}: every AWS call goes there",
            endpoint.to_string_lossy()
        );
    }
    require_credentials()?;
    stage(given)
}

/// Stops before anything slow when the AWS SDK's default chain finds no credentials.
pub fn require_credentials() -> Result<()> {
    // The first run compiles the AWS SDK for the check: say so while it does.
    let output = process::output_with_heartbeat(
        project::cargo().args([
            "run",
            "--quiet",
            "--package",
            "xtask-aws",
            "--bin",
            "aws-credentials",
        ]),
        "looking for AWS credentials (the first time compiles the AWS SDK)",
        Duration::from_secs(5),
    )?;
    if output.status.success() {
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        return Ok(());
    }
    let detail = String::from_utf8_lossy(&output.stderr);
    // 1 is the checker's "none found"; anything else is cargo failing to build or run it.
    if output.status.code() != Some(1) {
        bail!(
            "could not run the AWS credentials check ({}):\n{detail}",
            output.status
        );
    }
    let first_line = detail
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    bail!(
        "no AWS credentials found ({first_line}).\n\
         Configure them first: `aws configure` (access keys), `aws sso login --profile NAME` \
         with AWS_PROFILE=NAME, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.\n\
         No AWS account? Run the service on this machine: cargo xtask deploy --local"
    )
}

/// `serverless ARGS` in the step's directory; its exit code is ours.
pub fn serverless<S: AsRef<std::ffi::OsStr>>(step: Step, args: &[S]) -> Result<ExitCode> {
    let status = process::status(
        node::serverless(step)?.args(args),
        "running the Serverless Framework",
    )?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
