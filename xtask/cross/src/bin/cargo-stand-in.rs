//! A stand-in for cargo, for `xtask.exe deploy --local` under Wine: a Windows process under
//! Wine cannot start Linux's cargo, so the step binaries are built for Windows beforehand and
//! this answers xtask's `cargo build --bins --message-format=json --package P` with the
//! message cargo would print for `P.exe` in the directory `XTASK_STAND_IN_BINARIES` names.
//! Anything else is refused, loudly: the test must not pass on a build that did not happen.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match artifact(&args) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!(
                "cargo stand-in: cannot run `cargo {}`: {why}",
                args.join(" ")
            );
            ExitCode::FAILURE
        }
    }
}

/// cargo's `compiler-artifact` message for the package's prebuilt binary.
fn artifact(args: &[String]) -> Result<String, String> {
    if args.first().map(String::as_str) != Some("build") {
        return Err("only `build` is stood in for".into());
    }
    let package = args
        .iter()
        .position(|arg| arg == "--package")
        .and_then(|at| args.get(at + 1))
        .ok_or("no --package given")?;
    let dir = std::env::var_os("XTASK_STAND_IN_BINARIES")
        .map(PathBuf::from)
        .ok_or("XTASK_STAND_IN_BINARIES names no directory")?;
    let binary = dir.join(format!("{package}.exe"));
    if !binary.is_file() {
        return Err(format!("{} was not built", binary.display()));
    }
    Ok(serde_json::json!({
        "reason": "compiler-artifact",
        "profile": {"test": false},
        "executable": binary.to_string_lossy(),
    })
    .to_string())
}
