//! `cargo xtask check`: where a step stands, one line per thing the step asks for.

mod all;
mod compiler_hints;
mod config_items;
mod diff;
mod failures_item;
mod handler_item;
mod report;
mod step_tests;
mod stream_events;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pico_args::Arguments;

pub use report::{Finding, Item};

use crate::project::Step;
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};
use crate::tools::watch::{Change, StepWatcher};

pub const HELP: &str = "\
cargo xtask check: where your step stands, checked against the solution (7-finish)

Usage: cargo xtask check [STEP] [OPTIONS]

STEP is a step directory (6-streams, 7-finish); by default the one your shell is in,
else 6-streams. Prints one line per thing the step asks for, with a hint under each ✗,
and exits with 0 only when every line passes. Writes nothing into the step.

Options:
  --only config   check serverless.yml only (no build): items 1 to 3
  --solution      under each ✗ in serverless.yml, the matching part of 7-finish too
  --diff          print the whole difference between the step and 7-finish
  --all           for authors: every solution passes, every exercise fails where it should
  --dir PATH      check the step in PATH (a copy of a step) instead of a workspace step
  --watch         check again each time you save a file of the step (serverless.yml,
                  src/, Cargo.toml); Ctrl-C stops
  -h, --help      this text
";

#[derive(Debug, Clone, Default)]
pub struct Options {
    step: Option<String>,
    dir: Option<PathBuf>,
    only_config: bool,
    solution: bool,
    diff: bool,
    all: bool,
    watch: bool,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        let only: Option<String> = args.opt_value_from_str("--only")?;
        let only_config = match only.as_deref() {
            None => false,
            Some("config") => true,
            Some(other) => anyhow::bail!("--only takes `config`, not {other:?}"),
        };
        Ok(Self {
            only_config,
            solution: args.contains("--solution"),
            diff: args.contains("--diff"),
            all: args.contains("--all"),
            watch: args.contains("--watch"),
            dir: args.opt_value_from_str("--dir")?,
            step: args.opt_free_from_str()?,
        })
    }
}

pub fn run(options: Options) -> Result<ExitCode> {
    if options.watch && (options.all || options.diff) {
        anyhow::bail!("--watch checks one step: use it without --all and --diff");
    }
    if options.all {
        return all::run();
    }
    let target = match &options.dir {
        Some(dir) => Target::of_dir(dir.clone())?,
        None => Target::of_step(Step::chosen(options.step.as_deref())?),
    };
    if options.diff {
        let Some((reference_name, reference_dir)) = &target.reference else {
            println!(
                "{} is a solution: there is nothing to compare it with",
                target.name
            );
            return Ok(ExitCode::SUCCESS);
        };
        print!(
            "{}",
            diff::whole(&target.dir, reference_dir, &target.name, reference_name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    if options.watch {
        return watch(&options, &target);
    }
    verdict(&options, &target)
}

/// Checks the step, then again after each save, until Ctrl-C.
fn watch(options: &Options, target: &Target) -> Result<ExitCode> {
    let watcher = StepWatcher::new(&target.dir)?;
    let terminal = std::io::stdout().is_terminal();
    let mut change: Option<Change> = None;
    loop {
        if terminal {
            // Clear the screen and the scrollback: each verdict starts at the top.
            print!("\x1b[2J\x1b[3J\x1b[H");
        }
        if let Some(change) = &change {
            println!("{} saved: checking again\n", change.files.join(", "));
        }
        if let Err(error) = verdict(options, target) {
            println!("error: {error:#}");
        }
        println!(
            "\nWatching {}: save a file to check again, Ctrl-C to stop.",
            target.dir.display()
        );
        let _ = std::io::stdout().flush();
        change = Some(watcher.wait()?);
        if !target.dir.exists() {
            anyhow::bail!("{} is gone: nothing left to watch", target.dir.display());
        }
    }
}

/// One check of the step, printed as it goes, with what to do next.
fn verdict(options: &Options, target: &Target) -> Result<ExitCode> {
    let items: &[Item] = if options.only_config {
        &Item::CONFIG
    } else {
        &Item::ALL
    };
    match &target.reference {
        Some((reference, _)) => println!("{}, checked against {reference}:", target.name),
        None => println!("{}:", target.name),
    }
    let findings = check(target, items, options.solution, &mut |finding| {
        print!("{}", finding.render());
        let _ = std::io::stdout().flush();
    })?;
    let failing: BTreeSet<Item> = findings
        .iter()
        .filter(|f| f.fails())
        .map(|f| f.item)
        .collect();
    println!();
    if failing.is_empty() {
        if options.only_config {
            println!(
                "serverless.yml is ready. `cargo xtask check` also builds and runs your handler."
            );
        } else {
            println!(
                "All done: {} does what the step asks. Next: deploy it with `cargo xtask deploy` \
                 (or `cargo xtask deploy --local` without an AWS account).",
                target.name
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let again = if options.watch {
        "save, and it is checked again"
    } else {
        "then run `cargo xtask check` again"
    };
    println!(
        "{} of {} still to do. Fix the first ✗, {again}.",
        failing.len(),
        items.len()
    );
    if let Some((reference, _)) = &target.reference {
        // --solution covers serverless.yml; the handler's answer is in the whole diff.
        if failing.contains(&Item::Stream) || failing.contains(&Item::Function) {
            println!(
                "Stuck? `cargo xtask check --solution` adds {reference}'s serverless.yml parts \
                 under the ✗; `cargo xtask check --diff` shows the whole difference."
            );
        } else {
            println!("Stuck? `cargo xtask check --diff` shows how {reference} does it.");
        }
    }
    Ok(ExitCode::FAILURE)
}

/// Checks `items` of the target, handing each finding to `show` as soon as it is known (a
/// build can take minutes).
pub(super) fn check(
    target: &Target,
    items: &[Item],
    solution: bool,
    show: &mut dyn FnMut(&Finding),
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut emit = |finding: Finding, findings: &mut Vec<Finding>| {
        show(&finding);
        findings.push(finding);
    };
    let wanted = |item: Item| items.contains(&item);

    let yml = match ServerlessYml::load(&target.dir) {
        Ok(yml) => Some(yml),
        Err(error) => {
            let error = match error.downcast::<crate::serverless_yml::YamlError>() {
                Ok(yaml_error) => yaml_error.to_string(),
                Err(other) => format!("{other:#}"),
            };
            emit(Finding::fail(Item::Parses, error), &mut findings);
            None
        }
    };
    if let Some(yml) = &yml {
        emit(Finding::pass(Item::Parses), &mut findings);
        let stream = config_items::stream(yml);
        let stream_diff = (solution && stream.fails())
            .then(|| reference_part(target, "serverless.yml", "StreamSpecification"));
        emit(stream.with_diff(stream_diff.flatten()), &mut findings);
        for (index, finding) in config_items::function(yml).into_iter().enumerate() {
            let diff = (solution && index == 0 && finding.fails())
                .then(|| reference_part(target, "serverless.yml", config_items::STREAM_HANDLER))
                .flatten();
            emit(finding.with_diff(diff), &mut findings);
        }
    } else {
        for item in [Item::Stream, Item::Function] {
            emit(
                Finding::skipped(item, "serverless.yml must parse first"),
                &mut findings,
            );
        }
    }
    if !wanted(Item::Builds) {
        return Ok(findings);
    }

    let first_build = target.announce_first_build();
    match cargo_build::build_checked(&target.krate, first_build)? {
        Ok(binary) => {
            emit(Finding::pass(Item::Builds), &mut findings);
            emit(handler_item::check(&binary, &target.name)?, &mut findings);
            emit(failures_item::check(&binary, &target.name)?, &mut findings);
            emit(step_tests::check(&target.krate)?, &mut findings);
        }
        Err(BuildErrors(errors)) => {
            let mut finding = Finding::fail(
                Item::Builds,
                format!("cargo's first errors:\n{}", errors.trim_end()),
            );
            if let Some(hint) = compiler_hints::for_errors(&errors) {
                finding.hint.insert(0, hint);
            }
            emit(finding, &mut findings);
            for item in [Item::Handler, Item::Failures, Item::Tests] {
                emit(
                    Finding::skipped(item, "the step must build first"),
                    &mut findings,
                );
            }
        }
    }
    Ok(findings)
}

/// The matching part of the reference's version of `file`, for a hint.
fn reference_part(target: &Target, file: &str, needle: &str) -> Option<String> {
    let (_, reference_dir) = target.reference.as_ref()?;
    diff::part(&target.dir, reference_dir, file, needle)
}
