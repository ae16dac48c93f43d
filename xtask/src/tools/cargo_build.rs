//! Host builds of a step crate: the same code Lambda runs, built to run on this machine, into
//! the shared target directory (never into the step directory).

mod dep_info;
mod manifest;
mod mirror;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::project::{self, Step};
use crate::tools::process;
use dep_info::built_from;
pub use manifest::standalone_manifest;
use mirror::{mirror, mirror_dir};

/// What to build: a workspace step, or a copy of one elsewhere (`check --dir`), built from
/// its mirror under target/ so that cargo writes nothing into it (not even its Cargo.lock).
#[derive(Debug, Clone)]
pub enum Crate {
    Step(Step),
    Dir(PathBuf),
}

impl Crate {
    /// Points a cargo command at the crate; builds go to the shared target directory either
    /// way. A directory's mirror is brought up to date by [`build_checked`].
    pub fn select(&self, command: &mut Command) {
        match self {
            Crate::Step(step) => command.args(["--package", step.package]),
            Crate::Dir(dir) => command
                .arg("--manifest-path")
                .arg(mirror_dir(dir).join("Cargo.toml"))
                .env("CARGO_TARGET_DIR", project::target_dir()),
        };
    }
}

/// A build that failed: the first compiler errors, or what cargo said.
#[derive(Debug, Clone)]
pub struct BuildErrors(pub String);

/// What to build besides the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// The binary alone (`deploy --local`).
    Binary,
    /// The binary and, side by side, the test harness (`check`): two links of a binary with
    /// the AWS SDK in it, on two cores at once instead of one after the other. Whether the
    /// tests built is `cargo test`'s to say.
    BinaryAndTests,
}

/// Builds the crate's binary and returns its path. `show_progress`: cargo's progress goes to
/// the terminal (a first build takes minutes); otherwise it is shown only if the build fails
/// without a compiler error.
pub fn build_checked(krate: &Crate, show_progress: bool) -> Result<Result<PathBuf, BuildErrors>> {
    build_targets(krate, show_progress, Targets::Binary)
}

/// [`build_checked`], building `targets`.
pub fn build_targets(
    krate: &Crate,
    show_progress: bool,
    targets: Targets,
) -> Result<Result<PathBuf, BuildErrors>> {
    let built = build_once(krate, show_progress, targets)?;
    let Ok(binary) = &built else {
        return Ok(built);
    };
    let (sources, package) = match krate {
        Crate::Step(step) => (step.dir(), step.package.to_owned()),
        Crate::Dir(dir) => (mirror_dir(dir), package_name(&mirror_dir(dir))?),
    };
    if built_from(binary, &sources) {
        return Ok(built);
    }
    // cargo names a build by its package and the path inside its workspace: with a shared
    // target directory, another checkout's build (or another copy's, for two copies of a
    // step with one package name) counts as fresh here, and its sources are the ones checked.
    eprintln!(
        "the binary in {} was built from another copy of {package} (they share this target \
         directory): building it again from {}",
        binary.display(),
        sources.display()
    );
    let mut clean = project::cargo();
    clean.args(["clean", "--package", &package]);
    if let Crate::Dir(_) = krate {
        krate.select(&mut clean);
    }
    {
        let _turn = cargo_turn()?;
        process::run(&mut clean, &format!("cargo clean --package {package}"))?;
    }
    build_once(krate, show_progress, targets)
}

/// The package name in a crate's Cargo.toml, as cargo reads it.
fn package_name(dir: &Path) -> Result<String> {
    let output = process::output(
        project::cargo()
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
            ])
            .arg(dir.join("Cargo.toml")),
        "reading the step's Cargo.toml",
    )?;
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("reading cargo metadata's answer")?;
    metadata["packages"][0]["name"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{} names no package", dir.join("Cargo.toml").display()))
}

/// One cargo at a time in this target directory, among every xtask of this checkout: two
/// watchers on one save (`check --watch` beside `deploy --local --watch`) build the step once,
/// the second finding it built, and no cargo of theirs prints "Blocking waiting for file lock"
/// at the learner. Held until dropped.
pub fn cargo_turn() -> Result<crate::tools::lock_file::Held> {
    use crate::tools::lock_file;
    let path = project::xtask_dir().join("cargo.lock");
    // A short wait (the other watcher's build of the same save) is not worth a line.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if let Some(held) = lock_file::try_take(&path)? {
            return Ok(held);
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    eprintln!("waiting for a build another xtask of this checkout is running (a watcher?)");
    lock_file::take(&path)
}

fn build_once(
    krate: &Crate,
    show_progress: bool,
    targets: Targets,
) -> Result<Result<PathBuf, BuildErrors>> {
    let _turn = cargo_turn()?;
    // In its turn: another watcher's cargo may be reading the mirror.
    if let Crate::Dir(dir) = krate {
        mirror(dir)?;
    }
    let mut command = project::cargo();
    // The compiler's errors are shown as rustc renders them: in colour on a terminal only,
    // so no escape codes reach a pipe or a file.
    let format = if std::io::stdout().is_terminal() {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    };
    command.args(["build", "--bins", format]);
    if targets == Targets::BinaryAndTests {
        // A test that does not compile must not stop the binary's build.
        command.args(["--tests", "--keep-going"]);
    }
    krate.select(&mut command);
    // cargo's own progress on the terminal, or a line every few seconds; either way both
    // pipes are read side by side, so a build that writes much to stderr cannot stall.
    let output = if show_progress {
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
        process::output(&mut command, "running cargo build")?
    } else {
        process::output_with_heartbeat(&mut command, "building the step", Duration::from_secs(5))?
    };
    let messages: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    // The binary, not the test harness (built from the same target, with `profile.test`).
    let executable = messages
        .iter()
        .filter(|m| m["reason"] == "compiler-artifact" && m["profile"]["test"] != true)
        .filter_map(|m| m["executable"].as_str())
        .next_back();
    if let Some(path) = executable {
        return Ok(Ok(PathBuf::from(path)));
    }
    if output.status.success() {
        bail!("cargo built no binary for {krate:?}");
    }
    // The binary and its tests are compiled apart: an error in both is said once.
    let mut errors: Vec<&str> = Vec::new();
    for rendered in messages
        .iter()
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .filter_map(|m| m["message"]["rendered"].as_str())
    {
        if !errors.contains(&rendered) {
            errors.push(rendered);
        }
    }
    const SHOWN: usize = 3;
    let mut text: String = errors.iter().take(SHOWN).copied().collect();
    if errors.len() > SHOWN {
        text.push_str(&format!("... and {} more errors\n", errors.len() - SHOWN));
    }
    if text.is_empty() {
        text = process::last_lines(&String::from_utf8_lossy(&output.stderr), 30);
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

/// This xtask was built from `built_from`, another checkout that shares the target directory:
/// builds this checkout's xtask and runs it with the same arguments instead.
pub fn rerun_xtask_built_here(built_from: &Path) -> Result<std::process::ExitCode> {
    // Names the checkout it was rebuilt for: a command that such an xtask starts (the tests'
    // own checkouts, say) inherits it, and must not take it for its own.
    const AGAIN: &str = "XTASK_REBUILT_FOR_THIS_CHECKOUT";
    let this_checkout = project::root();
    if std::env::var_os(AGAIN).is_some_and(|dir| Path::new(&dir) == this_checkout) {
        bail!(
            "cargo keeps running the xtask built from {}: give each checkout its own target \
             directory (unset CARGO_TARGET_DIR, or set it per checkout)",
            built_from.display()
        );
    }
    eprintln!(
        "this xtask was built from {}, which shares the target directory with this checkout: \
         building this checkout's xtask",
        built_from.display()
    );
    process::run(
        project::cargo().args(["clean", "--package", "xtask"]),
        "cargo clean --package xtask",
    )?;
    process::run(
        project::cargo().args(["build", "--package", "xtask", "--bin", "xtask"]),
        "building xtask",
    )?;
    let binary = project::target_dir()
        .join("debug")
        .join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    let status = process::status(
        Command::new(&binary)
            .args(std::env::args_os().skip(1))
            .env(AGAIN, this_checkout)
            .env("CARGO_MANIFEST_DIR", project::root().join("xtask")),
        "running this checkout's xtask",
    )?;
    Ok(match status.code() {
        Some(0) => std::process::ExitCode::SUCCESS,
        Some(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => std::process::ExitCode::FAILURE,
    })
}

#[cfg(test)]
mod tests;
