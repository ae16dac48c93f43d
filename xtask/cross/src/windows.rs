//! Windows (`x86_64-pc-windows-gnu`): the workspace built with mingw-w64, its unit tests and
//! the steps' tests run under Wine, and a local deployment under Wine.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;
use xtask::project;
use xtask::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use xtask::tools::process;

use crate::mingw::MINGW_GCC;
use crate::toolchain::Toolchain;
use crate::wine::Wine;
use crate::HEARTBEAT;

pub const TARGET: &str = "x86_64-pc-windows-gnu";

/// The Windows build's own target directory, kept for the next run.
pub fn target_dir() -> PathBuf {
    project::target_dir().join("cross").join("windows")
}

/// Where the Windows binaries land.
pub fn binaries() -> PathBuf {
    target_dir().join(TARGET).join("debug")
}

/// The cross toolchain's cargo for Windows: mingw links, Wine runs the tests.
fn cargo(toolchain: &Toolchain, wine: &Wine, args: &[&str]) -> Command {
    let mut command = toolchain.cargo();
    command
        .args(args)
        .args(["-Zbuild-std", "--target", TARGET])
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", MINGW_GCC)
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", "wine");
    wine.env(&mut command);
    command
}

/// The whole workspace, every target (tests, benches, examples), for Windows.
pub fn build(toolchain: &Toolchain, wine: &Wine) -> Result<bool> {
    let status = process::run_with_heartbeat(
        &mut cargo(toolchain, wine, &["build", "--workspace", "--all-targets"]),
        "building the workspace for Windows",
        HEARTBEAT,
    )?;
    Ok(status.success())
}

/// xtask's and the local cloud's unit tests, then `shared`'s tests (its API tests against a
/// local DynamoDB served from this side) and the steps' own tests, all run under Wine.
pub fn unit_tests(toolchain: &Toolchain, wine: &Wine) -> Result<bool> {
    let dynamodb = LocalDynamoDbEndpoint::start(&Storage::Memory)?;
    let mut passed = true;
    for packages in [
        &["--package", "xtask", "--package", "local-cloud", "--lib"][..],
        &[
            "--package",
            "shared",
            "--package",
            "streams-exercise",
            "--package",
            "streams-finish",
        ],
    ] {
        let mut args = vec!["test", "--no-fail-fast"];
        args.extend_from_slice(packages);
        let status = process::run_with_heartbeat(
            cargo(toolchain, wine, &args).env(project::TEST_DYNAMODB_ENDPOINT, dynamodb.url()),
            "running tests under Wine",
            HEARTBEAT,
        )?;
        passed &= status.success();
    }
    Ok(passed)
}

/// `xtask.exe deploy --local 7-finish` under Wine, driven by the Linux test
/// `windows_under_wine` (HTTP, `logs`, `put-item`, `failures`, Ctrl-C).
pub fn deployment(wine: &Wine) -> Result<bool> {
    let mut command = project::cargo();
    command
        .args([
            "test",
            "--package",
            "xtask",
            "--features",
            "windows-under-wine",
            "--test",
            "windows_under_wine",
            "--",
            "--nocapture",
        ])
        .env("XTASK_WINDOWS_BUILD", binaries());
    wine.env(&mut command);
    let status = process::run_with_heartbeat(
        &mut command,
        "running a local deployment under Wine",
        HEARTBEAT,
    )?;
    Ok(status.success())
}
