//! `cargo xtask bench --save`: how long a learner waits for a verdict after saving
//! `src/stream.rs`. A copy of the exercise with a working handler (7-finish's code, the
//! exercise's own test) is checked as `cargo xtask check --dir` checks it, once to warm up,
//! then after each of N saves that change its code; check tells how its time splits.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use xtask::project::{self, CHECK_TIMINGS as TIMINGS};
use xtask::target::standalone_manifest;
use xtask::tools::process;

const PARTS: [&str; 4] = ["build", "items", "tests", "formatting"];

pub fn run(saves: usize) -> Result<ExitCode> {
    let copy = prepare_copy()?;
    eprintln!(
        "a working handler in {}: checked once to warm up, then after each of {saves} saves",
        copy.display()
    );
    check(&copy).context("the first check of the copy")?;
    let mut rows = Vec::new();
    for save in 1..=saves {
        write_save(&copy, save)?;
        let started = Instant::now();
        let parts = check(&copy)?;
        let total = started.elapsed().as_secs_f64();
        rows.push((total, parts));
    }
    println!("\nsave -> verdict, `cargo xtask check` after a change to src/stream.rs:\n");
    println!("| save | verdict | build | items | tests | formatting |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (index, (total, parts)) in rows.iter().enumerate() {
        let parts: Vec<String> = parts.iter().map(|s| format!("{s:.2} s")).collect();
        println!("| {} | {total:.2} s | {} |", index + 1, parts.join(" | "));
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let totals: Vec<f64> = rows.iter().map(|(total, _)| *total).collect();
    let parts: Vec<String> = (0..PARTS.len())
        .map(|i| format!("{:.2} s", median(rows.iter().map(|(_, p)| p[i]).collect())))
        .collect();
    println!(
        "| median | {:.2} s | {} |",
        median(totals.clone()),
        parts.join(" | ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `target/xtask/bench-save/streams-save`: the exercise as a crate of its own, with the
/// solution's handler and serverless.yml, so that every item of the check runs.
fn prepare_copy() -> Result<PathBuf> {
    let root = project::root();
    let copy = project::xtask_dir().join("bench-save").join("streams-save");
    std::fs::create_dir_all(copy.join("src"))
        .with_context(|| format!("creating {}", copy.display()))?;
    let read = |file: &str| {
        std::fs::read_to_string(root.join(file)).with_context(|| format!("reading {file}"))
    };
    let solution = read("7-finish/src/stream.rs")?;
    let exercise = read("6-streams/src/stream.rs")?;
    let (Some(code), Some(at)) = (
        solution.split("#[cfg(test)]").next(),
        exercise.find("#[cfg(test)]"),
    ) else {
        bail!("7-finish's and 6-streams' stream.rs have no #[cfg(test)] module to tell apart");
    };
    let stream_rs = format!("{}\n\n{}", code.trim_end(), &exercise[at..]);
    let files = [
        ("Cargo.toml", standalone_manifest("streams-save")?),
        ("serverless.yml", read("7-finish/serverless.yml")?),
        ("src/main.rs", read("6-streams/src/main.rs")?),
        ("src/stream.rs", stream_rs),
    ];
    for (file, text) in files {
        std::fs::write(copy.join(file), text).with_context(|| format!("writing {file}"))?;
    }
    std::fs::copy(root.join("Cargo.lock"), copy.join("Cargo.lock"))
        .context("copying Cargo.lock")?;
    Ok(copy)
}

/// A save that changes the code: one more function at the end of stream.rs.
fn write_save(copy: &Path, save: usize) -> Result<()> {
    let path = copy.join("src/stream.rs");
    let text = std::fs::read_to_string(&path).context("reading the copy's stream.rs")?;
    let kept = text.split("\n// save ").next().unwrap_or(&text).trim_end();
    let saved = format!(
        "{kept}\n\n// save {save}\n#[allow(dead_code)]\nfn saved() -> usize {{\n    {save}\n}}\n"
    );
    std::fs::write(&path, saved).context("saving the copy's stream.rs")
}

/// `cargo xtask check --dir COPY`, which must pass; how long each part took.
fn check(copy: &Path) -> Result<Vec<f64>> {
    let xtask = crate::xtask_binary()?;
    let output = process::output(
        Command::new(xtask)
            .args(["check", "--dir"])
            .arg(copy)
            .env(TIMINGS, "1"),
        "running cargo xtask check",
    )?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "the copy's check failed:\n{}{stderr}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let Some(line) = stderr.lines().find_map(|l| l.strip_prefix("timings: ")) else {
        bail!("check said no timings:\n{stderr}");
    };
    PARTS
        .iter()
        .map(|part| {
            line.split(", ")
                .find_map(|lap| lap.strip_prefix(part)?.trim().strip_suffix(" s"))
                .and_then(|seconds| seconds.parse().ok())
                .with_context(|| format!("no {part} in the timings {line:?}"))
        })
        .collect()
}
