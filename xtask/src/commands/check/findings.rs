//! The step's findings, item by item in the README's order: serverless.yml's parts, then the
//! build and what the built handler does, the step's tests and its formatting.

use std::time::Instant;

use anyhow::Result;

use super::report::{self, Finding, Item};
use super::{
    compiler_hints, config_items, destination_item, diff, failures_item, formatting_item,
    handler_item, step_tests,
};
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors, Targets};

/// Checks `items` of the target, handing each finding to `show` as soon as it is known (a
/// build can take minutes).
pub fn check(
    target: &Target,
    items: &[Item],
    solution: bool,
    show: &mut dyn FnMut(&Finding),
) -> Result<Vec<Finding>> {
    let mut said = Said {
        show,
        findings: Vec::new(),
    };
    let yml = config_findings(target, solution, &mut said);
    // In the README's order: the destination is its section 8, after the handler (6) and the
    // failures (7); said after them, though read from serverless.yml with the rest.
    let destination = match &yml {
        Some(yml) => {
            let destination = destination_item::check(yml);
            let diff = (solution && destination.status == report::Status::Fail)
                .then(|| reference_part(target, "serverless.yml", "onFailure"))
                .flatten();
            destination.with_diff(diff)
        }
        None => Finding::skipped(Item::Destination, "serverless.yml must parse first"),
    };
    if !items.contains(&Item::Builds) {
        said.emit(destination);
        return Ok(said.findings);
    }
    let first_build = target.announce_first_build();
    let mut timings = Timings::new();
    match cargo_build::build_targets(&target.krate, first_build, Targets::BinaryAndTests)? {
        Ok(binary) => {
            timings.lap("build");
            said.emit(Finding::pass(Item::Builds));
            let handler = handler_item::check(&binary, &target.name)?;
            let logs_users = !handler.fails();
            said.emit(handler);
            said.emit(failures_item::check(&binary, &target.name, logs_users)?);
            said.emit(destination);
            timings.lap("items");
            said.emit(step_tests::check(&target.krate)?);
            timings.lap("tests");
            said.emit(formatting_item::check(&target.krate, &target.name)?);
            timings.lap("formatting");
            timings.tell();
        }
        Err(BuildErrors(errors)) => {
            let mut finding = Finding::fail(
                Item::Builds,
                format!("cargo's first errors:\n{}", errors.trim_end()),
            );
            if let Some(hint) = compiler_hints::for_errors(&errors) {
                finding.hint.insert(0, hint);
            }
            said.emit(finding);
            for item in [Item::Handler, Item::Failures] {
                said.emit(Finding::skipped(item, "the step must build first"));
            }
            said.emit(destination);
            for item in [Item::Tests, Item::Formatted] {
                said.emit(Finding::skipped(item, "the step must build first"));
            }
        }
    }
    Ok(said.findings)
}

/// The findings so far, each shown as it comes.
struct Said<'a> {
    show: &'a mut dyn FnMut(&Finding),
    findings: Vec<Finding>,
}

impl Said<'_> {
    fn emit(&mut self, finding: Finding) {
        (self.show)(&finding);
        self.findings.push(finding);
    }
}

/// serverless.yml's items (it parses, the stream, the function); the file, if it parses.
fn config_findings(target: &Target, solution: bool, said: &mut Said<'_>) -> Option<ServerlessYml> {
    let yml = match ServerlessYml::load(&target.dir) {
        Ok(yml) => yml,
        Err(error) => {
            let error = match error.downcast::<crate::serverless_yml::YamlError>() {
                Ok(yaml_error) => yaml_error.to_string(),
                Err(other) => format!("{other:#}"),
            };
            said.emit(Finding::fail(Item::Parses, error));
            for item in [Item::Stream, Item::Function] {
                said.emit(Finding::skipped(item, "serverless.yml must parse first"));
            }
            return None;
        }
    };
    said.emit(Finding::pass(Item::Parses));
    let stream = config_items::stream(&yml);
    let stream_diff = (solution && stream.fails())
        .then(|| reference_part(target, "serverless.yml", "StreamSpecification"));
    said.emit(stream.with_diff(stream_diff.flatten()));
    for (index, finding) in config_items::function(&yml).into_iter().enumerate() {
        let diff = (solution && index == 0 && finding.fails())
            .then(|| reference_part(target, "serverless.yml", config_items::STREAM_HANDLER))
            .flatten();
        said.emit(finding.with_diff(diff));
    }
    Some(yml)
}

/// With `XTASK_CHECK_TIMINGS` set, check says on stderr how long each part took (what
/// `cargo xtask bench --save` reads): `timings: build 1.21 s, items 0.12 s, ...`.
struct Timings {
    last: Instant,
    laps: Vec<(&'static str, f64)>,
}

impl Timings {
    fn new() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, part: &'static str) {
        self.laps.push((part, self.last.elapsed().as_secs_f64()));
        self.last = Instant::now();
    }

    fn tell(&self) {
        if std::env::var_os(crate::project::CHECK_TIMINGS).is_some() {
            let laps: Vec<String> = self
                .laps
                .iter()
                .map(|(part, seconds)| format!("{part} {seconds:.2} s"))
                .collect();
            eprintln!("timings: {}", laps.join(", "));
        }
    }
}

/// The matching part of the reference's version of `file`, for a hint.
fn reference_part(target: &Target, file: &str, needle: &str) -> Option<String> {
    let (_, reference_dir) = target.reference.as_ref()?;
    diff::part(&target.dir, reference_dir, file, needle)
}
