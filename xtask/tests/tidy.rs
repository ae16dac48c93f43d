//! The house's rules, held as rust-analyzer's tidy test holds its own: which part may import
//! which, the local cloud silent, and the size limits (a file at most 300 non-empty lines, a
//! function at most 80, a struct at most 12 fields), and no `unwrap` or `expect` in the
//! product. What was over a limit when the limits came was listed with its size, to shrink
//! and leave the list; the list is empty now.

use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 300;
const MAX_FUNCTION_LINES: usize = 80;

/// Over a limit when the limits came: (file, function or "" for the file, lines). Every one
/// has been split since; a new entry needs a reason as good as a table of test data.
const KNOWN: &[(&str, &str, usize)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workshop's root")
        .to_owned()
}

/// The product's Rust files (tests' files left out), with their text up to their first
/// `#[cfg(test)]`.
fn product_files(dir: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![root().join(dir)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("a source directory")
            .flatten()
        {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                let text = std::fs::read_to_string(&path).expect("a source file");
                let product = text.split("\n#[cfg(test)]").next().unwrap_or_default();
                let relative = path.strip_prefix(root()).expect("under the root");
                let relative = relative.to_string_lossy().replace('\\', "/");
                found.push((relative, product.to_owned()));
            }
        }
    }
    found.sort();
    found
}

/// Each function's name and length in lines, from its `fn` line to its closing brace at the
/// same indentation.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = fn_name(trimmed);
        if let Some(rest) = signature {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let end = (index + 1..lines.len()).find(|&j| lines[j] == format!("{indent}}}"));
            // A declaration (`;`) or a one-line body (`}`) has no closing line of its own.
            if let Some(end) = end.filter(|_| !trimmed.ends_with([';', '}'])) {
                found.push((name, end - index + 1));
                index = end;
            }
        }
        index += 1;
    }
    found
}

/// What follows `fn ` in a function's first line, whatever its visibility and qualifiers
/// (`pub(super) async fn`, `const fn`...).
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line;
    if let Some(after) = rest.strip_prefix("pub") {
        rest = match after.strip_prefix('(') {
            Some(scoped) => scoped.split_once(')')?.1,
            None => after,
        }
        .trim_start();
    }
    for qualifier in ["const ", "async ", "unsafe "] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    rest.strip_prefix("fn ")
}

fn known(file: &str, function: &str) -> Option<usize> {
    KNOWN
        .iter()
        .find(|(f, name, _)| *f == file && *name == function)
        .map(|(_, _, lines)| *lines)
}

#[test]
fn files_and_functions_stay_small() {
    let mut over = Vec::new();
    let mut seen = Vec::new();
    for dir in ["xtask/src", "xtask/local-cloud/src"] {
        for (file, text) in product_files(dir) {
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            let mut sizes = vec![(String::new(), lines, MAX_FILE_LINES)];
            sizes.extend(
                functions(&text)
                    .into_iter()
                    .map(|(name, lines)| (name, lines, MAX_FUNCTION_LINES)),
            );
            for (name, lines, limit) in sizes {
                if lines <= limit {
                    continue;
                }
                seen.push((file.clone(), name.clone()));
                let what = if name.is_empty() {
                    file.clone()
                } else {
                    format!("{file}: fn {name}")
                };
                match known(&file, &name) {
                    Some(allowed) if lines <= allowed => {}
                    Some(allowed) => over.push(format!(
                        "{what} grew to {lines} lines (it was {allowed}, the limit is {limit}): \
                         split it"
                    )),
                    None => over.push(format!(
                        "{what} has {lines} lines, over the limit of {limit}: split it"
                    )),
                }
            }
        }
    }
    for (file, function, _) in KNOWN {
        if !seen.iter().any(|(f, name)| f == file && name == function) {
            over.push(format!(
                "{file} {function} is within the limits now (or gone): take it out of KNOWN in \
                 xtask/tests/tidy.rs"
            ));
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

/// The lines of the product's files under `dir` that `offends` (given the file's path and
/// the line), as `file:line: text`.
fn offending_lines(dir: &str, offends: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in product_files(dir) {
        for (number, line) in text.lines().enumerate() {
            if offends(&file, line) {
                found.push(format!("{file}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    found
}

/// A command never reaches into another one (`commands/check` never imports
/// `commands::local`): what two share lives a floor below.
#[test]
fn a_command_never_reaches_into_another() {
    let crossing = offending_lines("xtask/src/commands", |file, line| {
        let own = file
            .trim_start_matches("xtask/src/commands/")
            .split(['/', '.'])
            .next()
            .unwrap_or_default();
        line.match_indices("crate::commands::").any(|(at, _)| {
            let other: String = line[at + "crate::commands::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            other != own
        })
    });
    assert!(
        crossing.is_empty(),
        "a command reaches into another: move what they share below `commands`:\n{}",
        crossing.join("\n")
    );
}

/// The local cloud is a library: it tells what happens on its bus and in its logs,
/// and never prints (xtask decides what reaches the terminal).
#[test]
fn the_local_cloud_never_prints() {
    let printing = offending_lines("xtask/local-cloud/src", |_, line| {
        let code = line.split("//").next().unwrap_or_default();
        ["println!", "eprintln!", "print!", "eprint!", "dbg!"]
            .iter()
            .any(|mac| code.contains(mac))
    });
    assert!(
        printing.is_empty(),
        "the local cloud prints: tell it on the bus instead:\n{}",
        printing.join("\n")
    );
}

/// The local cloud knows nothing of serverless.yml, of the workshop's steps or of xtask: its
/// manifest depends on none of them, nor on a YAML reader.
#[test]
fn the_local_cloud_knows_nothing_of_serverless_yml() {
    let manifest = std::fs::read_to_string(root().join("xtask/local-cloud/Cargo.toml"))
        .expect("the local cloud's manifest");
    // The keys of its dependency sections: `name = ...`, `name.workspace = true`.
    let dependencies: Vec<&str> = manifest
        .split("\n[")
        .filter(|section| section.contains("dependencies]"))
        .flat_map(|section| section.lines().skip(1))
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split(['=', '.']).next())
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .collect();
    assert!(dependencies.contains(&"anyhow"), "{dependencies:?}");
    for crate_name in ["xtask", "yaml_serde", "saphyr-parser", "shared", "clap"] {
        assert!(
            !dependencies.contains(&crate_name),
            "the local cloud depends on {crate_name}: serverless.yml and the command line are \
             xtask's"
        );
    }
}

/// Nothing a learner or AWS can influence panics: no `unwrap` or `expect` in the product
/// (tests may).
#[test]
fn the_product_never_unwraps() {
    let unwrapping = ["xtask/src", "xtask/local-cloud/src"]
        .iter()
        .flat_map(|dir| {
            offending_lines(dir, |_, line| {
                let code = line.split("//").next().unwrap_or_default();
                code.contains(".unwrap()") || code.contains(".expect(")
            })
        })
        .collect::<Vec<_>>();
    assert!(
        unwrapping.is_empty(),
        "the product unwraps: return an error with context instead:\n{}",
        unwrapping.join("\n")
    );
}

/// A struct with more than this many fields holds several things: split it.
const MAX_FIELDS: usize = 12;

#[test]
fn structs_stay_small() {
    let mut over = Vec::new();
    for dir in ["xtask/src", "xtask/local-cloud/src"] {
        for (file, text) in product_files(dir) {
            for (name, fields) in structs(&text) {
                if fields > MAX_FIELDS {
                    over.push(format!(
                        "{file}: struct {name} has {fields} fields, over {MAX_FIELDS}: split it"
                    ));
                }
            }
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

/// Each struct with named fields, and how many it has (the lines one level in that declare
/// a field: `name: Type,`).
fn structs(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let declared = trimmed
            .strip_prefix("pub ")
            .or_else(|| trimmed.strip_prefix("pub(crate) "))
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .unwrap_or(trimmed);
        let Some(rest) = declared.strip_prefix("struct ") else {
            continue;
        };
        if !trimmed.ends_with('{') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let field_indent = format!("{indent}    ");
        let fields = lines[index + 1..]
            .iter()
            .take_while(|l| **l != format!("{indent}}}"))
            .filter(|l| {
                l.strip_prefix(&field_indent)
                    .is_some_and(|field| !field.starts_with([' ', '/', '#']) && field.contains(':'))
            })
            .count();
        found.push((name, fields));
    }
    found
}

#[test]
fn the_struct_counter_counts_fields() {
    let text = "pub struct A {\n    /// doc: not a field\n    pub a: u8,\n    b: Vec<(u8, u8)>,\n    #[allow(dead_code)]\n    c: u8,\n}\nstruct B(u8);\n";
    assert_eq!(structs(text), vec![("A".to_owned(), 3)]);
}
