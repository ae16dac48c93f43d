//! What the bench runs and measures the size of: the Rust bootstrap (the Lambda build where
//! this machine can run it) and the Node.js package of the original step.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use xtask::project::{self, Step};
use xtask::tools::process;

pub fn rust_label() -> &'static str {
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        "the Lambda bootstrap itself"
    } else {
        "a release build for this machine"
    }
}

/// The Lambda bootstrap where this machine can run it (Linux x86_64), else a host release build.
pub fn rust_binary(step: Step) -> Result<PathBuf> {
    if let Some(binary) = in_seat("XTASK_BENCH_RUST")? {
        return Ok(binary);
    }
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        // What cargo-lambda zipped as `bootstrap`.
        let bootstrap = project::target_dir()
            .join("x86_64-unknown-linux-gnu")
            .join("release")
            .join(step.package);
        if bootstrap.exists() {
            return Ok(bootstrap);
        }
    }
    process::run(
        project::cargo()
            .args(["build", "--release", "--package", step.package])
            .args(["--bin", step.package]),
        "building 7-finish in release mode",
    )?;
    Ok(project::target_dir().join("release").join(step.package))
}

/// The bench's yardstick (`xtask/limit`), built in release.
pub fn limit_binary() -> Result<PathBuf> {
    if let Some(binary) = in_seat("XTASK_BENCH_LIMIT")? {
        return Ok(binary);
    }
    process::run(
        project::cargo().args(["build", "--release", "--package", "runtime-limit"]),
        "building the bench's limit (xtask/limit) in release mode",
    )?;
    Ok(project::target_dir().join("release").join("runtime-limit"))
}

/// Another build in a contestant's seat, named by `variable`: how a change is measured side
/// by side (`XTASK_BENCH_RUST=new XTASK_BENCH_LIMIT=old`: Rust/limit is then new/old).
fn in_seat(variable: &str) -> Result<Option<PathBuf>> {
    let Some(binary) = std::env::var_os(variable).map(PathBuf::from) else {
        return Ok(None);
    };
    anyhow::ensure!(
        binary.is_file(),
        "{variable}={} is not a file: give the path of a built 7-finish binary",
        binary.display()
    );
    eprintln!("bench: {variable}: {} in that seat", binary.display());
    Ok(Some(binary))
}

/// The JavaScript step as Lambda would get it: its handler and the packages it requires.
pub fn node_package(dir: &Path) -> Result<PathBuf> {
    let zip = dir.join("node-package.zip");
    let script = "import json, os, sys, zipfile\n\
        root, out = sys.argv[1], sys.argv[2]\n\
        z = zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED)\n\
        z.write(os.path.join(root, 'xtask/bench/node_stream_handler.js'), 'index.js')\n\
        todo, seen = ['@aws-sdk/util-dynamodb'], set()\n\
        while todo:\n\
        \x20   name = todo.pop()\n\
        \x20   if name in seen: continue\n\
        \x20   seen.add(name)\n\
        \x20   package = os.path.join(root, 'node_modules', name)\n\
        \x20   todo += list(json.load(open(os.path.join(package, 'package.json'))).get('dependencies', {}))\n\
        \x20   for folder, _, files in os.walk(package):\n\
        \x20       for f in files:\n\
        \x20           path = os.path.join(folder, f)\n\
        \x20           z.write(path, os.path.relpath(path, root))\n\
        z.close()\n";
    process::run(
        Command::new(xtask::tools::python::system_python())
            .args(["-c", script])
            .arg(project::root())
            .arg(&zip),
        "zipping the Node.js package with Python",
    )?;
    Ok(zip)
}

pub fn file_mb(path: &Path) -> Result<f64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len() as f64
        / 1e6)
}
