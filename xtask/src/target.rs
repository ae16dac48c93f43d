//! What `check` and `deploy --local` work on: a workspace step, or a copy of one elsewhere
//! (`--dir`), and the reference it is compared with.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::project::{self, Step};
use crate::tools::cargo_build::{self, Crate};

/// The step being checked.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub dir: PathBuf,
    pub krate: Crate,
    /// The reference's directory, for hints and `--diff`.
    pub reference: Option<(String, PathBuf)>,
}

impl Target {
    pub fn of_step(step: Step) -> Self {
        Self {
            name: step.name.to_owned(),
            dir: step.dir(),
            krate: Crate::Step(step),
            reference: step
                .reference
                .map(|name| (name.to_owned(), project::root().join(name))),
        }
    }

    pub fn of_dir(dir: PathBuf) -> Result<Self> {
        let dir =
            dunce::canonicalize(&dir).with_context(|| format!("opening {}", dir.display()))?;
        let name = dir
            .file_name()
            .map_or("step".into(), |n| n.to_string_lossy().into_owned());
        // A copy named like a workspace step keeps its own state and logs.
        let name = match Step::named(&name) {
            Ok(step) if dunce::canonicalize(step.dir()).ok().as_ref() != Some(&dir) => {
                format!("{name}-copy")
            }
            _ => name,
        };
        let reference = "7-finish";
        Ok(Self {
            name,
            krate: Crate::Dir(dir.clone()),
            dir,
            reference: Some((reference.to_owned(), project::root().join(reference))),
        })
    }

    /// Whether the next build of a workspace step is its first, which compiles the AWS SDK
    /// for minutes; says so first. (A copy's mirror cannot tell: it says nothing.)
    pub fn announce_first_build(&self) -> bool {
        let first = match &self.krate {
            Crate::Step(step) => !cargo_build::built_before(step.package),
            Crate::Dir(_) => false,
        };
        if first {
            eprintln!(
                "building {}: the first build takes a few minutes",
                self.name
            );
        }
        first
    }
}
