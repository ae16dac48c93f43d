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

/// The exercise's manifest as a crate of its own, outside the workspace (what a copy of the
/// step needs to be checked or run with `--dir`), with the workspace's pinned versions, so
/// that the shared target directory's builds serve it. Each copy gets its own package name:
/// copies built side by side keep their own binaries.
pub fn standalone_manifest(package: &str) -> Result<String> {
    let root = project::root();
    let read = |file: &str| {
        std::fs::read_to_string(root.join(file)).with_context(|| format!("reading {file}"))
    };
    let (workspace, exercise) = (read("Cargo.toml")?, read("6-streams/Cargo.toml")?);
    let section = |text: &str, name: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| *l != name)
            .skip(1)
            .take_while(|l| !l.starts_with('['))
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    let pinned = section(&workspace, "[workspace.dependencies]");
    let shared = format!("path = {:?}", root.join("shared"));
    let dependencies = section(&exercise, "[dependencies]")
        .iter()
        .map(|line| {
            let name = line.trim_end_matches(".workspace = true");
            pinned
                .iter()
                .find(|p| p.starts_with(&format!("{name} =")))
                .map(|line| line.replace("path = \"shared\"", &shared))
                .with_context(|| format!("the workspace pins no {name}"))
        })
        .collect::<Result<Vec<String>>>()?;
    // The workspace's profiles too: with other ones, cargo would build every dependency
    // again, differently, instead of reusing the workspace's builds. Not a section for one of
    // the workspace's own packages (xtask's): cargo warns of a package the copy has not.
    let profiles: Vec<&str> = workspace
        .split("\n[")
        .filter(|section| section.starts_with("profile."))
        .filter(|section| {
            let header = section.lines().next().unwrap_or_default();
            !header.contains(".package.") || header.contains(".package.\"*\"")
        })
        .collect();
    Ok(format!(
        "[workspace]\n\n[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \
         \"2021\"\n\n[dependencies]\n{}\n\n[{}\n",
        dependencies.join("\n"),
        profiles.join("\n[").trim_end()
    ))
}
