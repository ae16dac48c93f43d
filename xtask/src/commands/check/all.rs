//! `check --all`, for authors: every solution passes and every exercise fails exactly on the
//! items it leaves to the learner.

use std::process::ExitCode;

use anyhow::Result;

use super::check;
use super::report::Item;
use crate::project::STEPS;
use crate::target::Target;

pub fn run() -> Result<ExitCode> {
    let mut as_meant = true;
    for step in STEPS {
        let target = Target::of_step(step);
        eprintln!("checking {}", step.name);
        let findings = check(&target, &Item::ALL, false, &mut |_| {})?;
        let failing: Vec<&str> = findings
            .iter()
            .filter(|f| f.fails())
            .map(|f| f.item.name())
            .collect();
        if failing == step.meant_to_fail {
            match step.meant_to_fail {
                [] => println!("  ✓ {} passes every item", step.name),
                items => println!(
                    "  ✓ {} fails on exactly {}, as it should",
                    step.name,
                    items.join(", ")
                ),
            }
        } else {
            as_meant = false;
            println!(
                "  ✗ {} fails on [{}], but should fail on [{}]:",
                step.name,
                failing.join(", "),
                step.meant_to_fail.join(", ")
            );
            for finding in &findings {
                print!("{}", finding.render());
            }
        }
    }
    Ok(if as_meant {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
