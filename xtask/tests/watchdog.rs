//! The watchdog that stops a deployment's children when xtask dies, SIGKILL too: once the pipe
//! from xtask closes, what it was told of is stopped, and what it was told was gone is left.
//! The children here are watchdogs themselves, whose pipe stays open: they wait forever, on
//! every system.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn waiting_child() -> Child {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("__watchdog")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn once_xtask_is_gone_the_watchdog_stops_its_children_and_only_those() {
    let mut told = waiting_child();
    let mut gone = waiting_child();
    let mut watchdog = waiting_child();
    let mut pipe = watchdog.stdin.take().unwrap();
    write!(pipe, "{}\n{}\n-{}\n", told.id(), gone.id(), gone.id()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        told.try_wait().unwrap().is_none(),
        "stopped while xtask still runs"
    );
    drop(pipe); // what the system does when xtask ends, however it ends
    let closed = Instant::now();
    while told.try_wait().unwrap().is_none() {
        assert!(
            closed.elapsed() < Duration::from_secs(3),
            "still running 3 s after the watchdog's pipe closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(watchdog.wait().unwrap().success());
    assert!(
        gone.try_wait().unwrap().is_none(),
        "stopped a process it was told was gone (its pid may be another's by then)"
    );
    gone.kill().unwrap();
    gone.wait().unwrap();
}
