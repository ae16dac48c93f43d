//! Host builds of a step crate: the same code Lambda runs, built to run on this machine, into
//! the shared target directory (never into the step directory).

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::project::{self, Step};

/// What to build: a workspace step, or a copy of one elsewhere (`check --dir`).
#[derive(Debug, Clone)]
pub enum Crate {
    Step(Step),
    Dir(PathBuf),
}

impl Crate {
    /// Points a cargo command at the crate; builds go to the shared target directory either way.
    pub fn select(&self, command: &mut Command) {
        match self {
            Crate::Step(step) => command.args(["--package", step.package]),
            Crate::Dir(dir) => command
                .arg("--manifest-path")
                .arg(dir.join("Cargo.toml"))
                .env("CARGO_TARGET_DIR", project::target_dir()),
        };
    }
}

/// A build that failed: the first compiler errors, or what cargo said.
#[derive(Debug, Clone)]
pub struct BuildErrors(pub String);

/// Builds the crate's binary and returns its path. `show_progress`: cargo's progress goes to
/// the terminal (a first build takes minutes); otherwise it is shown only if the build fails
/// without a compiler error.
pub fn build_checked(krate: &Crate, show_progress: bool) -> Result<Result<PathBuf, BuildErrors>> {
    let mut command = project::cargo();
    // The compiler's errors are shown as rustc renders them: in colour on a terminal only,
    // so no escape codes reach a pipe or a file.
    let format = if std::io::stdout().is_terminal() {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    };
    command.args(["build", "--bins", format]);
    krate.select(&mut command);
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    command.stderr(if show_progress {
        Stdio::inherit()
    } else {
        Stdio::piped()
    });
    let mut child = command.spawn().context("running cargo build")?;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout)
            .context("reading cargo's messages")?;
    }
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr)
            .context("reading cargo's output")?;
    }
    let status = child.wait().context("waiting for cargo build")?;

    let messages: Vec<Value> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    if status.success() {
        let executable = messages
            .iter()
            .filter(|m| m["reason"] == "compiler-artifact")
            .filter_map(|m| m["executable"].as_str())
            .next_back();
        return match executable {
            Some(path) => Ok(Ok(PathBuf::from(path))),
            None => bail!("cargo built no binary for {krate:?}"),
        };
    }
    let errors: Vec<&str> = messages
        .iter()
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .filter_map(|m| m["message"]["rendered"].as_str())
        .collect();
    const SHOWN: usize = 3;
    let mut text: String = errors
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join("");
    if errors.len() > SHOWN {
        text.push_str(&format!("... and {} more errors\n", errors.len() - SHOWN));
    }
    if text.is_empty() {
        text = stderr;
    }
    Ok(Err(BuildErrors(text)))
}

/// Builds a workspace step's binary, cargo's output on the terminal; a failed build is an error.
pub fn build(step: Step) -> Result<PathBuf> {
    match build_checked(&Crate::Step(step), true)? {
        Ok(path) => Ok(path),
        Err(BuildErrors(errors)) => bail!("{} does not build:\n{errors}", step.name),
    }
}

/// Whether the step was built before: if not, the next build compiles the AWS SDK.
pub fn built_before(package: &str) -> bool {
    let exe = if cfg!(windows) {
        format!("{package}.exe")
    } else {
        package.to_owned()
    };
    Path::exists(&project::target_dir().join("debug").join(exe))
}
