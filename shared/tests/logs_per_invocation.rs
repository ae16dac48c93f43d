//! `shared::logs` writes an invocation's lines when it ends, and before a panic's message.
//! Each case runs in a child process (this test binary again) with stdout and stderr in one
//! pipe, so that the order of what reaches the log is what is checked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failure should stop it here

use std::io::Write;
use std::process::Command;

use lambda_runtime::tracing;

const CHILD: &str = "SHARED_LOGS_TEST_CHILD";

/// Runs `case` in a child process; what it wrote to stdout and stderr, interleaved.
fn child_output(case: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", r#"exec "$0" "$@" 2>&1"#])
        .arg(std::env::current_exe().unwrap())
        .args([case, "--exact", "--ignored", "--nocapture"])
        .env(CHILD, case)
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env_remove("AWS_LAMBDA_LOG_FORMAT")
        .env_remove("RUST_LOG")
        .output()
        .expect("running this test binary again");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn is_child(case: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|running| running == case)
}

/// Written around the subscriber, straight to stdout.
fn marker(text: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").unwrap();
    stdout.flush().unwrap();
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn position(output: &str, text: &str) -> usize {
    output
        .find(text)
        .unwrap_or_else(|| panic!("{text:?} is not in the output:\n{output}"))
}

#[test]
fn lines_wait_for_the_end_of_their_invocation() {
    let output = child_output("child_logs_in_an_invocation");
    let order = [
        "before any invocation",
        "marker: the handler still runs",
        "INFO a line of the invocation",
        "marker: the handler has returned",
    ]
    .map(|text| position(&output, text));
    assert!(order.is_sorted(), "{order:?}:\n{output}");
}

#[test]
#[ignore = "a child process of the test before it"]
fn child_logs_in_an_invocation() {
    if !is_child("child_logs_in_an_invocation") {
        return;
    }
    shared::logs::init();
    tracing::info!("before any invocation");
    run(shared::logs::per_invocation(async {
        tracing::info!("a line of the invocation");
        marker("marker: the handler still runs");
    }));
    marker("marker: the handler has returned");
}

#[test]
fn a_large_invocation_writes_as_it_goes() {
    let output = child_output("child_logs_past_the_buffer");
    let first = position(&output, "INFO line 0 ");
    let marker = position(&output, "marker: the handler still runs");
    assert!(first < marker, "{first} {marker}:\n{output}");
}

#[test]
#[ignore = "a child process of the test before it"]
fn child_logs_past_the_buffer() {
    if !is_child("child_logs_past_the_buffer") {
        return;
    }
    shared::logs::init();
    run(shared::logs::per_invocation(async {
        let filler = "x".repeat(1000);
        for line in 0..=shared::logs::WRITE_AT / 1000 {
            tracing::info!("line {line} {filler}");
        }
        marker("marker: the handler still runs");
    }));
}

#[test]
fn a_handler_that_hangs_still_shows_its_lines() {
    let output = child_output("child_hangs_in_an_invocation");
    let line = position(&output, "INFO a line before the hang");
    let marker = position(&output, "marker: the handler still hangs");
    assert!(line < marker, "{line} {marker}:\n{output}");
}

#[test]
#[ignore = "a child process of the test before it"]
fn child_hangs_in_an_invocation() {
    if !is_child("child_hangs_in_an_invocation") {
        return;
    }
    shared::logs::init();
    run(shared::logs::per_invocation(async {
        tracing::info!("a line before the hang");
        std::thread::sleep(shared::logs::WRITE_AFTER * 3);
        marker("marker: the handler still hangs");
    }));
}

#[test]
fn a_panic_comes_after_the_lines_before_it() {
    let output = child_output("child_panics_in_an_invocation");
    let line = position(&output, "INFO the last line before the bug");
    let panic = position(&output, "the handler's bug");
    assert!(line < panic, "{line} {panic}:\n{output}");
}

#[test]
#[ignore = "a child process of the test before it"]
fn child_panics_in_an_invocation() {
    if !is_child("child_panics_in_an_invocation") {
        return;
    }
    shared::logs::init();
    run(shared::logs::per_invocation(async {
        tracing::info!("the last line before the bug");
        panic!("the handler's bug");
    }));
}
