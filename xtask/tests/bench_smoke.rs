//! `cargo xtask bench --smoke`: the bench runs end to end with tiny counts (no timing is
//! asserted: a benchmark proves speed, a test proves it still works).
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::process::Command;

#[test]
fn the_bench_runs_every_side_and_writes_its_table() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "--smoke"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for figure in [
        "throughput, batch 1, small items",
        "throughput, batch 1000, large items",
        "invocation of a 100-record batch",
        "cold start: spawn to first answer",
        "deploy package (zip)",
        "peak memory over the throughput runs",
    ] {
        assert!(stdout.contains(figure), "{figure} missing from:\n{stdout}");
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(xtask::project::xtask_dir().join("bench.json")).unwrap(),
    )
    .unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for row in rows {
        for side in ["rust", "node"] {
            let (median, min, max) = (
                row[side].as_f64().unwrap(),
                row[format!("{side}_min")].as_f64().unwrap(),
                row[format!("{side}_max")].as_f64().unwrap(),
            );
            assert!(0.0 < min && min <= median && median <= max, "{row}");
        }
    }
    // Every throughput row has the limit beside it, and Rust's share of it.
    let throughput: Vec<_> = rows
        .iter()
        .filter(|row| row["figure"].as_str().unwrap().starts_with("throughput"))
        .collect();
    assert_eq!(throughput.len(), 6);
    for row in throughput {
        assert!(row["limit"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["rust_of_limit"].as_f64().unwrap() > 0.0, "{row}");
    }
}

/// `cargo xtask bench --save`: a copy of the exercise with a working handler is checked after
/// a save, alone and beside a watching local deployment, and the tables give the verdict's
/// time and its parts (no time is asserted).
#[test]
fn the_save_bench_checks_a_copy_after_each_save_and_splits_the_time() {
    let exercise = xtask::project::root().join("6-streams/src/stream.rs");
    let before = std::fs::read(&exercise).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "--save", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("| save | verdict | build | items | tests | formatting |"),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |") || l.starts_with("| median |"))
        .collect();
    // Two tables: check alone, then check beside deploy --local --watch, which adds the time
    // until the new code serves.
    assert!(
        stdout
            .contains("| save | verdict | build | items | tests | formatting | new code serving |"),
        "{stdout}"
    );
    assert_eq!(rows.len(), 6, "{stdout}");
    for (i, row) in rows.iter().enumerate() {
        let times = if i < 3 { 5 } else { 6 };
        assert_eq!(row.matches(" s |").count(), times, "{row}");
    }
    // The saves go to the bench's copy: the exercise itself is untouched.
    assert_eq!(std::fs::read(&exercise).unwrap(), before);
}
