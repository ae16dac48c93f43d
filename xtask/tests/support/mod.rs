//! What the integration tests share: running the real xtask binary, and a learner's attempt
//! at the step as a crate outside the workspace (as `check --dir` sees a copy of a step).
#![allow(dead_code)] // each test file uses part of it
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

pub mod aws;
pub mod deployment;
pub mod moto;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::project;

pub fn xtask(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `cargo xtask ARGS` in `dir`, which must succeed (else its stderr is the failure); stdout.
pub fn xtask_succeeds(args: &[&str], dir: &Path) -> String {
    let output = xtask(args, dir);
    assert!(
        output.status.success(),
        "cargo xtask {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// Whether a process with this id exists and has not exited (a zombie counts as gone), read
/// through sysinfo as the watchdog reads it, on every system.
pub fn process_alive(pid: u32) -> bool {
    use sysinfo::{Pid, ProcessStatus, ProcessesToUpdate, System};
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes(ProcessesToUpdate::Some(&[pid]), true);
    system
        .process(pid)
        .is_some_and(|process| process.status() != ProcessStatus::Zombie)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A file of the repository as committed (`git show HEAD:PATH`): the pristine exercise, even
/// after a learner has done it in the working tree. Without git (a downloaded archive) the
/// working tree's file, with a note.
pub fn committed(path: &str) -> String {
    let output = Command::new("git")
        .args(["show", &format!("HEAD:{path}")])
        .current_dir(project::root())
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8(output.stdout).unwrap(),
        _ => {
            eprintln!("note: no git history here: {path} is read from the working tree");
            std::fs::read_to_string(project::root().join(path)).unwrap()
        }
    }
}

/// Every file under `dir` and its bytes.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// A learner's attempt: the solution's serverless.yml, the exercise's main.rs and the given
/// stream.rs, in a fresh directory. Removed when dropped.
#[derive(Debug)]
pub struct Attempt {
    pub dir: PathBuf,
}

impl Attempt {
    pub fn new(name: &str, stream_rs: &str) -> Self {
        Self::with_files(
            name,
            &committed("7-finish/serverless.yml"),
            &committed("6-streams/src/main.rs"),
            stream_rs,
        )
    }

    /// The exercise as committed, untouched: what a learner starts from.
    pub fn committed_exercise() -> Self {
        // Tests of one binary run side by side: each gets its own directory.
        static COPIES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let copy = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::with_files(
            &format!("committed-exercise-{copy}"),
            &committed("6-streams/serverless.yml"),
            &committed("6-streams/src/main.rs"),
            &committed("6-streams/src/stream.rs"),
        )
    }

    pub fn with_files(name: &str, serverless_yml: &str, main_rs: &str, stream_rs: &str) -> Self {
        let root = project::root();
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let package = format!("streams-{name}");
        std::fs::write(
            dir.join("Cargo.toml"),
            xtask::tools::cargo_build::standalone_manifest(&package).unwrap(),
        )
        .unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        std::fs::write(dir.join("serverless.yml"), serverless_yml).unwrap();
        std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
        std::fs::write(dir.join("src/stream.rs"), stream_rs).unwrap();
        Self { dir }
    }

    /// A step's committed sources copied as a learner copies a step (`cp -r 7-finish ~/try`):
    /// its Cargo.toml still takes everything from the workspace it has left.
    pub fn plain_copy(step: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-copy-of-{step}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = Command::new("git")
            .args(["ls-files", step])
            .current_dir(project::root())
            .output()
            .expect("this test copies a step's files with git ls-files: install git");
        let files = String::from_utf8(files.stdout).unwrap();
        assert!(
            !files.is_empty(),
            "git ls-files {step} listed nothing: is this a git checkout?"
        );
        for file in files.lines() {
            let Some(inside) = file.strip_prefix(&format!("{step}/")) else {
                continue;
            };
            if !inside.ends_with(".png") {
                let to = dir.join(inside);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::write(to, committed(file)).unwrap();
            }
        }
        Self { dir }
    }

    /// `cargo xtask check --dir` on it: exit success and stdout.
    pub fn check(&self) -> (bool, String) {
        let output = xtask(
            &["check", "--dir", self.dir.to_str().unwrap()],
            project::root(),
        );
        let text = format!(
            "{}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
