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
    if !wanted(Item::Builds) {
        emit(destination, &mut findings);
        return Ok(findings);
    }

    let first_build = target.announce_first_build();
    let mut timings = Timings::new();
    match cargo_build::build_targets(&target.krate, first_build, Targets::BinaryAndTests)? {
        Ok(binary) => {
            timings.lap("build");
            emit(Finding::pass(Item::Builds), &mut findings);
            let handler = handler_item::check(&binary, &target.name)?;
            let logs_users = !handler.fails();
            emit(handler, &mut findings);
            emit(
                failures_item::check(&binary, &target.name, logs_users)?,
                &mut findings,
            );
            emit(destination, &mut findings);
            timings.lap("items");
            emit(step_tests::check(&target.krate)?, &mut findings);
            timings.lap("tests");
            emit(
                formatting_item::check(&target.krate, &target.name)?,
                &mut findings,
            );
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
            emit(finding, &mut findings);
            for item in [Item::Handler, Item::Failures] {
                emit(
                    Finding::skipped(item, "the step must build first"),
                    &mut findings,
                );
            }
            emit(destination, &mut findings);
            emit(
                Finding::skipped(Item::Tests, "the step must build first"),
                &mut findings,
            );
            emit(
                Finding::skipped(Item::Formatted, "the step must build first"),
                &mut findings,
            );
        }
    }
    Ok(findings)
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
