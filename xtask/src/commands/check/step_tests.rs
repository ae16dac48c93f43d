//! Item 6: the step's own tests (`cargo test` on the step's crate).

use std::time::Duration;

use anyhow::Result;

use super::report::{Finding, Item};
use crate::project;
use crate::tools::cargo_build::Crate;
use crate::tools::process;

pub fn check(krate: &Crate) -> Result<Finding> {
    let mut command = project::cargo();
    command.arg("test");
    krate.select(&mut command);
    // Building the tests the first time takes a while: say so, every few seconds.
    let _turn = crate::tools::cargo_build::cargo_turn()?;
    let output = process::output_with_heartbeat(
        &mut command,
        "building and running the step's tests",
        Duration::from_secs(5),
    )?;
    if output.status.success() {
        return Ok(Finding::pass(Item::Tests));
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(Finding::fail(
        Item::Tests,
        format!("cargo test fails:\n{}", failures(&text)),
    ))
}

/// The lines that say which tests failed and why, at most a screenful.
fn failures(output: &str) -> String {
    let interesting: Vec<&str> = output
        .lines()
        .filter(|line| {
            line.contains("FAILED")
                || line.contains("panicked at")
                || line.starts_with("error")
                || line.starts_with("  left:")
                || line.starts_with(" right:")
        })
        .take(15)
        .collect();
    if interesting.is_empty() {
        crate::tools::process::last_lines(output, 15)
    } else {
        interesting.join("\n")
    }
}
