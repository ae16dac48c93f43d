use super::*;

#[test]
fn a_binary_is_known_by_the_sources_its_dep_info_names() {
    let dir = project::xtask_dir().join(format!("dep-info-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("streams-exercise");
    std::fs::write(
        binary.with_extension("d"),
        "/b/target/debug/streams-exercise: /b/6-streams/src/main.rs /b/6-streams/src/stream.rs\n",
    )
    .unwrap();
    assert!(built_from(&binary, Path::new("/b/6-streams")));
    assert!(!built_from(&binary, Path::new("/a/6-streams")));
    let _ = std::fs::remove_dir_all(&dir);
}
