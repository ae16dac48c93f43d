//! `shared::logs` writes an invocation's lines when it ends, and before a panic's message.
//! Each test runs its logging in a child process (this test binary again, running only that
//! test) with stdout and stderr in one pipe, so that the order of what reaches the log is
//! what is checked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failure should stop it here

use std::io::Write;
use std::process::Command;

use lambda_runtime::tracing;

const CHILD: &str = "SHARED_LOGS_TEST_CHILD";

/// In the child process started for `test` (the calling test's name): sets up the logs, runs
/// `logging` and exits. Otherwise: starts that child and returns what it wrote to stdout and
/// stderr, interleaved.
fn output_of(test: &str, logging: impl FnOnce()) -> String {
    if std::env::var(CHILD).is_ok_and(|running| running == test) {
        shared::logs::init();
        logging();
        std::process::exit(0);
    }
    // One pipe for both streams, from std (no shell): the order of what reaches it is kept.
    let (mut reader, writer) = std::io::pipe().expect("making a pipe");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture"])
        .env(CHILD, test)
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env_remove("AWS_LAMBDA_LOG_FORMAT")
        .env_remove("RUST_LOG")
        .stdout(writer.try_clone().expect("sharing the pipe"))
        .stderr(writer)
        .spawn()
        .expect("running this test binary again");
    let mut output = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut output).expect("reading the child's output");
    child.wait().expect("waiting for the child");
    String::from_utf8_lossy(&output).into_owned()
}

/// Runs `invocation` as the step's runtime runs a handler.
fn invoke(invocation: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(shared::logs::per_invocation(invocation));
}

/// Written around the subscriber, straight to stdout.
fn marker(text: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").unwrap();
    stdout.flush().unwrap();
}

/// Where each of `texts` is in `output`; fails if one is missing or they are out of order.
fn assert_in_order(output: &str, texts: &[&str]) {
    let positions: Vec<usize> = texts
        .iter()
        .map(|text| {
            output
                .find(text)
                .unwrap_or_else(|| panic!("{text:?} is not in the output:\n{output}"))
        })
        .collect();
    assert!(
        positions.is_sorted(),
        "{texts:?} at {positions:?}:\n{output}"
    );
}

#[test]
fn lines_wait_for_the_end_of_their_invocation() {
    let output = output_of("lines_wait_for_the_end_of_their_invocation", || {
        tracing::info!("before any invocation");
        invoke(async {
            tracing::info!("a line of the invocation");
            marker("marker: the handler still runs");
        });
        marker("marker: the handler has returned");
    });
    assert_in_order(
        &output,
        &[
            "before any invocation",
            "marker: the handler still runs",
            "INFO a line of the invocation",
            "marker: the handler has returned",
        ],
    );
}

#[test]
fn a_large_invocation_writes_as_it_goes() {
    let output = output_of("a_large_invocation_writes_as_it_goes", || {
        invoke(async {
            let filler = "x".repeat(1000);
            for line in 0..=shared::logs::WRITE_AT / 1000 {
                tracing::info!("line {line} {filler}");
            }
            marker("marker: the handler still runs");
        })
    });
    assert_in_order(&output, &["INFO line 0 ", "marker: the handler still runs"]);
}

#[test]
fn a_handler_that_hangs_still_shows_its_lines() {
    let output = output_of("a_handler_that_hangs_still_shows_its_lines", || {
        invoke(async {
            tracing::info!("a line before the hang");
            std::thread::sleep(shared::logs::WRITE_AFTER * 3);
            marker("marker: the handler still hangs");
        })
    });
    assert_in_order(
        &output,
        &[
            "INFO a line before the hang",
            "marker: the handler still hangs",
        ],
    );
}

#[test]
fn a_panic_comes_after_the_lines_before_it() {
    let output = output_of("a_panic_comes_after_the_lines_before_it", || {
        invoke(async {
            tracing::info!("the last line before the bug");
            panic!("the handler's bug");
        })
    });
    assert_in_order(
        &output,
        &["INFO the last line before the bug", "the handler's bug"],
    );
}
