//! `cargo xtask bench --smoke`: the bench runs end to end with tiny counts (no timing is
//! asserted: a benchmark proves speed, a test proves it still works).
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::process::Command;

#[test]
fn the_bench_runs_both_sides_and_writes_its_table() {
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
        "invocation of a 100-record batch (median)",
        "cold start: spawn to first answer (median)",
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
    assert!(rows
        .iter()
        .all(|row| row["rust"].as_f64().unwrap() > 0.0 && row["node"].as_f64().unwrap() > 0.0));
}
