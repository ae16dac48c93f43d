//! `cargo xtask test`: every check of the repository, as CI runs it.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::project::{self, LOCAL_STATE_DIR, TEST_DYNAMODB_ENDPOINT};
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::process;

/// Run every check of the repository (what CI runs)
///
/// Starts a local DynamoDB (in memory, in this process), then runs `cargo fmt --all --
/// --check`, `cargo clippy --workspace --all-targets --all-features -- -D warnings` (the
/// features only add the test that `--cross` runs) and `cargo test
/// --workspace --no-fail-fast` with the local DynamoDB's address in
/// WORKSHOP_DYNAMODB_ENDPOINT, and stops it at the end. The tests' local deployments keep
/// their tables under target/xtask/test-local/, not with yours (target/xtask/local/). A
/// failing stage is said at once; the others still run. Some tests build Lambda zips or
/// install tools for minutes: a line every 10 s says so.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Then the other systems, from Debian 12 (what CI runs): the workspace built for Windows,
    /// its unit tests, the steps' tests and a local deployment run under Wine; the workspace
    /// type-checked for macOS (Apple silicon and Intel). Needs, as root, `apt-get update` and
    /// `apt-get install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine64`; the rest goes
    /// into target/cross/ (about 15 min the first time; see `cargo run --package xtask-cross
    /// -- --help`)
    #[arg(long)]
    pub cross: bool,
}

pub fn run(options: Options) -> Result<ExitCode> {
    let dynamodb = LocalDynamoDbEndpoint::start(&Storage::Memory)?;
    eprintln!("local DynamoDB listening on {}", dynamodb.url());

    let stages: [(&str, &[&str]); 3] = [
        ("formatting", &["fmt", "--all", "--", "--check"]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
        ),
        ("tests", &["test", "--workspace", "--no-fail-fast"]),
    ];
    let mut failed = Vec::new();
    for (stage, args) in stages {
        eprintln!("\n==> cargo {}", args.join(" "));
        let status = process::run_with_heartbeat(
            project::cargo()
                .args(args)
                .env(TEST_DYNAMODB_ENDPOINT, dynamodb.url())
                // The tests start deployments of the steps with fresh tables: not the learner's.
                .env(LOCAL_STATE_DIR, project::xtask_dir().join("test-local")),
            &format!("running cargo {}", args[0]),
            Duration::from_secs(10),
        )?;
        if !status.success() {
            match stage {
                "formatting" => eprintln!(
                    "==> formatting: failed: run `cargo fmt --all` (the files are named above); \
                     clippy and the tests run now all the same"
                ),
                _ => eprintln!("==> {stage}: failed"),
            }
            failed.push(stage);
        }
    }
    drop(dynamodb);
    if options.cross {
        eprintln!("\n==> cargo run --package xtask-cross (Windows under Wine, macOS type-checks)");
        let status = process::status(
            project::cargo().args(["run", "--quiet", "--package", "xtask-cross"]),
            "running xtask-cross",
        )?;
        if !status.success() {
            failed.push("other systems");
        }
    }

    if failed.is_empty() {
        eprintln!("\nxtask test: formatting, clippy and tests all pass");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("\nxtask test: failed: {} (see above)", failed.join(", "));
        if failed.contains(&"formatting") {
            eprintln!("run `cargo fmt --all` to fix the formatting");
        }
        Ok(ExitCode::FAILURE)
    }
}
