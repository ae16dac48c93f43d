//! `cargo xtask screenshots`: the README's pictures of the console, taken again by the
//! console's browser test (so the picture shows what the test checks).

use std::process::ExitCode;

use anyhow::Result;

use crate::project;
use crate::tools::process;

/// For authors: take the README's pictures of the console again (needs Chromium)
///
/// Runs the console's browser test (7-finish deployed locally, README steps 4 and 7 played
/// while headless Chromium shows the console) and saves its pictures into 6-streams/images/:
/// console-users.png and console-bad-record.png. Needs Chromium (sudo apt-get install -y
/// chromium, or CHROMIUM=/path/to/chrome).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {}

/// The test says how to get Chromium when it is missing.
pub fn run() -> Result<ExitCode> {
    let images = project::root().join("6-streams/images");
    std::fs::create_dir_all(&images)?;
    let status = process::status(
        project::cargo()
            .args([
                "test",
                "--package",
                "xtask",
                "--test",
                "console",
                "--",
                "--exact",
            ])
            .arg("the_console_shows_a_learners_session_live")
            .env("XTASK_SCREENSHOTS", &images),
        "running the console's browser test",
    )?;
    if !status.success() {
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "the pictures are in {}: look at them, then commit them",
        images.display()
    );
    Ok(ExitCode::SUCCESS)
}
