//! `cargo xtask build`: the step's Lambda artifact, a zip with one `bootstrap` built for
//! Amazon Linux 2023 by cargo-lambda, at the path serverless.yml's `package.artifact` names.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use pico_args::Arguments;

use crate::project::{self, Step};
use crate::python_tools::{self, CARGO_LAMBDA};
use crate::serverless_yml::ServerlessYml;

pub const HELP: &str = "\
cargo xtask build: the step's Lambda zip (what `cargo xtask deploy` uploads)

Usage: cargo xtask build [STEP]

Builds the step's binary for Lambda (Amazon Linux 2023, the architecture of
provider.architecture in serverless.yml) with cargo-lambda, installed into target/ the
first time, and prints the zip's path and size. A first build takes several minutes.
";

#[derive(Debug, Clone)]
pub struct Options {
    step: Option<String>,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        Ok(Self {
            step: args.opt_free_from_str()?,
        })
    }
}

pub fn run(options: Options) -> Result<ExitCode> {
    let step = Step::chosen(options.step.as_deref())?;
    let zip = lambda_zip(step)?;
    let size = std::fs::metadata(&zip)
        .with_context(|| format!("reading {}", zip.display()))?
        .len();
    println!("{} ({:.1} MB)", zip.display(), size as f64 / 1_000_000.0);
    Ok(ExitCode::SUCCESS)
}

/// The Lambda architectures, as serverless.yml, cargo-lambda and rustup name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    pub fn of(yml: &ServerlessYml) -> Result<Self> {
        match yml.provider_str("architecture") {
            None | Some("x86_64") => Ok(Self::X86_64),
            Some("arm64") => Ok(Self::Arm64),
            Some(other) => bail!("provider.architecture is {other:?}: Lambda runs x86_64 or arm64"),
        }
    }

    fn cargo_lambda_flag(self) -> &'static str {
        match self {
            Self::X86_64 => "--x86-64",
            Self::Arm64 => "--arm64",
        }
    }

    fn rust_target(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64-unknown-linux-gnu",
            Self::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }
}

/// Builds the step's zip and returns its path (`package.artifact`).
pub fn lambda_zip(step: Step) -> Result<PathBuf> {
    let yml = ServerlessYml::load(&step.dir())?;
    let architecture = Architecture::of(&yml)?;
    require_rust_target(architecture)?;
    let cargo_lambda = python_tools::ensure(CARGO_LAMBDA)?;
    eprintln!(
        "building {} for Lambda ({}, release): a first build takes several minutes",
        step.name,
        architecture.rust_target()
    );
    let path = format!(
        "{}{}{}",
        python_tools::venv_bin_dir().display(),
        if cfg!(windows) { ";" } else { ":" },
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new(&cargo_lambda)
        .args(["lambda", "build", "--release", "--output-format", "zip"])
        .args(["--package", step.package, "--bin", step.package])
        .arg(architecture.cargo_lambda_flag())
        .current_dir(project::root())
        .env("PATH", path)
        .status()
        .with_context(|| format!("running {}", cargo_lambda.display()))?;
    if !status.success() {
        bail!(
            "cargo lambda build failed for {} (its output is above)",
            step.name
        );
    }
    let zip = project::target_dir()
        .join("lambda")
        .join(step.package)
        .join("bootstrap.zip");
    let artifact = artifact_path(&yml, step)?;
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
        .root()
        .get("package")
        .and_then(|p| p.get("artifact"))
        .and_then(|a| a.as_str())
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
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    let target = architecture.rust_target();
    if !installed.lines().any(|line| line.trim() == target) {
        bail!("building for {target} needs its Rust target: run `rustup target add {target}`");
    }
    Ok(())
}
