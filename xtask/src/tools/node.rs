//! The Serverless Framework, pinned: osls (the open-source v3 fork, no login, works offline for
//! `package`) from the root package.json and package-lock.json, installed with `npm ci` into
//! the root node_modules/ on first need. A global `serverless` (v4) is never used.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::project::{self, Step};
use crate::tools::{install_lock, process};

const NODE_AT_LEAST: (u32, u32) = (20, 19);

/// The Node.js from which AWS's SDK for JavaScript releases of January 2027 on are supported.
const NODE_SDK_SUPPORTED: u32 = 22;

/// `serverless` (osls) run in the step's directory, telemetry and notifications off.
pub fn serverless(step: Step) -> Result<Command> {
    let bin = ensure_osls()?;
    let mut command = Command::new(bin);
    command
        .current_dir(step.dir())
        .env("SLS_TELEMETRY_DISABLED", "1")
        .env("SLS_NOTIFICATIONS_MODE", "off");
    if node_major().is_some_and(|major| major < NODE_SDK_SUPPORTED) {
        // The pinned framework's SDK runs on Node 20, and warns at every command, in eight
        // lines, that later SDKs will not; `setup --aws` says it once instead.
        command.env("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
    }
    Ok(command)
}

/// `node SCRIPT` with the pinned packages installed (the script finds them in the root
/// node_modules/), for the AWS SDK for JavaScript that the framework brings.
pub fn script(script: &std::path::Path) -> Result<Command> {
    ensure_osls()?;
    let mut command = Command::new("node");
    command.arg(script).current_dir(project::root());
    if node_major().is_some_and(|major| major < NODE_SDK_SUPPORTED) {
        command.env("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
    }
    Ok(command)
}

/// What `setup --aws` says of a Node.js older than 22, once.
pub fn sdk_support_note(version: &str) -> Option<String> {
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()?;
    (major < NODE_SDK_SUPPORTED).then(|| {
        format!(
            "{version} runs the workshop's pinned Serverless Framework; AWS's SDK for \
             JavaScript releases from January 2027 on need Node.js {NODE_SDK_SUPPORTED} (the \
             workshop pins earlier ones, and xtask silences the SDK's warning about it). Node.js \
             {NODE_SDK_SUPPORTED} is the better choice when you install one"
        )
    })
}

/// The major version of the `node` on PATH.
fn node_major() -> Option<u32> {
    let output = process::output(Command::new("node").arg("--version"), "running node").ok()?;
    let version = String::from_utf8_lossy(&output.stdout);
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

fn serverless_bin() -> PathBuf {
    let name = if cfg!(windows) {
        "serverless.cmd"
    } else {
        "serverless"
    };
    project::root().join("node_modules").join(".bin").join(name)
}

/// Installs the pinned packages if node_modules/ lacks them or the lock file changed since.
pub fn ensure_osls() -> Result<PathBuf> {
    let lock = std::fs::read(project::root().join("package-lock.json"))
        .context("reading package-lock.json")?;
    let marker = project::root()
        .join("node_modules")
        .join(".xtask-installed");
    let fingerprint = format!(
        "{}-{}",
        lock.len(),
        lock.iter().map(|b| u64::from(*b)).sum::<u64>()
    );
    let bin = serverless_bin();
    let installed =
        || bin.exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m == fingerprint);
    if installed() {
        return Ok(bin);
    }
    let _lock = install_lock::hold("node-modules", "the Serverless Framework")?;
    // Another thread or process may have installed it while this one waited.
    if installed() {
        return Ok(bin);
    }
    check_node()?;
    eprintln!("installing the Serverless Framework (osls 4.3.1) into node_modules/ with npm ci (first time only)");
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = process::run_with_heartbeat(
        Command::new(npm)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(project::root()),
        "installing the Serverless Framework with npm ci",
        Duration::from_secs(5),
    )?;
    if !status.success() {
        bail!("npm ci failed ({status}): check your network and run the command again");
    }
    std::fs::write(&marker, fingerprint)
        .with_context(|| format!("writing {}", marker.display()))?;
    Ok(bin)
}

/// Node.js, new enough for the Serverless Framework: its version.
pub fn check_node() -> Result<String> {
    let output = process::output(Command::new("node").arg("--version"), "running node");
    let version = match output {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        _ => bail!(
            "node was not found: deploying to AWS needs Node.js {}.{} or newer \
             (https://nodejs.org); without an AWS account use `cargo xtask deploy --local`",
            NODE_AT_LEAST.0,
            NODE_AT_LEAST.1
        ),
    };
    let mut parts = version
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found < NODE_AT_LEAST {
        bail!(
            "Node.js {version} is too old for the Serverless Framework: install {}.{} or newer",
            NODE_AT_LEAST.0,
            NODE_AT_LEAST.1
        );
    }
    Ok(version)
}
