//! `cargo xtask bench`: what Rust buys over the original Node.js step, measured side by side
//! in one run on the same inputs: stream handler throughput, cold start, deploy size, memory.

mod artifacts;
mod events;
mod load;
mod report;
mod runtimes;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use pico_args::Arguments;
use serde_json::Value;

use crate::lambda::json_in_logs::json_values;
use crate::project::{self, Step};
use artifacts::{file_mb, node_package, rust_binary, rust_label};
use events::{events, ItemSize};
use report::{report_json, table, Row};
use runtimes::{invoke, peak_rss, Runtime};

pub const HELP: &str = "\
cargo xtask bench: Rust against the original Node.js step, side by side in one run

Usage: cargo xtask bench [--quick | --smoke | --load [CLIENTS] [--console]]

Feeds the same stream events (INSERT, MODIFY, REMOVE of generated users; small and large
items; batches of 1, 100 and 1000) through the same local Lambda Runtime API to the
7-finish binary (the Lambda build) and to a Node.js process running the original step's
logic, and reports records per second, cold start, deploy size and peak memory, with the
ratios. Writes the table as JSON to target/xtask/bench.json.

  --quick   small counts (a minute or two)
  --smoke   tiny counts, to prove the bench runs (cargo xtask test uses it)
  --load [CLIENTS]
            instead: the local cloud under load. `deploy --local 7-finish` gets 2,000
            PUTs from CLIENTS clients at once (default 50), then a GET of each; prints
            requests/s, p50/p99 and errors, and checks that every change reached the
            stream function exactly once
  --console with --load: the console page open in a headless Chromium meanwhile
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    Smoke,
    Quick,
    Full,
}

#[derive(Debug, Clone)]
pub struct Options {
    size: Size,
    /// `--load CLIENTS`: the load run instead.
    load: Option<usize>,
    /// `--console`: a console page open during the load run.
    console: bool,
}

impl Options {
    pub fn parse(args: &mut Arguments) -> Result<Self> {
        let size = match (args.contains("--smoke"), args.contains("--quick")) {
            (true, _) => Size::Smoke,
            (false, true) => Size::Quick,
            (false, false) => Size::Full,
        };
        let console = args.contains("--console");
        let load = match args.contains("--load") {
            true => Some(args.opt_free_from_str()?.unwrap_or(50)),
            false => None,
        };
        if console && load.is_none() {
            anyhow::bail!("--console goes with --load: `cargo xtask bench --load 50 --console`");
        }
        Ok(Self {
            size,
            load,
            console,
        })
    }
}

/// Records per batch size, per run: enough for stable medians without taking all day.
fn total_records(size: Size) -> usize {
    match size {
        Size::Smoke => 200,
        Size::Quick => 6_000,
        Size::Full => 60_000,
    }
}

fn cold_runs(size: Size) -> usize {
    match size {
        Size::Smoke => 3,
        Size::Quick => 21,
        Size::Full => 101,
    }
}

pub fn run(options: Options) -> Result<ExitCode> {
    if let Some(clients) = options.load {
        let clients = clients.clamp(1, 2000);
        return load::run(clients, 2000 / clients, options.console);
    }
    let step = Step::named("7-finish")?;
    let zip = crate::tools::lambda_zip::build(step)?;
    let rust_binary = rust_binary(step)?;
    crate::tools::node::ensure_osls()?;
    let rust = Runtime::rust(rust_binary);
    let node = Runtime::node()?;
    let dir = project::xtask_dir().join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    eprintln!(
        "bench: same events, same Runtime API, Rust ({}) against Node.js",
        rust_label()
    );
    let mut rows = Vec::new();
    // The warm processes live for the throughput runs only, not during the cold starts.
    let peaks = {
        let mut rust_process = rust.start(&dir.join("rust-sink.log"))?;
        let mut node_process = node.start(&dir.join("node-sink.log"))?;
        for batch_size in [1, 100, 1000] {
            for item_size in [ItemSize::Small, ItemSize::Large] {
                let count = (total_records(options.size) / batch_size).max(2);
                let count = if item_size == ItemSize::Large {
                    (count / 4).max(2)
                } else {
                    count
                };
                let inputs = events(batch_size, item_size, count);
                let label = format!(
                    "throughput, batch {batch_size}, {} items",
                    item_size.label()
                );
                eprintln!("  {label}: {count} events");
                let rust_rate = records_per_second(&mut rust_process, &inputs, batch_size)?;
                let node_rate = records_per_second(&mut node_process, &inputs, batch_size)?;
                rows.push(Row::higher_is_better(
                    label,
                    "records/s",
                    rust_rate,
                    node_rate,
                ));
            }
        }
        same_values(&mut rust_process, &mut node_process)?;
        let batch = events(100, ItemSize::Small, 30);
        let rust_ms = median_invocation_ms(&mut rust_process, &batch)?;
        let node_ms = median_invocation_ms(&mut node_process, &batch)?;
        rows.push(Row::lower_is_better(
            "invocation of a 100-record batch (median)".to_owned(),
            "ms",
            rust_ms,
            node_ms,
        ));
        (peak_rss(rust_process.pid()), peak_rss(node_process.pid()))
    };

    let one = events(1, ItemSize::Small, 1).remove(0);
    let mut rust_cold = Vec::new();
    let mut node_cold = Vec::new();
    for _ in 0..cold_runs(options.size) {
        rust_cold.push(runtimes::cold_start(
            &rust,
            &one,
            &dir.join("rust-cold.log"),
        )?);
        node_cold.push(runtimes::cold_start(
            &node,
            &one,
            &dir.join("node-cold.log"),
        )?);
    }
    rows.push(Row::lower_is_better(
        "cold start: spawn to first answer (median)".to_owned(),
        "ms",
        median_ms(&mut rust_cold),
        median_ms(&mut node_cold),
    ));

    let node_zip = node_package(&dir)?;
    rows.push(Row::lower_is_better(
        "deploy package (zip)".to_owned(),
        "MB",
        file_mb(&zip)?,
        file_mb(&node_zip)?,
    ));
    if let (Some(rust_peak), Some(node_peak)) = peaks {
        rows.push(Row::lower_is_better(
            "peak memory over the throughput runs".to_owned(),
            "MB",
            rust_peak as f64 / 1e6,
            node_peak as f64 / 1e6,
        ));
    }

    print!("{}", table(&rows));
    let json_path = project::xtask_dir().join("bench.json");
    std::fs::write(&json_path, report_json(&rows, options.size).to_string())
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("\n(written to {})", json_path.display());
    Ok(ExitCode::SUCCESS)
}

fn records_per_second(
    function: &mut crate::lambda::function::LocalFunction,
    inputs: &[Vec<u8>],
    batch_size: usize,
) -> Result<f64> {
    // Warm: the first invocations pay for page faults and lazy set-up.
    for event in inputs.iter().take(2) {
        invoke(function, event)?;
    }
    let started = Instant::now();
    for event in inputs {
        invoke(function, event)?;
    }
    Ok((inputs.len() * batch_size) as f64 / started.elapsed().as_secs_f64())
}

fn median_invocation_ms(
    function: &mut crate::lambda::function::LocalFunction,
    inputs: &[Vec<u8>],
) -> Result<f64> {
    let mut times = Vec::new();
    for event in inputs {
        let started = Instant::now();
        invoke(function, event)?;
        times.push(started.elapsed());
    }
    Ok(median_ms(&mut times))
}

fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// Neither side may skip work: one event through both, and the same users in both sinks.
fn same_values(
    rust: &mut crate::lambda::function::LocalFunction,
    node: &mut crate::lambda::function::LocalFunction,
) -> Result<()> {
    let event = events(100, ItemSize::Large, 1).remove(0);
    let (rust_before, node_before) = (rust.log_text().len(), node.log_text().len());
    invoke(rust, &event)?;
    invoke(node, &event)?;
    let values = |text: &str| -> Vec<Value> {
        text.lines()
            .filter_map(|line| line.rsplit_once(": value ").map(|(_, value)| value))
            .flat_map(json_values)
            .filter(|value| value.get("name").is_some())
            .collect()
    };
    let rust_values = values(&rust.log_text()[rust_before..]);
    let node_values = values(&node.log_text()[node_before..]);
    if rust_values.len() != 100 || rust_values != node_values {
        bail!(
            "the two handlers logged different values ({} and {} users): the comparison would be unfair",
            rust_values.len(),
            node_values.len()
        );
    }
    Ok(())
}
