//! `cargo xtask COMMAND`: the command line, declared (clap: each command's options, their help
//! from the doc comments, their conflicts and requirements), handed to the command's module.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands::{
    bench, build, check, deploy, failures, local, logs, put_item, remove, screenshots, setup, sls,
    test,
};

/// The workshop's companion
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    after_help = "Run `cargo xtask COMMAND --help` for a command's options."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Setup(setup::Options),
    /// For authors: Rust against the original Node.js step, the local cloud under load, a
    /// save's verdict (xtask/bench, built on demand; `cargo xtask bench --help`)
    #[command(disable_help_flag = true)]
    Bench {
        /// The bench's own arguments (`--help` is its help)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    Build(build::Options),
    Check(check::Options),
    Deploy(deploy::Options),
    Failures(failures::Options),
    Logs(logs::Options),
    PutItem(put_item::Options),
    Remove(remove::Options),
    Screenshots(screenshots::Options),
    Sls(sls::Options),
    Test(test::Options),
}

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
        None => match Cli::try_parse() {
            Ok(cli) => run(cli.command),
            // Help and version go to stdout with success; mistakes to stderr, exit code 2.
            Err(error) => {
                let _ = error.print();
                return match error.use_stderr() {
                    true => ExitCode::from(2),
                    false => ExitCode::SUCCESS,
                };
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Setup(options) => setup::run(options),
        Command::Bench { args } => bench::run(args),
        Command::Build(options) => build::run(options),
        Command::Check(options) => check::run(options),
        Command::Deploy(options) if options.local => local::run(local::Options {
            step: options.step,
            dir: options.dir,
            port: options.port,
            watch: options.watch,
            poll: options.poll,
            fresh: options.fresh,
        }),
        Command::Deploy(options) => deploy::run(options),
        Command::Failures(options) => failures::run(options),
        Command::Logs(options) => logs::run(options),
        Command::PutItem(options) => put_item::run(options),
        Command::Remove(options) => remove::run(options),
        Command::Screenshots(_) => screenshots::run(),
        Command::Sls(options) => sls::run(options),
        Command::Test(options) => test::run(options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn conflicts_and_requirements_are_declared() {
        for refused in [
            &["cargo xtask", "deploy", "--watch"][..],
            &["cargo xtask", "deploy", "--local", "--poll"],
            &["cargo xtask", "deploy", "--local", "--stage", "x"],
            &["cargo xtask", "check", "--only", "code"],
            &["cargo xtask", "failures", "--stage", "x"],
            &["cargo xtask", "logs"],
            &["cargo xtask", "put-item"],
        ] {
            assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
        }
        for taken in [
            &[
                "cargo xtask",
                "deploy",
                "--local",
                "--watch",
                "--poll",
                "--fresh",
            ][..],
            &["cargo xtask", "check", "6-streams", "--only", "config"],
            &["cargo xtask", "sls", "7-finish", "--", "info", "--verbose"],
            &["cargo xtask", "bench", "--quick"],
            &["cargo xtask", "bench", "--help"],
        ] {
            assert!(Cli::try_parse_from(taken).is_ok(), "{taken:?}");
        }
    }
}
