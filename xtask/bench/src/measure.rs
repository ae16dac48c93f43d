//! How a contestant is measured: records per second, each invocation's time, and a check that
//! every contestant did the same work.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::Value;

use super::events::{events, ItemSize};
use super::report::Measured;
use super::runtimes::invoke;
use xtask::lambda::function::LocalFunction;
use xtask::lambda::json_in_logs::json_values;

/// Records per second through one contestant: the inputs, cycled, for at least `at_least`
/// (and at least once each), after two invocations to warm up.
pub fn records_per_second(
    function: &mut LocalFunction,
    inputs: &[Vec<u8>],
    batch_size: usize,
    at_least: Duration,
) -> Result<f64> {
    for event in inputs.iter().take(2) {
        invoke(function, event)?;
    }
    let started = Instant::now();
    let mut invocations = 0;
    while invocations < inputs.len() || started.elapsed() < at_least {
        invoke(function, &inputs[invocations % inputs.len()])?;
        invocations += 1;
    }
    Ok((invocations * batch_size) as f64 / started.elapsed().as_secs_f64())
}

/// Each invocation's time, in milliseconds.
pub fn invocation_ms(function: &mut LocalFunction, inputs: &[Vec<u8>]) -> Result<Measured> {
    let mut times = Vec::new();
    for event in inputs {
        let started = Instant::now();
        invoke(function, event)?;
        times.push(started.elapsed());
    }
    Ok(milliseconds(&times))
}

pub fn milliseconds(times: &[Duration]) -> Measured {
    let ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    Measured::of(&ms)
}

/// No contestant may skip work: one event with users of every kind of change through each,
/// and the same users in each sink.
pub fn same_values(contestants: &mut [LocalFunction; 3]) -> Result<()> {
    let event = events(100, ItemSize::Large, 1).remove(0);
    let mut logged = Vec::new();
    for function in contestants.iter_mut() {
        let before = function.log_text().len();
        invoke(function, &event)?;
        let text = function.log_text();
        let values: Vec<Value> = text[before..]
            .lines()
            .filter_map(|line| line.rsplit_once(": value ").map(|(_, value)| value))
            .flat_map(json_values)
            .filter(|value| value.get("name").is_some())
            .collect();
        logged.push(values);
    }
    if logged[0].len() != 100 || logged.iter().any(|values| *values != logged[0]) {
        bail!(
            "the contestants logged different values ({} users from Rust, {} from Node.js, {} \
             from the limit): the comparison would be unfair",
            logged[0].len(),
            logged[1].len(),
            logged[2].len()
        );
    }
    Ok(())
}
