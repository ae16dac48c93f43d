//! Two checkouts of the workshop sharing one `CARGO_TARGET_DIR` (a global setting many people
//! use; an author with git worktrees). cargo takes one checkout's build of a path crate as
//! fresh in the other when the other's files are older, so `cargo xtask` in checkout C ran
//! the xtask built from B, which acted on B's files. Each must act on itself, also when the
//! suite itself runs under an xtask that rebuilt itself for another checkout.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use xtask::project;

/// A copy of this checkout's committed files, each with the time of the original: to cargo
/// the copy looks as old as the sources it built elsewhere.
fn checkout(name: &str) -> PathBuf {
    let root = project::root();
    let copy = project::xtask_dir().join("checkouts").join(name);
    let _ = std::fs::remove_dir_all(&copy);
    let files = Command::new("git")
        .args(["ls-files"])
        .current_dir(root)
        .output()
        .expect("this test copies the checkout's files with git ls-files: install git");
    assert!(
        files.status.success(),
        "git ls-files failed: is this a git checkout?"
    );
    for file in String::from_utf8(files.stdout).unwrap().lines() {
        let (from, to) = (root.join(file), copy.join(file));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        let time = std::fs::metadata(&from).unwrap().modified().unwrap();
        set_time(&to, time);
    }
    copy
}

fn set_time(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// `cargo xtask check --only config 6-streams` in `checkout`, built into `target`.
fn check_in(checkout: &Path, target: &Path) -> Output {
    Command::new(env!("CARGO"))
        .args(["xtask", "check", "--only", "config", "6-streams"])
        .current_dir(checkout)
        .env("CARGO_TARGET_DIR", target)
        // What cargo test gives this test is about this checkout, not the copies.
        .env_remove("CARGO_MANIFEST_DIR")
        // As when the suite itself runs under an xtask rebuilt for another checkout (an author's
        // global CARGO_TARGET_DIR): the copies inherit its mark, and must rebuild all the same.
        .env("XTASK_REBUILT_FOR_THIS_CHECKOUT", project::root())
        .output()
        .unwrap()
}

#[test]
fn two_checkouts_sharing_a_target_dir_each_check_their_own_files() {
    // Its own target dir: the copies' builds must not touch the one running these tests.
    let target = project::xtask_dir().join("checkouts").join("shared-target");
    let (b, c) = (checkout("b"), checkout("c"));
    // Each copy's serverless.yml is broken in its own way, with its original time.
    for (copy, line) in [(&b, "  broken-in-b: [\n"), (&c, "  broken-in-c: [\n")] {
        let yml = copy.join("6-streams/serverless.yml");
        let time = std::fs::metadata(&yml).unwrap().modified().unwrap();
        let text = std::fs::read_to_string(&yml).unwrap();
        std::fs::write(
            &yml,
            text.replacen("provider:\n", &format!("provider:\n{line}"), 1),
        )
        .unwrap();
        set_time(&yml, time);
    }
    for (copy, other) in [(&b, &c), (&c, &b)] {
        let output = check_in(copy, &target);
        let text = String::from_utf8_lossy(&output.stdout);
        let said = format!("{text}{}", String::from_utf8_lossy(&output.stderr));
        let mine = copy.join("6-streams/serverless.yml");
        assert!(
            text.contains(&*mine.to_string_lossy()),
            "no {} in:\n{said}",
            mine.display()
        );
        assert!(
            !text.contains(&*other.to_string_lossy()),
            "{} in:\n{said}",
            other.display()
        );
    }
    let _ = std::fs::remove_dir_all(project::xtask_dir().join("checkouts"));
}
