//! Where things are: the workspace, its steps, the shared target directory.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
        meant_to_fail: &["stream", "function", "handler", "failures", "destination"],
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
        match name {
            Some(name) => Step::named(name),
            None => Ok(Step::here().unwrap_or(STEPS[0])),
        }
    }

    /// The step directory the shell is in, if it is in one.
    pub fn here() -> Option<Step> {
        let here = env::current_dir().ok()?;
        STEPS
            .into_iter()
            .find(|step| here.starts_with(root().join(step.name)))
    }

    pub fn dir(&self) -> PathBuf {
        root().join(self.name)
    }
}

/// `cargo xtask test` gives its local DynamoDB's address to the tests in this variable.
pub const TEST_DYNAMODB_ENDPOINT: &str = "WORKSHOP_DYNAMODB_ENDPOINT";

/// With this set, `cargo xtask check` says how long each of its parts took (for `bench
/// --save`).
pub const CHECK_TIMINGS: &str = "XTASK_CHECK_TIMINGS";

/// Where local deployments keep their state, if not in `target/xtask/local/`: `cargo xtask
/// test` gives its tests a directory of their own, so they never touch a learner's tables.
pub const LOCAL_STATE_DIR: &str = "WORKSHOP_LOCAL_STATE_DIR";

/// The workspace root (xtask lives one level below it): the checkout being worked on.
///
/// cargo sets `CARGO_MANIFEST_DIR` for `cargo run` too, so it names this checkout even when
/// the binary was built from another one that shares the target directory (cargo then takes
/// that build as fresh). The path compiled in serves when xtask runs without cargo.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let at_run_time = env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.ends_with("xtask") && dir.join("src/cli.rs").is_file());
        let xtask_dir = at_run_time.unwrap_or_else(|| PathBuf::from(BUILT_FROM));
        xtask_dir.parent().map_or(xtask_dir.clone(), Path::to_owned)
    })
}

/// The xtask directory this binary was compiled from.
const BUILT_FROM: &str = env!("CARGO_MANIFEST_DIR");

/// The checkout this binary was built from, when it is not the one being worked on.
pub fn xtask_built_elsewhere() -> Option<PathBuf> {
    let built_from = Path::new(BUILT_FROM).parent()?;
    let same = |a: &Path, b: &Path| {
        a == b
            || dunce::canonicalize(a)
                .ok()
                .is_some_and(|a| dunce::canonicalize(b).ok() == Some(a))
    };
    (!same(built_from, root())).then(|| built_from.to_owned())
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
