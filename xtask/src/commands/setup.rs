//! `cargo xtask setup`: everything the workshop needs, checked, installed and built before
//! the room fills up, so that the step then works with no network at all.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::project::{self, STEPS};
use crate::tools::python::{self, CARGO_LAMBDA};
use crate::tools::{aws, lambda_zip, node, process};

/// Get this machine ready for the workshop (run it before, with network)
///
/// Checks Rust and the local API's port, saying how to fix each gap; then builds both steps
/// and their tests (the local cloud, its DynamoDB included, needs Rust alone). After it,
/// `check`, `deploy --local`, `logs` and the steps' tests need no network. A second run
/// takes seconds.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Also for deploying to AWS: checks Node.js, Python 3 with venv and your AWS
    /// credentials, installs cargo-lambda (with Zig) and the pinned Serverless Framework, and
    /// builds the Lambda zips
    #[arg(long)]
    aws: bool,
}

/// One line of the final table.
struct Ready {
    what: String,
    result: Result<String>,
}

pub fn run(options: Options) -> Result<ExitCode> {
    let started = Instant::now();
    println!("Checking this machine:");
    let mut gaps = 0;
    for (what, check) in checks(options.aws) {
        match check {
            Ok(found) => println!("  ✓ {what}: {found}"),
            Err(fix) => {
                gaps += 1;
                println!("  ✗ {what}: {fix:#}");
            }
        }
    }
    println!("\nInstalling and building (cargo's progress follows):");
    let mut ready = vec![
        // Each step alone, as `check` and `deploy --local` build it: a build of the whole
        // workspace unifies other features and would leave them a rebuild to do.
        step("both steps, debug builds", || {
            STEPS
                .iter()
                .try_for_each(|step| cargo(&["build", "--bins", "--package", step.package]))
                .map(|()| "built".to_owned())
        }),
        step("the steps' tests", || {
            let mut args = vec!["test", "--no-run"];
            for step in STEPS {
                args.extend(["--package", step.package]);
            }
            cargo(&args).map(|()| "built".to_owned())
        }),
    ];
    if options.aws {
        ready.push(step("cargo-lambda with Zig", || {
            python::ensure(CARGO_LAMBDA).map(|_| "installed".to_owned())
        }));
        ready.push(step("the Serverless Framework (osls)", || {
            node::ensure_osls().map(|_| "installed".to_owned())
        }));
        for step_ in STEPS {
            ready.push(step(&format!("{}'s Lambda zip", step_.name), || {
                lambda_zip::build(step_).map(|zip| zip.display().to_string())
            }));
        }
    }
    println!("\nReady ({} s):", started.elapsed().as_secs());
    for line in &ready {
        match &line.result {
            Ok(how) => println!("  ✓ {}: {how}", line.what),
            Err(error) => {
                gaps += 1;
                println!("  ✗ {}: {error:#}", line.what);
            }
        }
    }
    if gaps > 0 {
        println!("\n{gaps} thing(s) to fix above; then run `cargo xtask setup` again.");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "\nAll set: `cd 6-streams` and follow its README. `cargo xtask check` and \
         `cargo xtask deploy --local` now work without a network."
    );
    Ok(ExitCode::SUCCESS)
}

fn step(what: &str, work: impl FnOnce() -> Result<String>) -> Ready {
    println!("- {what}");
    Ready {
        what: what.to_owned(),
        result: work(),
    }
}

/// cargo with its own progress on the terminal, and a line of ours when it is quiet.
fn cargo(args: &[&str]) -> Result<()> {
    let status = process::run_with_heartbeat(
        project::cargo().args(args),
        &format!("running cargo {}", args[0]),
        Duration::from_secs(10),
    )?;
    anyhow::ensure!(
        status.success(),
        "cargo {} failed ({status}): see above",
        args.join(" ")
    );
    Ok(())
}

/// What the workshop needs of this machine: each found, or what to do.
fn checks(aws: bool) -> Vec<(&'static str, Result<String>)> {
    let mut checks = vec![
        ("System", Ok(system())),
        ("Rust", rust()),
        ("port 3000 on 127.0.0.1", port(3000)),
    ];
    if aws {
        // cargo-lambda comes from PyPI (it brings Zig); the local cloud needs no Python.
        checks.push(("Python 3 with venv", python_with_venv()));
        checks.push((
            "Node.js",
            node::check_node().map(|version| match node::sdk_support_note(&version) {
                Some(note) => note,
                None => version,
            }),
        ));
        checks.push((
            "AWS credentials",
            aws::require_credentials().map(|()| "found".to_owned()),
        ));
    }
    checks
}

/// This machine's system, and how far the workshop is known to work on it.
fn system() -> String {
    let (os, arch) = (std::env::consts::OS, std::env::consts::ARCH);
    // What CI proves on each (the README's "Which systems").
    let how = match (os, arch) {
        ("linux", "x86_64") => "every test of the workshop runs on it in CI",
        ("linux", _) => "the tests run on Linux x86_64 in CI; this architecture is not tried",
        ("macos", _) => {
            "type-checked in CI, never run there: tell the workshop's authors what fails"
        }
        ("windows", "x86_64") => {
            "built in CI, its tests and a local deployment run under Wine (the GNU target; \
             rustup's MSVC default is not built there)"
        }
        _ => "not tried: Linux, macOS and Windows (x86_64) are the workshop's systems",
    };
    format!("{os} {arch}: {how}")
}

fn rust() -> Result<String> {
    let manifest = std::fs::read_to_string(project::root().join("Cargo.toml"))
        .context("reading the workspace's Cargo.toml")?;
    let wanted = manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .context("the workspace's Cargo.toml has no rust-version")?;
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = process::output(Command::new(rustc).arg("--version"), "running rustc")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let found = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let number = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    if number(&found) < number(&wanted) {
        anyhow::bail!("{found} is older than the {wanted} the workshop needs: run `rustup update`");
    }
    Ok(format!("{found} (the workshop needs {wanted} or newer)"))
}

fn python_with_venv() -> Result<String> {
    let python3 = crate::tools::python::system_python();
    let output = process::output(
        Command::new(python3).args([
            "-c",
            "import venv, ensurepip, sys; print(sys.version.split()[0])",
        ]),
        "running python3",
    );
    match output {
        Ok(output) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(_) => anyhow::bail!(
            "{python3} has no venv module: on Debian or Ubuntu `sudo apt install python3-venv`"
        ),
        Err(_) => anyhow::bail!(
            "{python3} was not found: install Python 3.9 or newer (https://www.python.org/downloads/)"
        ),
    }
}

fn port(port: u16) -> Result<String> {
    if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
        return Ok("free for `cargo xtask deploy --local`".to_owned());
    }
    let ours = STEPS.into_iter().find(|step| {
        crate::local_state::running(step.name)
            .is_some_and(|running| running.api_url.ends_with(&format!(":{port}")))
    });
    match ours {
        Some(step) => Ok(format!(
            "used by the `cargo xtask deploy --local` of {} that runs now",
            step.name
        )),
        // The port after the API's is its console's: two further on is free of both.
        None => anyhow::bail!(
            "taken by another program: `cargo xtask deploy --local --port {}` picks another",
            port + 2
        ),
    }
}
