use super::*;

#[test]
fn only_the_files_a_step_is_built_from_count() {
    for file in [
        "serverless.yml",
        "Cargo.toml",
        "src/stream.rs",
        "src/fixtures/insert.json",
    ] {
        assert!(is_step_file(file), "{file}");
    }
    for file in [
        "src/.stream.rs.swp",
        "src/stream.rs~",
        "src/4913",
        "src/sedjosnXN",
        "src/.#stream.rs",
        "src/#stream.rs#",
        "src/stream.rs.orig",
        "target/debug/x",
        ".serverless/cloudformation-template-update-stack.json",
        "README.md",
        "serverless.yml~",
    ] {
        assert!(!is_step_file(file), "{file}");
    }
}

fn step_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/stream.rs"), "// first").unwrap();
    dir
}

/// The watcher goes first: Windows cannot remove a directory that a live watcher holds.
fn remove(watcher: StepWatcher, dir: &Path) {
    drop(watcher);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_save_is_seen_and_a_save_that_changes_nothing_is_not() {
    let dir = step_dir("save");
    let mut watcher = StepWatcher::new(&dir, false).unwrap();
    std::fs::write(dir.join("src/stream.rs"), "// saved").unwrap();
    let change = watcher.next(Duration::from_secs(5)).unwrap();
    assert_eq!(change.map(|c| c.files), Some(vec!["src/stream.rs".into()]));
    // The same content again, and a tool's scratch file: nothing.
    std::fs::write(dir.join("src/stream.rs"), "// saved").unwrap();
    std::fs::write(dir.join("src/sedAb12Cd"), "x").unwrap();
    assert_eq!(watcher.next(Duration::from_secs(1)).unwrap(), None);
    remove(watcher, &dir);
}

#[test]
fn polling_sees_a_save() {
    let dir = step_dir("poll");
    let mut watcher = StepWatcher::new(&dir, true).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    std::fs::write(dir.join("src/stream.rs"), "// polled").unwrap();
    let started = Instant::now();
    let mut change = None;
    while change.is_none() && started.elapsed() < Duration::from_secs(5) {
        change = watcher.next(Duration::from_millis(500)).unwrap();
    }
    remove(watcher, &dir);
    let change = change.expect("polling saw the save");
    assert_eq!(change.files, vec!["src/stream.rs".to_owned()]);
    assert!(!change.unannounced);
}

/// A watcher that gets no event (as on a file system that sends none) still finds the
/// save by comparing the files, and says that no event announced it.
#[test]
fn a_save_no_event_announced_is_found_and_said() {
    let dir = step_dir("silent");
    let mut watcher = StepWatcher::new(&dir, false).unwrap();
    // The save happens where the watcher hears nothing of it: its known contents change.
    watcher.known.insert("src/stream.rs".to_owned(), 0);
    watcher.last_compared = Instant::now() - COMPARE_EVERY;
    let change = watcher.next(Duration::from_millis(10)).unwrap().unwrap();
    remove(watcher, &dir);
    assert_eq!(change.files, vec!["src/stream.rs".to_owned()]);
    assert!(change.unannounced);
}
