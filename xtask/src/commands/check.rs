//! `cargo xtask check`: where a step stands, one line per thing the step asks for.

mod all;
mod compiler_hints;
mod config_items;
mod destination_item;
mod diff;
mod failures_item;
mod findings;
mod formatting_item;
mod handler_item;
mod report;
mod step_tests;
mod stream_events;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use findings::check;
pub use report::Item;

use crate::project::Step;
use crate::target::Target;
use crate::tools::terminal::{self, say};
use crate::tools::watch::{Change, StepWatcher, NO_EVENTS_HINT};

/// Where your step stands, checked against the solution (7-finish)
///
/// Prints one line per thing the step asks for, with a hint under each ✗, and exits with 0
/// only when every line passes. Writes nothing into the step.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// A step directory (6-streams, 7-finish); by default the one your shell is in, else
    /// 6-streams
    step: Option<String>,
    /// Check the step in PATH (a copy of a step) instead of a workspace step
    #[arg(long, value_name = "PATH", conflicts_with = "step")]
    dir: Option<PathBuf>,
    /// `--only config`: check serverless.yml only (no build): items 1 to 3
    #[arg(long = "only", value_name = "config", value_parser = ["config"])]
    only: Option<String>,
    /// Under each ✗ in serverless.yml, the matching part of 7-finish too
    #[arg(long)]
    solution: bool,
    /// Print the whole difference between the step's files you edit (serverless.yml, src/)
    /// and 7-finish's
    #[arg(long)]
    diff: bool,
    /// For authors: every solution passes, every exercise fails where it should
    #[arg(long)]
    all: bool,
    /// Check again each time you save a file of the step (serverless.yml, src/, Cargo.toml);
    /// Ctrl-C stops
    #[arg(long)]
    watch: bool,
    /// With --watch: notice saves by reading the files every half second, for file systems
    /// that send no change events (WSL 2 on a Windows drive, network or container mounts)
    #[arg(long, requires = "watch")]
    poll: bool,
}

pub fn run(options: Options) -> Result<ExitCode> {
    if options.watch && (options.all || options.diff) {
        anyhow::bail!("--watch checks one step: use it without --all and --diff");
    }
    if options.poll && !options.watch {
        anyhow::bail!("--poll is a way to watch: `cargo xtask check --watch --poll`");
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
        let whole = diff::whole(&target.dir, reference_dir, &target.name, reference_name);
        // A file's text is shown, never obeyed by the terminal.
        for line in whole.lines() {
            say!("{}", terminal::safe(line));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if options.watch {
        return watch(&options, &target);
    }
    verdict(&options, &target)
}

/// Checks the step, then again after each save, until Ctrl-C.
fn watch(options: &Options, target: &Target) -> Result<ExitCode> {
    let mut watcher = StepWatcher::new(&target.dir, options.poll)?;
    let terminal = std::io::stdout().is_terminal();
    let mut change: Option<Change> = None;
    loop {
        if terminal {
            // Clear the screen and the scrollback: each verdict starts at the top.
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
                crossterm::terminal::Clear(crossterm::terminal::ClearType::Purge),
                crossterm::cursor::MoveTo(0, 0)
            );
        }
        if let Some(change) = &change {
            println!("{} saved: checking again\n", change.files.join(", "));
            if change.unannounced {
                println!("note: {NO_EVENTS_HINT}\n");
            }
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
    let items: &[Item] = if options.only.is_some() {
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
        .filter(|f| f.fails() && f.item.can_fail())
        .map(|f| f.item)
        .collect();
    let warnings: Vec<&str> = findings
        .iter()
        .filter(|f| f.warns())
        .map(|f| f.text.as_str())
        .collect();
    println!();
    if failing.is_empty() {
        all_done(options, target, &warnings);
        return Ok(ExitCode::SUCCESS);
    }
    let again = if options.watch {
        "save, and it is checked again"
    } else {
        "then run `cargo xtask check` again"
    };
    // The first ✗ in the README's order, and where the README tells how.
    let next = match failing.iter().find_map(|item| item.readme_section()) {
        Some(section) => format!(" (README section {section})"),
        None => String::new(),
    };
    println!(
        "{} of {} still to do. Fix the first ✗{next}, {again}.",
        failing.len(),
        items.iter().filter(|item| item.can_fail()).count()
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

/// Every item passes: says so, with the warnings, and what comes next.
fn all_done(options: &Options, target: &Target, warnings: &[&str]) {
    let done = match warnings {
        [] => "All done".to_owned(),
        [one] => format!("All done, with 1 warning ({one})"),
        many => format!(
            "All done, with {} warnings ({})",
            many.len(),
            many.join("; ")
        ),
    };
    let fix = if warnings.is_empty() {
        ""
    } else {
        " See the ⚠ above."
    };
    if options.only.is_some() {
        println!(
            "{done}: serverless.yml is ready.{fix} `cargo xtask check` also builds and runs \
             your handler."
        );
    } else {
        println!(
            "{done}: {} does what the step asks.{fix} Next: deploy it with `cargo xtask \
             deploy` (or `cargo xtask deploy --local` without an AWS account).",
            target.name
        );
    }
}
