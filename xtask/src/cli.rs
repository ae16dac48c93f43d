//! `cargo xtask COMMAND`: parses the command line once and hands it to the command's module.

use std::process::ExitCode;

use crate::commands::{
    bench, build, check, deploy, failures, local, logs, put_item, remove, screenshots, setup, sls,
    test,
};
use anyhow::Result;
use pico_args::Arguments;

const HELP: &str = "\
cargo xtask: the workshop's companion

Usage: cargo xtask COMMAND [ARGS]

Commands:
  setup    get this machine ready before the workshop (then no network is needed)
  bench    Rust against the original Node.js step: throughput, cold start, size, memory
  build    the step's Lambda zip
  check    where your step stands, checked against the solution
  deploy   deploy the step to AWS, or run it on this machine with --local
  failures what the stream's retries gave up on, kept by its on-failure destination (--replay)
  logs     a function's logs, local or on AWS
  put-item write one raw item into the step's table (a record the stream function cannot handle)
  remove   remove the step's stack from AWS
  screenshots
           take the README's pictures of the local console again (needs Chromium)
  sls      the pinned Serverless Framework, for anything else (cargo xtask sls -- info)
  test     run every check of the repository (what CI runs)

Run `cargo xtask COMMAND --help` for a command's options.
";

/// The whole command line, run; errors printed with their context.
pub fn main() -> ExitCode {
    use crate::tools::process::watchdog;
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == watchdog::ARGUMENT)
    {
        return watchdog::run();
    }
    let result = match crate::project::xtask_built_elsewhere() {
        Some(built_from) => crate::tools::cargo_build::rerun_xtask_built_here(&built_from),
        None => run(Arguments::from_env()),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Arguments) -> Result<ExitCode> {
    let command = args.subcommand()?;
    if command.as_deref() == Some("bench") {
        // Everything after it, `--help` too, belongs to the bench (a crate of its own).
        let rest = args
            .finish()
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return bench::run(rest);
    }
    if command.as_deref() == Some("sls") {
        // Everything after `--`, `--help` too, belongs to the framework.
        let rest: Vec<String> = args
            .finish()
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if matches!(rest.first().map(String::as_str), Some("-h" | "--help")) {
            return print(sls::HELP);
        }
        return sls::run(rest);
    }
    let help = args.contains(["-h", "--help"]);
    match command.as_deref() {
        Some("build") => command_with(args, help, build::HELP, build::Options::parse, build::run),
        Some("check") => command_with(args, help, check::HELP, check::Options::parse, check::run),
        Some("deploy") => command_with(
            args,
            help,
            deploy::HELP,
            deploy::Options::parse,
            |o| match o.local {
                true => local::run(local::Options {
                    step: o.step,
                    dir: o.dir,
                    port: o.port,
                    watch: o.watch,
                    poll: o.poll,
                    fresh: o.fresh,
                }),
                false => deploy::run(o),
            },
        ),
        Some("failures") => command_with(
            args,
            help,
            failures::HELP,
            failures::Options::parse,
            failures::run,
        ),
        Some("logs") => command_with(args, help, logs::HELP, logs::Options::parse, logs::run),
        Some("put-item") => command_with(
            args,
            help,
            put_item::HELP,
            put_item::Options::parse,
            put_item::run,
        ),
        Some("setup") => command_with(args, help, setup::HELP, setup::Options::parse, setup::run),
        Some("remove") => command_with(
            args,
            help,
            remove::HELP,
            remove::Options::parse,
            remove::run,
        ),
        Some("screenshots") => command_with(
            args,
            help,
            screenshots::HELP,
            |_| Ok(()),
            |()| screenshots::run(),
        ),
        Some("test") => command_with(args, help, test::HELP, test::Options::parse, test::run),
        None | Some("help") => print(HELP),
        Some(other) => {
            eprint!("unknown command {other:?}\n\n{HELP}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// One command: its help, or its options parsed (all of them: none left over) and run.
fn command_with<O>(
    mut args: Arguments,
    help: bool,
    text: &str,
    parse: fn(&mut Arguments) -> Result<O>,
    run: fn(O) -> Result<ExitCode>,
) -> Result<ExitCode> {
    if help {
        return print(text);
    }
    let options = parse(&mut args)?;
    finish(args)?;
    run(options)
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
