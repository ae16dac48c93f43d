//! The step against its reference, with the `similar` crate: the whole diff of the files a
//! learner edits (`--diff`), or the one part of it that a failing line is about.

use std::path::Path;

use similar::TextDiff;

use crate::tools::files::{read_step_file, step_entry, StepEntry};

/// The files a learner edits, as paths inside a step: serverless.yml and the code. (The README,
/// its images, the manifest and the solution's test fixtures differ too, and are not theirs
/// to write.)
fn step_files(step_dir: &Path, reference_dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in [step_dir, reference_dir] {
        collect(dir, dir, &mut files);
    }
    files.retain(|file| {
        file == "serverless.yml" || (file.starts_with("src/") && file.ends_with(".rs"))
    });
    files.sort();
    files.dedup();
    files
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        match step_entry(&entry) {
            StepEntry::Dir => collect(root, &path, files),
            StepEntry::File => {
                if let Ok(relative) = path.strip_prefix(root) {
                    files.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
            StepEntry::Other => {}
        }
    }
}

/// Every difference between the step and the reference, as unified diffs.
pub fn whole(
    step_dir: &Path,
    reference_dir: &Path,
    step_name: &str,
    reference_name: &str,
) -> String {
    let mut out = String::new();
    for file in step_files(step_dir, reference_dir) {
        let read = |path: &Path| read_step_file(path).unwrap_or_default();
        let (old, new) = (
            read(&step_dir.join(&file)),
            read(&reference_dir.join(&file)),
        );
        if old == new {
            continue;
        }
        let (Ok(old), Ok(new)) = (String::from_utf8(old), String::from_utf8(new)) else {
            out.push_str(&format!(
                "{step_name}/{file} and {reference_name}/{file} differ (not text)\n"
            ));
            continue;
        };
        let diff = TextDiff::from_lines(&old, &new);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{step_name}/{file}"),
                    &format!("{reference_name}/{file}"),
                )
                .to_string(),
        );
    }
    out
}

/// The lines the reference adds or changes in the hunk of `file` that mentions `needle`,
/// with a line of context: what a learner can copy from.
pub fn part(step_dir: &Path, reference_dir: &Path, file: &str, needle: &str) -> Option<String> {
    let old = std::fs::read_to_string(step_dir.join(file)).ok()?;
    let new = std::fs::read_to_string(reference_dir.join(file)).ok()?;
    let diff = TextDiff::from_lines(&old, &new);
    let mut unified = diff.unified_diff();
    let hunk = unified.context_radius(1).iter_hunks().find(|hunk| {
        hunk.iter_changes()
            .any(|change| change.value().contains(needle))
    })?;
    let lines: Vec<String> = hunk
        .iter_changes()
        .filter(|change| change.tag() != similar::ChangeTag::Delete)
        .map(|change| {
            let sign = if change.tag() == similar::ChangeTag::Insert {
                '+'
            } else {
                ' '
            };
            format!("{sign}{}", change.value().trim_end())
        })
        .collect();
    Some(lines.join("\n").trim_end().to_owned())
}
