//! The AWS side of the tests: commands run with no AWS settings of this machine, and the
//! emulated AWS account (moto's server) that the AWS-path test deploys into.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::moto::MotoServer;
use serde_json::Value;
use xtask::project;

/// An environment with no credentials and no AWS configuration in it at all.
pub fn without_aws(command: &mut Command, home: &Path) {
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let real_home = std::env::var("HOME").unwrap_or_default();
    command
        .env("HOME", home)
        // The toolchain and the crates stay where they are.
        .env(
            "CARGO_HOME",
            std::env::var("CARGO_HOME").unwrap_or(format!("{real_home}/.cargo")),
        )
        .env(
            "RUSTUP_HOME",
            std::env::var("RUSTUP_HOME").unwrap_or(format!("{real_home}/.rustup")),
        )
        // Nor caches: cargo-lambda's Zig wrappers live in the cache directory, and a new one
        // makes cargo build the release zip again from nothing.
        .env(
            "XDG_CACHE_HOME",
            std::env::var("XDG_CACHE_HOME").unwrap_or(format!("{real_home}/.cache")),
        )
        // No instance metadata calls from a test machine.
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

pub fn empty_home(name: &str) -> PathBuf {
    let home = project::xtask_dir()
        .join("test-homes")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    home
}

/// What a command said on stderr, without the lines that say it is still at work (a cold
/// credentials check compiles the AWS SDK first).
pub fn said(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.starts_with("    ... still "))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// An emulated AWS account on 127.0.0.1: moto's server, reached as a learner would reach a
/// company endpoint or LocalStack, through `AWS_ENDPOINT_URL`, with dummy keys.
pub struct Account {
    pub moto: MotoServer,
    home: PathBuf,
}

impl Account {
    pub fn start(name: &str) -> Account {
        let moto = MotoServer::start(
            project::xtask_dir().join(format!("{name}-moto-{}.log", std::process::id())),
        )
        .unwrap();
        Account {
            moto,
            home: empty_home(name),
        }
    }

    /// `command`, pointed at this account and nowhere else.
    pub fn env(&self, command: &mut Command) {
        without_aws(command, &self.home);
        command
            .env("AWS_ENDPOINT_URL", self.moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }

    /// `cargo xtask ARGS` against this account: its output.
    pub fn xtask(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command.args(args).current_dir(project::root());
        self.env(&mut command);
        command.output().unwrap()
    }

    /// `cargo xtask ARGS`, which must succeed: stdout and stderr together.
    pub fn xtask_succeeds(&self, args: &[&str]) -> String {
        let output = self.xtask(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            said(&output)
        );
        assert!(
            output.status.success(),
            "cargo xtask {}:\n{text}",
            args.join(" ")
        );
        text
    }

    /// `cargo xtask ARGS`, which must succeed: what it printed on stdout alone.
    pub fn xtask_stdout(&self, args: &[&str]) -> String {
        let output = self.xtask(args);
        assert!(
            output.status.success(),
            "cargo xtask {}:\n{}",
            args.join(" "),
            said(&output)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// What the account holds, read back with boto3 (support/aws_account.py).
    pub fn read(&self, args: &[&str]) -> Value {
        let python = xtask::tools::python::venv_python();
        let script = project::root().join("xtask/tests/support/aws_account.py");
        let mut command = Command::new(python);
        command.arg(script).args(args);
        self.env(&mut command);
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "aws_account.py {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}
