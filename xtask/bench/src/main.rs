//! `cargo xtask bench` runs this (an author's tool, out of a learner's `cargo xtask`): what
//! Rust buys over the original Node.js step, measured side by side in one run on the same
//! inputs: stream handler throughput, cold start, deploy size, memory; the local cloud under
//! load; a save's verdict.

mod artifacts;
mod events;
mod load;
mod measure;
mod report;
mod runtimes;
mod save;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use pico_args::Arguments;

use artifacts::{file_mb, limit_binary, node_package, rust_binary, rust_label};
use events::{events, ItemSize};
use measure::{invocation_ms, milliseconds, records_per_second, same_values};
use report::{report_json, table, Measured, Row};
use runtimes::{PeakMemory, Runtime};
use xtask::project::{self, Step};

const HELP: &str = "\
cargo xtask bench: Rust against the original Node.js step, side by side in one run

Usage: cargo xtask bench [--quick | --smoke | --load [CLIENTS] [--console] | --save [N]]

Feeds the same stream events (INSERT, MODIFY, REMOVE of generated users; small and large
items; batches of 1, 100 and 1000) through the same local Lambda Runtime API to the
7-finish binary (the Lambda build), to a Node.js process running the original step's logic
and logging as Node does on Lambda, and to the limit (xtask/limit: the same work with
nothing spared). Rounds alternate who goes first; each figure is the median of the rounds,
with min-max. Reports records per second, cold start, deploy size and peak memory, with
the ratios, from a release build of xtask (built first). Writes the table as JSON, with
each side's median, min and max, to target/xtask/bench.json.

  (no option) 7 rounds of at least 1 s per contestant and row (ten minutes or more)
  --quick   3 rounds of at least 0.5 s per contestant and row (a few minutes)
  --smoke   one short round, to prove the bench runs (cargo xtask test uses it)
  --load [CLIENTS]
            instead: the local cloud under load. `deploy --local 7-finish` gets 2,000
            PUTs from CLIENTS clients at once (default 50), then a GET of each; prints
            requests/s, p50/p99 and errors, and checks that every change reached the
            stream function exactly once
  --console with --load: the console page open in a headless Chromium meanwhile
  --save [N]
            instead: how long a learner waits after a save. A copy of the exercise with
            a working handler is checked after each of N saves to src/stream.rs
            (default 5); prints each verdict's time, how it splits (build, items,
            tests, formatting) and the medians

To measure a change to the Rust side, put two builds side by side: the Rust column runs
XTASK_BENCH_RUST, the limit's runs XTASK_BENCH_LIMIT (Rust/limit then reads new/old):
  XTASK_BENCH_RUST=/tmp/new XTASK_BENCH_LIMIT=/tmp/old cargo xtask bench
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    Smoke,
    Quick,
    Full,
}

#[derive(Debug, Clone)]
struct Options {
    size: Size,
    /// `--load CLIENTS`: the load run instead.
    load: Option<usize>,
    /// `--console`: a console page open during the load run.
    console: bool,
    /// `--save N`: the save-to-verdict run instead.
    save: Option<usize>,
}

fn main() -> ExitCode {
    let mut args = Arguments::from_env();
    if args.contains(["-h", "--help"]) {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let result = Options::parse(&mut args).and_then(|options| {
        let rest = args.finish();
        if let Some(extra) = rest.first() {
            anyhow::bail!("unexpected argument {extra:?}; see --help");
        }
        run(options)
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The xtask binary of this checkout, built first (the load and save benches run it as a
/// learner does).
fn xtask_binary() -> Result<std::path::PathBuf> {
    xtask::tools::process::run(
        project::cargo().args(["build", "--package", "xtask", "--bin", "xtask"]),
        "building xtask",
    )?;
    Ok(project::target_dir()
        .join("debug")
        .join(format!("xtask{}", std::env::consts::EXE_SUFFIX)))
}

impl Options {
    fn parse(args: &mut Arguments) -> Result<Self> {
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
        let save = match args.contains("--save") {
            true => Some(args.opt_free_from_str()?.unwrap_or(5)),
            false => None,
        };
        if save.is_some() && load.is_some() {
            anyhow::bail!("--save and --load are two benches: run one, then the other");
        }
        Ok(Self {
            size,
            load,
            console,
            save,
        })
    }
}

fn cold_runs(size: Size) -> usize {
    match size {
        Size::Smoke => 3,
        Size::Quick => 21,
        Size::Full => 101,
    }
}

fn run(options: Options) -> Result<ExitCode> {
    if let Some(saves) = options.save {
        return save::run(saves.clamp(1, 100));
    }
    if let Some(clients) = options.load {
        let clients = clients.clamp(1, 2000);
        return load::run(clients, 2000 / clients, options.console);
    }
    if cfg!(debug_assertions) && options.size != Size::Smoke {
        return run_in_release();
    }
    let step = Step::named("7-finish")?;
    let zip = xtask::tools::lambda_zip::build(step)?;
    let rust_binary = rust_binary(step)?;
    xtask::tools::node::ensure_osls()?;
    let rust = Runtime::rust(rust_binary);
    let node = Runtime::node()?;
    let dir = project::xtask_dir().join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    eprintln!(
        "bench: same events, same Runtime API, Rust ({}) against Node.js",
        rust_label()
    );
    let mut rows = Vec::new();
    let limit = Runtime::rust(limit_binary()?);
    // The warm processes live for the throughput runs only, not during the cold starts.
    let peaks = {
        let mut contestants = [
            rust.start(&dir.join("rust-sink.log"))?,
            node.start(&dir.join("node-sink.log"))?,
            limit.start(&dir.join("limit-sink.log"))?,
        ];
        let memory = PeakMemory::watch(vec![contestants[0].pid(), contestants[1].pid()]);
        same_values(&mut contestants)?;
        let (repeats, at_least) = repeats(options.size);
        for batch_size in [1, 100, 1000] {
            for item_size in [ItemSize::Small, ItemSize::Large] {
                // Distinct events enough for a realistic mix; a measurement cycles through
                // them until its time is up.
                let count = match options.size {
                    Size::Smoke => 4,
                    _ => (2000 / batch_size).max(4),
                };
                let inputs = events(batch_size, item_size, count);
                let label = format!(
                    "throughput, batch {batch_size}, {} items",
                    item_size.label()
                );
                eprintln!("  {label}: {repeats} rounds of Rust, Node.js and the limit");
                let mut samples = [Vec::new(), Vec::new(), Vec::new()];
                for round in 0..repeats {
                    // A different one goes first each round: no side always gets the
                    // warmest caches or the quietest moment.
                    for turn in 0..3 {
                        let who = (round + turn) % 3;
                        samples[who].push(records_per_second(
                            &mut contestants[who],
                            &inputs,
                            batch_size,
                            at_least,
                        )?);
                    }
                }
                let [rust_rate, node_rate, limit_rate] = samples.map(|s| Measured::of(&s));
                rows.push(
                    Row::higher_is_better(label, "records/s", rust_rate, node_rate)
                        .with_limit(limit_rate),
                );
            }
        }
        let batch = events(100, ItemSize::Small, 30);
        let [rust_process, node_process, _] = &mut contestants;
        let rust_ms = invocation_ms(rust_process, &batch)?;
        let node_ms = invocation_ms(node_process, &batch)?;
        rows.push(Row::lower_is_better(
            "invocation of a 100-record batch".to_owned(),
            "ms",
            rust_ms,
            node_ms,
        ));
        let peaks = memory.peaks();
        let known = |peak: u64| (peak > 0).then_some(peak);
        (known(peaks[0]), known(peaks[1]))
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
        "cold start: spawn to first answer".to_owned(),
        "ms",
        milliseconds(&rust_cold),
        milliseconds(&node_cold),
    ));

    let node_zip = node_package(&dir)?;
    rows.push(Row::lower_is_better(
        "deploy package (zip)".to_owned(),
        "MB",
        Measured::once(file_mb(&zip)?),
        Measured::once(file_mb(&node_zip)?),
    ));
    if let (Some(rust_peak), Some(node_peak)) = peaks {
        rows.push(Row::lower_is_better(
            "peak memory over the throughput runs".to_owned(),
            "MB",
            Measured::once(rust_peak as f64 / 1e6),
            Measured::once(node_peak as f64 / 1e6),
        ));
    }

    print!("{}", table(&rows));
    let json_path = project::xtask_dir().join("bench.json");
    std::fs::write(&json_path, report_json(&rows, options.size).to_string())
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("\n(written to {})", json_path.display());
    Ok(ExitCode::SUCCESS)
}

/// The same bench from a release build of itself: the bench is the Runtime API endpoint
/// every contestant talks to, and a debug build of it would be part of every figure.
fn run_in_release() -> Result<ExitCode> {
    eprintln!("bench: building itself in release mode (it serves the Runtime API being measured)");
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let status = xtask::tools::process::status(
        project::cargo()
            .args(["run", "--release", "--package", "workshop-bench", "--"])
            .args(&arguments),
        "running the bench from a release build of itself",
    )?;
    Ok(match status.success() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

/// Rounds per throughput row, and the least time of one measurement.
fn repeats(size: Size) -> (usize, Duration) {
    match size {
        Size::Smoke => (1, Duration::ZERO),
        Size::Quick => (3, Duration::from_millis(500)),
        Size::Full => (7, Duration::from_secs(1)),
    }
}
