//! The step's Lambda artifact: a zip with one `bootstrap` built for Amazon Linux 2023 by
//! cargo-lambda, at the path serverless.yml's `package.artifact` names.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::project::{self, Step};
use crate::serverless_yml::{Architecture, ServerlessYml};
use crate::tools::process;
use crate::tools::python::{self, CARGO_LAMBDA};

/// cargo-lambda's flag for an architecture.
fn cargo_lambda_flag(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "--x86-64",
        Architecture::Arm64 => "--arm64",
    }
}

/// rustup's target for an architecture.
fn rust_target(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "x86_64-unknown-linux-gnu",
        Architecture::Arm64 => "aarch64-unknown-linux-gnu",
    }
}

/// Builds the step's zip and returns its path (`package.artifact`).
pub fn build(step: Step) -> Result<PathBuf> {
    let yml = ServerlessYml::load(&step.dir())?;
    let architecture = yml.architecture()?;
    require_rust_target(architecture)?;
    let cargo_lambda = python::ensure(CARGO_LAMBDA)?;
    eprintln!(
        "building {} for Lambda ({}, release): a first build takes several minutes",
        step.name,
        rust_target(architecture)
    );
    let path = format!(
        "{}{}{}",
        python::venv_bin_dir().display(),
        if cfg!(windows) { ";" } else { ":" },
        std::env::var("PATH").unwrap_or_default()
    );
    process::run(
        Command::new(&cargo_lambda)
            .args(["lambda", "build", "--release", "--output-format", "zip"])
            .args(["--package", step.package, "--bin", step.package])
            .arg(cargo_lambda_flag(architecture))
            .current_dir(project::root())
            .env("PATH", path),
        &format!("cargo lambda build of {}", step.name),
    )?;
    let zip = project::target_dir()
        .join("lambda")
        .join(step.package)
        .join("bootstrap.zip");
    let artifact = artifact_path(&yml, step)?;
    let expected_tail = Path::new("lambda").join(step.package).join("bootstrap.zip");
    if artifact != zip && artifact.ends_with(&expected_tail) {
        // CARGO_TARGET_DIR is elsewhere: the zip goes where serverless.yml looks for it.
        if let Some(dir) = artifact.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::copy(&zip, &artifact)
            .with_context(|| format!("copying {} to {}", zip.display(), artifact.display()))?;
        return Ok(artifact);
    }
    if artifact != zip {
        bail!(
            "serverless.yml's package.artifact is {}, but the build writes {}: point \
             package.artifact at the build's zip",
            artifact.display(),
            zip.display()
        );
    }
    Ok(zip)
}

/// `package.artifact`, relative to the step directory.
pub fn artifact_path(yml: &ServerlessYml, step: Step) -> Result<PathBuf> {
    let artifact = yml
        .artifact()
        .context("serverless.yml has no package.artifact: the zip to deploy")?;
    let joined = step.dir().join(artifact);
    // Normalise `../target/...` without touching the file system (the zip may not exist yet).
    let mut normal = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                normal.pop();
            }
            std::path::Component::CurDir => {}
            other => normal.push(other),
        }
    }
    Ok(normal)
}

fn require_rust_target(architecture: Architecture) -> Result<()> {
    if architecture == Architecture::X86_64
        && cfg!(all(target_arch = "x86_64", target_os = "linux"))
    {
        return Ok(());
    }
    let installed = process::output(
        Command::new("rustup").args(["target", "list", "--installed"]),
        "listing the installed Rust targets",
    )
    .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
    .unwrap_or_default();
    let target = rust_target(architecture);
    if !installed.lines().any(|line| line.trim() == target) {
        bail!("building for {target} needs its Rust target: run `rustup target add {target}`");
    }
    Ok(())
}
