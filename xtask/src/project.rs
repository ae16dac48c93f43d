//! Where things are: the workspace, its steps, the shared target directory.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

/// A workshop step: a directory with a README, a serverless.yml and a crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The directory, also the name a learner types: `6-streams`.
    pub name: &'static str,
    /// The crate's package (and binary) name.
    pub package: &'static str,
    /// The step this one is checked against, if it is an exercise.
    pub reference: Option<&'static str>,
    /// The `cargo xtask check` items it fails as committed: the exercise's work.
    pub meant_to_fail: &'static [&'static str],
}

pub const STEPS: [Step; 2] = [
    Step {
        name: "6-streams",
        package: "streams-exercise",
        reference: Some("7-finish"),
        meant_to_fail: &["stream", "function", "handler", "failures"],
    },
    Step {
        name: "7-finish",
        package: "streams-finish",
        reference: None,
        meant_to_fail: &[],
    },
];

impl Step {
    /// A step by its directory name.
    pub fn named(name: &str) -> Result<Step> {
        let name = name.trim_end_matches(['/', '\\']);
        match STEPS.iter().find(|step| step.name == name) {
            Some(step) => Ok(*step),
            None => bail!(
                "there is no step {name:?}; the steps are: {}",
                STEPS.map(|step| step.name).join(", ")
            ),
        }
    }

    /// The step given on the command line, else the step directory the shell is in,
    /// else the exercise.
    pub fn chosen(name: Option<&str>) -> Result<Step> {
        if let Some(name) = name {
            return Step::named(name);
        }
        let here = env::current_dir().unwrap_or_default();
        Ok(STEPS
            .into_iter()
            .find(|step| here.starts_with(root().join(step.name)))
            .unwrap_or(STEPS[0]))
    }

    pub fn dir(&self) -> PathBuf {
        root().join(self.name)
    }
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir)
}

/// The workspace's one target directory, shared by every build xtask starts.
pub fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// Where xtask keeps the tools it installs and the files it writes.
pub fn xtask_dir() -> PathBuf {
    target_dir().join("xtask")
}

/// The cargo that runs this xtask (`CARGO`), at the workspace root.
pub fn cargo() -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}
