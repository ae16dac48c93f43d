//! `cargo xtask logs FUNCTION`: a function's logs, from the local deployment or from AWS.

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::local_state as state;
use crate::project::Step;
use crate::tools::log_tail;
use crate::tools::{aws, terminal};

/// A function's logs, local or on AWS (like `serverless logs -f FUNCTION`)
///
/// While `cargo xtask deploy --local` runs the step, or with --local, the local logs are
/// shown; otherwise the logs of the AWS deployment (stage: your login name, or --stage). A
/// local log holds one run: each start of `deploy --local` begins the functions' logs anew
/// (the table and its items stay).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A function of serverless.yml: stream, putUser...
    function: String,
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    step: Option<String>,
    /// The local deployment's log (target/xtask/local/STEP/FUNCTION.log)
    #[arg(long)]
    local: bool,
    /// Keep following the log (Ctrl-C stops)
    #[arg(long)]
    tail: bool,
    /// The AWS stage
    #[arg(long, value_name = "NAME", conflicts_with = "local")]
    stage: Option<String>,
}

pub fn run(options: Options) -> Result<ExitCode> {
    let step = state::chosen_step(options.step.as_deref())?;
    if options.local || state::running(step.name).is_some() {
        return local_logs(step, &options.function, options.tail);
    }
    // A local deployment that has stopped leaves its logs: say where, before AWS is asked.
    let local_log = state::function_log(step.name, &options.function);
    if local_log.exists() {
        eprintln!(
            "no local deployment of {} is running; the last one's log: cargo xtask logs {} --local",
            step.name, options.function
        );
    }
    let stage = match aws::credentials_and_stage(options.stage.as_deref()) {
        Ok(stage) => stage,
        // No AWS to ask: the last local run's log is what there is to see.
        Err(error) if local_log.exists() && options.stage.is_none() => {
            eprintln!(
                "{}\nthe last local run's log follows:",
                format!("{error:#}").lines().next().unwrap_or_default()
            );
            return local_logs(step, &options.function, options.tail);
        }
        Err(error) => return Err(error),
    };
    let mut args = vec!["logs", "--function", &options.function, "--stage", &stage];
    if options.tail {
        args.push("--tail");
    }
    aws::serverless(step, &args)
}

fn local_logs(step: Step, function: &str, tail: bool) -> Result<ExitCode> {
    let path = state::function_log(step.name, function);
    if !path.exists() {
        let known = crate::serverless_yml::ServerlessYml::load(&step.dir())
            .map(|yml| {
                yml.functions()
                    .iter()
                    .map(|f| f.name.to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        bail!(
            "no local log for function {function:?} of {}: start the service with \
             `cargo xtask deploy --local` first (its functions: {known})",
            step.name
        );
    }
    if tail {
        let stop = Arc::new(AtomicBool::new(false));
        let for_handler = Arc::clone(&stop);
        ctrlc::set_handler(move || for_handler.store(true, std::sync::atomic::Ordering::Relaxed))
            .context("listening for Ctrl-C")?;
        log_tail::follow(function, &path, &stop);
        return Ok(ExitCode::SUCCESS);
    }
    // Line by line, as long as the log is; a byte that is not UTF-8 is shown as such, not a
    // reason to show nothing; what the function printed is shown, never obeyed.
    let file = std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut log = BufReader::new(file);
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = log
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            return Ok(ExitCode::SUCCESS);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        writeln!(out, "{}", terminal::safe(text)).context("printing the log")?;
    }
}
