//! `cargo xtask bench --save`: how long a learner waits after saving `src/stream.rs`. A copy
//! of the exercise with a working handler (7-finish's code, the exercise's own test) is
//! checked as `cargo xtask check --dir` checks it, once to warm up, then after each of N saves
//! that change its code; check tells how its time splits. Then the same with the README's
//! loop: `deploy --local --watch` of the copy running beside it, which rebuilds on the same
//! save: the verdict's time, and the time until the new code serves.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use xtask::project::{self, CHECK_TIMINGS as TIMINGS};
use xtask::tools::cargo_build::standalone_manifest;
use xtask::tools::process;

const PARTS: [&str; 4] = ["build", "items", "tests", "formatting"];

pub fn run(saves: usize) -> Result<ExitCode> {
    let copy = prepare_copy()?;
    let xtask = crate::xtask_binary()?;
    eprintln!(
        "a working handler in {}: checked once to warm up, then after each of {saves} saves; \
         then again with `deploy --local --watch` of it running",
        copy.display()
    );
    check(&xtask, &copy).context("the first check of the copy")?;
    let mut alone = Vec::new();
    for save in 1..=saves {
        write_save(&copy, save)?;
        let started = Instant::now();
        let parts = check(&xtask, &copy)?;
        alone.push((started.elapsed().as_secs_f64(), parts));
    }
    print_table(
        "`cargo xtask check` alone after a change to src/stream.rs",
        &alone,
        None,
    );

    let mut watching = Watching::start(&xtask, &copy)?;
    let mut together = Vec::new();
    let mut serving = Vec::new();
    for save in saves + 1..=2 * saves {
        write_save(&copy, save)?;
        let started = Instant::now();
        let parts = check(&xtask, &copy)?;
        together.push((started.elapsed().as_secs_f64(), parts));
        serving.push(watching.new_code_since(started)?);
    }
    print_table(
        "the README's loop: `check` and `deploy --local --watch` both on the same save",
        &together,
        Some(&serving),
    );
    Ok(ExitCode::SUCCESS)
}

fn print_table(title: &str, rows: &[(f64, Vec<f64>)], serving: Option<&[f64]>) {
    println!("\n{title}:\n");
    let serving_head = serving.map_or("", |_| " new code serving |");
    let serving_rule = serving.map_or("", |_| "---:|");
    println!("| save | verdict | build | items | tests | formatting |{serving_head}");
    println!("|---|---:|---:|---:|---:|---:|{serving_rule}");
    for (index, (total, parts)) in rows.iter().enumerate() {
        let parts: Vec<String> = parts.iter().map(|s| format!("{s:.2} s")).collect();
        let served = serving.map_or(String::new(), |s| format!(" {:.2} s |", s[index]));
        println!(
            "| {} | {total:.2} s | {} |{served}",
            index + 1,
            parts.join(" | ")
        );
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let totals: Vec<f64> = rows.iter().map(|(total, _)| *total).collect();
    let parts: Vec<String> = (0..PARTS.len())
        .map(|i| format!("{:.2} s", median(rows.iter().map(|(_, p)| p[i]).collect())))
        .collect();
    let served = serving.map_or(String::new(), |s| format!(" {:.2} s |", median(s.to_vec())));
    println!(
        "| median | {:.2} s | {} |{served}",
        median(totals),
        parts.join(" | ")
    );
}

/// `cargo xtask deploy --local --watch --dir COPY`, its lines read as they come.
struct Watching {
    _process: process::Owned,
    lines: std::sync::mpsc::Receiver<(Instant, String)>,
}

impl Watching {
    fn start(xtask: &Path, copy: &Path) -> Result<Self> {
        let port = xtask::tools::server::free_port()?;
        let mut command = Command::new(xtask);
        command
            .args([
                "deploy",
                "--local",
                "--watch",
                "--fresh",
                "--port",
                &port.to_string(),
            ])
            .arg("--dir")
            .arg(copy)
            .env(
                project::LOCAL_STATE_DIR,
                project::xtask_dir().join("bench-local"),
            )
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        let mut child = process::Owned::spawn(&mut command, "starting deploy --local --watch")?;
        let stdout = child.take_stdout().context("the deployment's output")?;
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if sender.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let watching = Self {
            _process: child,
            lines,
        };
        watching.wait_for(|line| line.starts_with("Ready."), Instant::now())?;
        Ok(watching)
    }

    /// Seconds from `saved` until the deployment said the new code is in place.
    fn new_code_since(&mut self, saved: Instant) -> Result<f64> {
        let at = self.wait_for(|line| line.starts_with("watch: built in"), saved)?;
        Ok(at.duration_since(saved).as_secs_f64())
    }

    fn wait_for(&self, wanted: impl Fn(&str) -> bool, since: Instant) -> Result<Instant> {
        loop {
            let (at, line) = self
                .lines
                .recv_timeout(std::time::Duration::from_secs(300))
                .context("deploy --local --watch said nothing for 300 s")?;
            if at >= since && wanted(&line) {
                return Ok(at);
            }
        }
    }
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
fn check(xtask: &Path, copy: &Path) -> Result<Vec<f64>> {
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
