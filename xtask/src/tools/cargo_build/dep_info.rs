//! Which sources cargo built a binary from, by its dep-info file: two checkouts sharing a
//! target directory build binaries of the same name.

use std::path::{Path, PathBuf};

/// Whether cargo's dep-info for `binary` (`name.d` beside it) names the `src/main.rs` of
/// `sources`. Paths are compared as the files they name, not as text: on Windows cargo writes
/// `C:\...` where `canonicalize` says `\\?\C:\...`.
pub(super) fn built_from(binary: &Path, sources: &Path) -> bool {
    let dep_info = binary.with_extension("d");
    let Ok(text) = std::fs::read_to_string(&dep_info) else {
        return true; // nothing to tell by: trust cargo
    };
    let Ok(main_rs) = dunce::canonicalize(sources.join("src").join("main.rs")) else {
        return true;
    };
    dep_info_sources(&text)
        .into_iter()
        .filter(|path| path.file_name() == Some("main.rs".as_ref()))
        .any(|path| dunce::canonicalize(path).is_ok_and(|path| path == main_rs))
}

/// The files a dep-info file (a Makefile rule, `target: source source...`) names as sources;
/// a space inside a path is written `\ `. The rule's separator is a colon and a space, which
/// a Windows drive (`C:\`) is not.
pub(super) fn dep_info_sources(text: &str) -> Vec<PathBuf> {
    let mut sources = Vec::new();
    for line in text.lines() {
        let Some((_, names)) = line.split_once(": ") else {
            continue;
        };
        let mut name = String::new();
        let mut chars = names.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    name.push(' ');
                    chars.next();
                }
                ' ' => {
                    if !name.is_empty() {
                        sources.push(PathBuf::from(std::mem::take(&mut name)));
                    }
                }
                c => name.push(c),
            }
        }
        if !name.is_empty() {
            sources.push(PathBuf::from(name));
        }
    }
    sources
}
