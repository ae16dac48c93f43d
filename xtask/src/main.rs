//! `cargo xtask COMMAND`: parses the command line once and hands it to the command's module.

use std::process::ExitCode;

use anyhow::Result;
use pico_args::Arguments;

const HELP: &str = "\
cargo xtask: the workshop's companion

Usage: cargo xtask COMMAND [ARGS]

Commands:
  bench    Rust against the original Node.js step: throughput, cold start, size, memory
  build    the step's Lambda zip
  check    where your step stands, checked against the solution
  deploy   deploy the step to AWS, or run it on this machine with --local
  logs     a function's logs, local or on AWS
  remove   remove the step's stack from AWS
  sls      the pinned Serverless Framework, for anything else (cargo xtask sls -- info)
  test     run every check of the repository (what CI runs)

Run `cargo xtask COMMAND --help` for a command's options.
";

fn main() -> ExitCode {
    match run(Arguments::from_env()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Arguments) -> Result<ExitCode> {
    let command = args.subcommand()?;
    if command.as_deref() == Some("sls") {
        // Everything after `--`, `--help` too, belongs to the framework.
        let rest: Vec<String> = args
            .finish()
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if matches!(rest.first().map(String::as_str), Some("-h" | "--help")) {
            return print(xtask::sls::HELP);
        }
        return xtask::sls::run(rest);
    }
    let help = args.contains(["-h", "--help"]);
    match command.as_deref() {
        Some("bench") => {
            if help {
                return print(xtask::bench::HELP);
            }
            let options = xtask::bench::Options::parse(&mut args)?;
            finish(args)?;
            xtask::bench::run(options)
        }
        Some("build") => {
            if help {
                return print(xtask::build::HELP);
            }
            let options = xtask::build::Options::parse(&mut args)?;
            finish(args)?;
            xtask::build::run(options)
        }
        Some("check") => {
            if help {
                return print(xtask::check::HELP);
            }
            let options = xtask::check::Options::parse(&mut args)?;
            finish(args)?;
            xtask::check::run(options)
        }
        Some("deploy") => {
            if help {
                return print(xtask::deploy::HELP);
            }
            let options = xtask::deploy::Options::parse(&mut args)?;
            finish(args)?;
            xtask::deploy::run(options)
        }
        Some("logs") => {
            if help {
                return print(xtask::logs::HELP);
            }
            let options = xtask::logs::Options::parse(&mut args)?;
            finish(args)?;
            xtask::logs::run(options)
        }
        Some("remove") => {
            if help {
                return print(xtask::remove::HELP);
            }
            let options = xtask::remove::Options::parse(&mut args)?;
            finish(args)?;
            xtask::remove::run(options)
        }
        Some("test") => {
            if help {
                return print(xtask::test::HELP);
            }
            finish(args)?;
            xtask::test::run()
        }
        None | Some("help") => print(HELP),
        Some(other) => {
            eprint!("unknown command {other:?}\n\n{HELP}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print(text: &str) -> Result<ExitCode> {
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Refuses arguments the command does not take, instead of ignoring them.
fn finish(args: Arguments) -> Result<()> {
    let rest = args.finish();
    if !rest.is_empty() {
        anyhow::bail!(
            "unexpected argument {:?}; see --help",
            rest[0].to_string_lossy()
        );
    }
    Ok(())
}
