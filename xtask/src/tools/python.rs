//! Python tools, only on the AWS side (cargo-lambda, cfn-lint, and moto as the emulated AWS
//! account of the repository's tests), pinned and installed into a virtual environment under
//! `target/`, never into the learner's own Python. The local cloud needs no Python.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::project;
use crate::tools::{install_lock, process};

/// A pinned PyPI package and the command it provides.
#[derive(Debug, Clone, Copy)]
pub struct PythonTool {
    /// What pip installs: `moto[server]==5.2.5`.
    pub requirement: &'static str,
    /// The console script it brings.
    pub command: &'static str,
    /// Said while installing: `moto 5.2.5, the emulated AWS account (about 20 s)`.
    pub what: &'static str,
}

pub const CARGO_LAMBDA: PythonTool = PythonTool {
    requirement: "cargo-lambda==1.9.2",
    command: "cargo-lambda",
    what: "cargo-lambda 1.9.2 with Zig, the Lambda cross-compiler (about 400 MB, a minute or two)",
};

pub const CFN_LINT: PythonTool = PythonTool {
    requirement: "cfn-lint==1.58.0",
    command: "cfn-lint",
    what: "cfn-lint 1.58.0, the CloudFormation linter",
};

/// The venv's `bin`, to put first on a tool's PATH (cargo-lambda finds Zig through it).
pub fn venv_bin_dir() -> PathBuf {
    venv_bin("python")
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(venv_dir)
}

/// The system's Python 3 by the name it has there: `python` on Windows, `python3` elsewhere.
pub fn system_python() -> &'static str {
    if cfg!(windows) {
        "python"
    } else {
        "python3"
    }
}

/// The venv's own Python (the tests read the emulated AWS account with the boto3 that moto
/// brings into it).
pub fn venv_python() -> PathBuf {
    venv_bin("python")
}

fn venv_dir() -> PathBuf {
    project::xtask_dir().join("venv")
}

fn venv_bin(name: &str) -> PathBuf {
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let exe = if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_owned()
    };
    venv_dir().join(bin).join(exe)
}

/// Written once `python -m venv` has finished: a venv without it was cut short (its pip may be
/// missing) and is made again.
const VENV_READY: &str = ".xtask-venv-ready";

/// The path of the tool's command, installing it first if this machine does not have it yet.
pub fn ensure(tool: PythonTool) -> Result<PathBuf> {
    let marker = venv_dir().join(format!(
        ".installed-{}",
        tool.requirement.replace(['[', ']', '='], "_")
    ));
    let command = venv_bin(tool.command);
    let installed = || marker.exists() && command.exists();
    if installed() {
        return Ok(command);
    }
    let _lock = install_lock::hold("python", tool.what)?;
    // Another thread or process may have installed it while this one waited.
    if installed() {
        return Ok(command);
    }
    let python = venv_bin("python");
    if !venv_ready() {
        create_venv()?;
    }
    eprintln!(
        "installing {} into {} (first time only)",
        tool.what,
        venv_dir().display()
    );
    let status = process::run_with_heartbeat(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
            ])
            .arg(tool.requirement),
        &format!("installing {} with pip", tool.requirement),
        Duration::from_secs(5),
    )?;
    if !status.success() {
        bail!(
            "pip could not install {} ({status}); check your network and run the command again",
            tool.requirement
        );
    }
    std::fs::write(&marker, tool.requirement)
        .with_context(|| format!("writing {}", marker.display()))?;
    Ok(command)
}

/// Whether `python -m venv` finished there (a venv of an earlier xtask has no mark of it,
/// but a tool pip installed into it says it was whole).
fn venv_ready() -> bool {
    let dir = venv_dir();
    dir.join(VENV_READY).exists()
        || std::fs::read_dir(&dir).is_ok_and(|entries| {
            entries.flatten().any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".installed-")
            })
        })
}

fn create_venv() -> Result<()> {
    let python3 = system_python();
    let version = process::output(Command::new(python3).arg("--version"), "running python3");
    if !version.is_ok_and(|output| output.status.success()) {
        bail!(
            "{python3} was not found: install Python 3.9 or newer (https://www.python.org/downloads/), \
             then run the command again"
        );
    }
    let dir = venv_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("removing the unfinished venv {}", dir.display()))?;
    }
    let status = process::status(
        Command::new(python3).args(["-m", "venv"]).arg(&dir),
        "creating a Python virtual environment",
    )?;
    if !status.success() {
        // Debian and Ubuntu ship venv separately.
        bail!(
            "{python3} -m venv {} failed ({status}); on Debian or Ubuntu install it with \
             `sudo apt install python3-venv`",
            dir.display()
        );
    }
    let ready = dir.join(VENV_READY);
    std::fs::write(&ready, "").with_context(|| format!("writing {}", ready.display()))
}
