//! A step's manifest as cargo can build it outside the workspace. A step takes its versions,
//! edition and lints from the workspace (`shared.workspace = true`), which a copy of it (and
//! its mirror under target/) is not a member of: cargo refuses it ("current package believes
//! it's in a workspace when it's not"). The mirror's manifest is the copy's, word for word,
//! with the workspace's own tables after it: the copy is a workspace of its own that cargo
//! reads as the workshop's, and the shared target directory's builds serve it.

use std::path::Path;

use anyhow::{Context, Result};

use crate::project;

/// The exercise's manifest as a crate of its own, outside the workspace (what a copy of the
/// step needs to be checked or run with `--dir`), as a copy's mirror has it ([`for_copy`]).
/// Each copy gets its own package and binary name: copies built side by side keep their own
/// binaries.
pub fn standalone_manifest(package: &str) -> Result<String> {
    let exercise = project::Step::named("6-streams")?;
    let manifest = read(&format!("{}/Cargo.toml", exercise.name))?;
    // The exercise names its package and its binary alike.
    for_copy(&manifest.replace(&format!("{:?}", exercise.package), &format!("{package:?}")))
}

/// What the mirror of a copy builds: the copy's `Cargo.toml` (`manifest`) as it is when it is
/// a workspace of its own already; else followed by the workspace's tables (its pinned
/// dependencies, package settings, lints and profiles), from which cargo itself resolves
/// everything the copy takes from the workspace, however it is written.
pub fn for_copy(manifest: &str) -> Result<String> {
    if manifest.lines().any(is_workspace_header) {
        return Ok(manifest.to_owned());
    }
    let workspace = read("Cargo.toml")?;
    let tables: Vec<String> = workspace
        .split("\n[")
        .skip(1)
        .map(|table| format!("[{}", table.trim_end()))
        .filter(|table| table.starts_with("[workspace.") && !table.starts_with("[workspace]"))
        .map(|table| with_shared_path(&table))
        .collect();
    Ok(format!(
        "{}\n\n# The workshop's workspace, for this copy of a step (added by cargo xtask).\n\
         [workspace]\nresolver = \"2\"\n\n{}\n\n{}",
        manifest.trim_end(),
        tables.join("\n\n"),
        profiles(&workspace).join("\n")
    ))
}

/// `[workspace]` or `[workspace.dependencies]`, a comment after it or not.
fn is_workspace_header(line: &str) -> bool {
    let line = line.split('#').next().unwrap_or_default().trim();
    line.strip_prefix("[workspace")
        .is_some_and(|rest| rest.starts_with(']') || rest.starts_with('.'))
}

fn read(file: &str) -> Result<String> {
    std::fs::read_to_string(project::root().join(file)).with_context(|| format!("reading {file}"))
}

/// The workspace's `shared = { path = "shared" }`, as an absolute path (the copy is elsewhere).
fn with_shared_path(text: &str) -> String {
    text.replace(
        "path = \"shared\"",
        &format!("path = {}", toml_string(&project::root().join("shared"))),
    )
}

/// A path as a TOML string: a literal one (no escapes: Windows' backslashes, any character)
/// unless the path holds a quote or a control character.
fn toml_string(path: &Path) -> String {
    let text = path.to_string_lossy();
    if !text.contains('\'') && !text.chars().any(char::is_control) {
        return format!("'{text}'");
    }
    let mut escaped = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            c if c.is_control() => escaped.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    escaped.push('"');
    escaped
}

/// The workspace's profiles: with other ones, cargo would build every dependency again,
/// differently, instead of reusing the workspace's builds. Not a section for one of the
/// workspace's own packages (xtask's): cargo warns of a package the copy has not.
fn profiles(workspace: &str) -> Vec<String> {
    workspace
        .split("\n[")
        .filter(|table| table.starts_with("profile."))
        .filter(|table| {
            let header = table.lines().next().unwrap_or_default();
            !header.contains(".package.") || header.contains(".package.\"*\"")
        })
        .map(|table| format!("[{}\n", table.trim_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_of_a_step_is_followed_by_the_workspace() -> Result<()> {
        let step = read("7-finish/Cargo.toml")?;
        let copy = for_copy(&step)?;
        // The copy's own words first, untouched: cargo reads them as it would in the workspace.
        assert!(copy.starts_with(step.trim_end()), "{copy}");
        for table in [
            "\n[workspace]\nresolver = \"2\"\n",
            "\n[workspace.package]\n",
            "\n[workspace.dependencies]\n",
            "\n[workspace.lints.rust]\n",
            "\n[profile.dev.package.\"*\"]\n",
        ] {
            assert!(copy.contains(table), "{table} is missing from:\n{copy}");
        }
        assert!(!copy.contains("members"), "{copy}");
        assert!(!copy.contains("path = \"shared\""), "{copy}");
        assert!(!copy.contains("[profile.dev.package.xtask]"), "{copy}");
        Ok(())
    }

    #[test]
    fn a_copy_that_is_a_workspace_already_is_kept() -> Result<()> {
        let own = standalone_manifest("streams-mine")?;
        assert_eq!(for_copy(&own)?, own);
        let commented = "[package]\nname = \"mine\"\n\n[workspace] # mine\n";
        assert_eq!(for_copy(commented)?, commented);
        let tables = "[package]\nname = \"mine\"\n\n[workspace.dependencies]\nserde = \"1\"\n";
        assert_eq!(for_copy(tables)?, tables);
        Ok(())
    }

    #[test]
    fn a_path_is_a_toml_string_on_every_system() {
        assert_eq!(
            toml_string(Path::new(r"C:\Users\ana\workshop\shared")),
            r"'C:\Users\ana\workshop\shared'"
        );
        assert_eq!(
            toml_string(Path::new("/home/o'brien/shared")),
            "\"/home/o'brien/shared\""
        );
        assert_eq!(toml_string(Path::new("/a\"b\\c/d")), "'/a\"b\\c/d'");
    }
}
