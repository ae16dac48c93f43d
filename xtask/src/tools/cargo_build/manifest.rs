//! A step's manifest as cargo can build it outside the workspace. A step takes its versions,
//! edition and lints from the workspace (`shared.workspace = true`), which a copy of it (and
//! its mirror under target/) is not a member of: cargo refuses it ("current package believes
//! it's in a workspace when it's not"). The mirror gets a manifest of its own instead, with the
//! workspace's pinned versions and profiles, so that the shared target directory's builds
//! serve it.

use anyhow::{Context, Result};

use crate::project;

/// The exercise's manifest as a crate of its own, outside the workspace (what a copy of the
/// step needs to be checked or run with `--dir`), with the workspace's pinned versions, so
/// that the shared target directory's builds serve it. Each copy gets its own package name:
/// copies built side by side keep their own binaries.
pub fn standalone_manifest(package: &str) -> Result<String> {
    let exercise = read("6-streams/Cargo.toml")?;
    standalone(package, &exercise, &["[dependencies]"])
}

/// What the mirror of a copy builds from its `Cargo.toml` (`manifest`): the manifest itself
/// when it stands alone (it has a `[workspace]` table); else, if it inherits from the
/// workspace, one of its own with its dependencies and dev-dependencies at the workspace's
/// versions, named `PACKAGE-copy` so that its binary is not the workspace step's (both are
/// built into one target directory); else itself as a workspace of its own.
pub fn for_copy(manifest: &str) -> Result<String> {
    if manifest.lines().any(|line| line.trim() == "[workspace]") {
        return Ok(manifest.to_owned());
    }
    if !manifest.contains("workspace = true") {
        return Ok(format!("[workspace]\n\n{manifest}"));
    }
    let name = section(manifest, "[package]")
        .iter()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
        })
        .context("the copy's Cargo.toml names no package (`name = ...` under [package])")?;
    standalone(
        &format!("{name}-copy"),
        manifest,
        &["[dependencies]", "[dev-dependencies]"],
    )
}

fn read(file: &str) -> Result<String> {
    std::fs::read_to_string(project::root().join(file)).with_context(|| format!("reading {file}"))
}

/// The lines of a manifest's `[name]` section, empty ones left out.
fn section(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != name)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A manifest of its own for `package`, with `manifest`'s `sections` of dependencies at the
/// workspace's pinned versions, and the workspace's profiles.
fn standalone(package: &str, manifest: &str, sections: &[&str]) -> Result<String> {
    let workspace = read("Cargo.toml")?;
    let pinned = section(&workspace, "[workspace.dependencies]");
    let shared = format!("path = {:?}", project::root().join("shared"));
    let mut written = Vec::new();
    for name in sections {
        let dependencies = section(manifest, name)
            .iter()
            .map(|line| {
                // `serde.workspace = true` or `serde = { workspace = true, ... }` takes the
                // workspace's line; a dependency of the copy's own stays as written.
                let Some(dependency) = inherited(line) else {
                    return Ok(line.clone());
                };
                pinned
                    .iter()
                    .find(|p| p.starts_with(&format!("{dependency} =")))
                    .map(|line| line.replace("path = \"shared\"", &shared))
                    .with_context(|| format!("the workspace pins no {dependency}"))
            })
            .collect::<Result<Vec<String>>>()?;
        if !dependencies.is_empty() {
            written.push(format!("{name}\n{}", dependencies.join("\n")));
        }
    }
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
         \"2021\"\n\n{}\n\n[{}\n",
        written.join("\n\n"),
        profiles.join("\n[").trim_end()
    ))
}

/// The name of a dependency the line takes from the workspace.
fn inherited(line: &str) -> Option<&str> {
    let line = line.trim();
    if let Some(name) = line.strip_suffix(".workspace = true") {
        return Some(name.trim());
    }
    let (name, spec) = line.split_once('=')?;
    spec.replace(' ', "")
        .contains("workspace=true")
        .then_some(name.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_of_a_step_gets_a_manifest_of_its_own() -> Result<()> {
        let copy = for_copy(&read("7-finish/Cargo.toml")?)?;
        assert!(copy.starts_with("[workspace]\n"), "{copy}");
        assert!(copy.contains("name = \"streams-finish-copy\""), "{copy}");
        assert!(!copy.contains(".workspace"), "{copy}");
        assert!(copy.contains("[dev-dependencies]\nproptest = "), "{copy}");
        assert!(copy.contains("[profile."), "{copy}");
        Ok(())
    }

    #[test]
    fn a_manifest_that_stands_alone_is_kept_and_own_dependencies_stay() -> Result<()> {
        let own = standalone_manifest("streams-mine")?;
        assert_eq!(for_copy(&own)?, own);
        let mine = for_copy(
            "[package]\nname = \"mine\"\n\n[dependencies]\nserde.workspace = true\ntokio = { \
             workspace = true }\nchrono = \"0.4\"\n\n[lints]\nworkspace = true\n",
        )?;
        assert!(mine.contains("\nserde = { version"), "{mine}");
        assert!(mine.contains("\ntokio = { version"), "{mine}");
        assert!(mine.contains("\nchrono = \"0.4\"\n"), "{mine}");
        let plain = "[package]\nname = \"mine\"\nversion = \"0.1.0\"\n";
        assert_eq!(for_copy(plain)?, format!("[workspace]\n\n{plain}"));
        Ok(())
    }
}
