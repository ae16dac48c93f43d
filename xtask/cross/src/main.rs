//! `cargo xtask test --cross` runs this, after the Linux tests: the workspace on the systems
//! learners bring, proven from a Debian 12 machine. Windows: built, its unit tests and the
//! steps' tests run under Wine, and a local deployment under Wine. macOS: type-checked for
//! both architectures (nothing links without Apple's SDK). Every part runs even when one
//! fails; the summary gives each one's time.

mod macos;
mod mingw;
mod toolchain;
mod windows;
mod wine;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use xtask::project;

/// A line at least this often while a long command is silent.
pub const HEARTBEAT: Duration = Duration::from_secs(20);

const HELP: &str = "\
xtask-cross: the workspace built and tested for Windows (under Wine) and type-checked for
macOS, from Debian 12 (`cargo xtask test --cross` runs it after the Linux tests)

Usage: cargo run --package xtask-cross -- [windows] [macos]   (both when none is named)

Needs, as root: apt-get update (bookworm-security's rustc-web), and
  apt-get install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine64
It downloads the rest into target/cross/ (Debian's rustc-web with its standard library's
source, cargo-zigbuild and Zig from PyPI) and keeps its builds there for the next run.
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(other) = args.iter().find(|arg| *arg != "windows" && *arg != "macos") {
        eprint!("unknown argument {other:?}\n\n{HELP}");
        return Ok(ExitCode::FAILURE);
    }
    let wanted = |system: &str| args.is_empty() || args.iter().any(|arg| arg == system);
    let cross = project::target_dir().join("cross");
    let mut parts = Parts::default();
    if wanted("windows") {
        mingw::check_installed()?;
    }
    let toolchain = parts.time("toolchain: Debian's rustc-web", || {
        toolchain::Toolchain::ensure(&cross.join("toolchain"))
    })?;
    if wanted("windows") {
        let wine = wine::Wine::ensure(&cross.join("wine-prefix"))?;
        let built = parts.run("Windows: the workspace built, all targets", || {
            windows::build(&toolchain, &wine)
        });
        if built {
            parts.run(
                "Windows: unit tests and the steps' tests under Wine",
                || windows::unit_tests(&toolchain, &wine),
            );
            // Nothing the tests left under Wine (its server lingers too) reaches the
            // deployment's part, which counts the processes under Wine.
            wine.stop();
            parts.run("Windows: a local deployment of 7-finish under Wine", || {
                windows::deployment(&wine)
            });
        }
        wine.stop();
    }
    if wanted("macos") {
        let zigbuild = parts.time("macOS: cargo-zigbuild and Zig", || {
            macos::ensure_zigbuild(&cross.join("zigbuild"))
        })?;
        for target in macos::TARGETS {
            parts.run(
                &format!("macOS: the workspace type-checked for {target}"),
                || macos::check(&toolchain, &zigbuild, target),
            );
        }
    }
    Ok(parts.summary())
}

/// Each part's name, time and result, for the summary.
#[derive(Debug, Default)]
struct Parts {
    done: Vec<(String, Duration, bool)>,
}

impl Parts {
    /// A part that must succeed for the ones after it.
    fn time<T>(&mut self, name: &str, part: impl FnOnce() -> Result<T>) -> Result<T> {
        eprintln!("\n==> {name}");
        let started = Instant::now();
        let result = part();
        self.done
            .push((name.to_owned(), started.elapsed(), result.is_ok()));
        result
    }

    /// A part whose failure is said and counted; the next ones run all the same.
    fn run(&mut self, name: &str, part: impl FnOnce() -> Result<bool>) -> bool {
        match self.time(name, part) {
            Ok(passed) => {
                if let Some(last) = self.done.last_mut() {
                    last.2 = passed;
                }
                passed
            }
            Err(error) => {
                eprintln!("==> {name}: {error:#}");
                false
            }
        }
    }

    fn summary(&self) -> ExitCode {
        eprintln!("\nxtask-cross:");
        for (name, took, passed) in &self.done {
            let mark = if *passed { "ok    " } else { "FAILED" };
            eprintln!("  {mark} {name} ({:.0} s)", took.as_secs_f64());
        }
        if self.done.iter().all(|(_, _, passed)| *passed) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
