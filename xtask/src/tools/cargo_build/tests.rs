use super::dep_info::dep_info_sources;
use super::*;

/// Two copies of a step, `a` and `b`, with real files: the paths are this system's own (on
/// Windows, `C:\...` as cargo writes them, while `canonicalize` says `\\?\C:\...`).
fn two_copies(test: &str) -> PathBuf {
    let dir = project::xtask_dir().join(format!("dep-info-{test}-{}", std::process::id()));
    for copy in ["a", "b b"] {
        std::fs::create_dir_all(dir.join(copy).join("src")).unwrap();
        std::fs::write(dir.join(copy).join("src").join("main.rs"), "fn main() {}").unwrap();
    }
    dir
}

/// A dep-info file as cargo writes it: the binary, then its sources, a space as `\ `.
fn dep_info(binary: &Path, sources: &Path) -> String {
    let escape = |path: &Path| path.display().to_string().replace(' ', "\\ ");
    let main_rs = sources.join("src").join("main.rs");
    format!(
        "{}: {} {}\n",
        escape(binary),
        escape(&main_rs),
        escape(&sources.join("src").join("stream.rs"))
    )
}

#[test]
fn a_binary_is_known_by_the_sources_its_dep_info_names() {
    let dir = two_copies("known");
    let binary = dir.join("streams-exercise");
    std::fs::write(
        binary.with_extension("d"),
        dep_info(&binary, &dir.join("a")),
    )
    .unwrap();
    assert!(built_from(&binary, &dir.join("a")));
    assert!(!built_from(&binary, &dir.join("b b")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_path_with_a_space_is_read_whole() {
    let dir = two_copies("space");
    let binary = dir.join("streams-exercise");
    std::fs::write(
        binary.with_extension("d"),
        dep_info(&binary, &dir.join("b b")),
    )
    .unwrap();
    assert!(built_from(&binary, &dir.join("b b")));
    assert!(!built_from(&binary, &dir.join("a")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The form `canonicalize` gives on Windows (`\\?\C:\...`) and the one cargo writes (`C:\...`)
/// are one directory: a step is not taken for another copy of itself.
#[test]
fn the_canonical_form_of_a_step_is_the_step() {
    let dir = two_copies("canonical");
    let binary = dir.join("streams-exercise");
    std::fs::write(
        binary.with_extension("d"),
        dep_info(&binary, &dir.join("a")),
    )
    .unwrap();
    let canonical = dir.join("a").canonicalize().unwrap();
    assert!(built_from(&binary, &canonical));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dep_info_sources_keep_windows_drives_and_escaped_spaces() {
    assert_eq!(
        dep_info_sources(r"C:\w\t\x.exe: C:\w\a\src\main.rs C:\w\b\ b\src\main.rs"),
        vec![
            PathBuf::from(r"C:\w\a\src\main.rs"),
            PathBuf::from(r"C:\w\b b\src\main.rs")
        ]
    );
}
