//! The last line, a warning at most: the step's code as `cargo fmt` writes it. `cargo xtask
//! test` (and the repository's CI) refuse anything else, so "All done" says so when it is not.

use std::collections::BTreeSet;

use anyhow::Result;

use super::report::{Finding, Item};
use crate::project;
use crate::tools::cargo_build::Crate;
use crate::tools::process;

pub fn check(krate: &Crate, step_name: &str) -> Result<Finding> {
    let mut command = project::cargo();
    command.arg("fmt");
    krate.select(&mut command);
    command.arg("--check");
    let output = process::output(&mut command, "running cargo fmt --check")?;
    if output.status.success() {
        return Ok(Finding::pass(Item::Formatted));
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // `Diff in /…/6-streams/src/stream.rs:12:` (rustfmt 1.x), the file as the step names it.
    let files: BTreeSet<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("Diff in "))
        .filter_map(|place| {
            let path = place.trim_end_matches(':').rsplitn(2, ':').last()?;
            let path = path.replace('\\', "/");
            Some(match path.rfind("/src/") {
                Some(at) => path[at + 1..].to_owned(),
                None => path,
            })
        })
        .collect();
    if files.is_empty() {
        return Ok(Finding::warn(
            Item::Formatted,
            "the code's formatting could not be checked",
            format!(
                "cargo fmt --check failed: {}. Is rustfmt installed? `rustup component add \
                 rustfmt`",
                text.lines().next().unwrap_or_default()
            ),
        ));
    }
    let files: Vec<String> = files.into_iter().collect();
    Ok(Finding::warn(
        Item::Formatted,
        format!(
            "{} not formatted as `cargo fmt` formats it",
            match files.as_slice() {
                [one] => format!("{one} is"),
                many => format!("{} are", many.join(", ")),
            }
        ),
        format!(
            "run `cargo fmt` in {step_name}: `cargo xtask test` (and the repository's CI) \
             refuse code that is not formatted"
        ),
    ))
}
