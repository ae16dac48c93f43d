//! macOS (`aarch64-apple-darwin`, `x86_64-apple-darwin`): the workspace type-checked, every
//! target. Nothing links without Apple's SDK; the C parts' build scripts (SQLite, aws-lc)
//! compile against the macOS headers Zig brings, through cargo-zigbuild, both pinned from PyPI
//! into a venv of their own under `target/cross/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use xtask::project;
use xtask::tools::process;
use xtask::tools::python::system_python;

use crate::toolchain::Toolchain;
use crate::HEARTBEAT;

pub const TARGETS: [&str; 2] = ["aarch64-apple-darwin", "x86_64-apple-darwin"];

/// What pip installs, pinned together: cargo-zigbuild asks only for some ziglang.
const REQUIREMENTS: [&str; 2] = ["cargo-zigbuild==0.24.1", "ziglang==0.15.2"];

/// cargo-zigbuild in its venv, installed first if needed; and the venv's bin (its Python
/// runs `python -m ziglang`, which is how cargo-zigbuild finds Zig).
pub fn ensure_zigbuild(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let bin = dir.join("bin");
    let zigbuild = bin.join("cargo-zigbuild");
    let marker = dir.join(".installed");
    let pinned = REQUIREMENTS.join(" ");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(pinned.as_str()) {
        return Ok((zigbuild, bin));
    }
    eprintln!("installing {pinned} into {} (about 300 MB)", dir.display());
    let _ = std::fs::remove_dir_all(dir);
    process::run(
        Command::new(system_python()).args(["-m", "venv"]).arg(dir),
        "making a venv for cargo-zigbuild",
    )?;
    let status = process::run_with_heartbeat(
        Command::new(bin.join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(REQUIREMENTS),
        "installing cargo-zigbuild and Zig with pip",
        HEARTBEAT,
    )?;
    if !status.success() {
        bail!("pip could not install {pinned} ({status})");
    }
    std::fs::write(&marker, &pinned).context("marking cargo-zigbuild installed")?;
    Ok((zigbuild, bin))
}

/// `cargo zigbuild check` of the whole workspace, every target, for `target`.
pub fn check(toolchain: &Toolchain, zigbuild: &(PathBuf, PathBuf), target: &str) -> Result<bool> {
    let (program, venv_bin) = zigbuild;
    let mut command = Command::new(program);
    toolchain
        .env(&mut command, &[venv_bin])
        .args([
            "check",
            "-Zbuild-std",
            "--target",
            target,
            "--workspace",
            "--all-targets",
        ])
        .env(
            "CARGO_TARGET_DIR",
            project::target_dir().join("cross").join("macos"),
        );
    let status = process::run_with_heartbeat(
        &mut command,
        &format!("type-checking the workspace for {target}"),
        HEARTBEAT,
    )?;
    Ok(status.success())
}
