//! Floods and slow clients cost their own, never the others': a function printing 100 MB, a
//! hung function with hundreds of requests waiting, idle and slow connections. Memory and
//! time stay bounded, the other functions and the local DynamoDB answer, Ctrl-C ends it all.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::deployment::Deployment;
use support::{committed, Attempt};
use xtask::local_state as state;

/// The exercise's main.rs with `users.put` hung before it ever asks for an event.
fn main_with_a_hung_put() -> String {
    committed("6-streams/src/main.rs").replacen(
        "    shared::init_tracing();\n",
        "    shared::init_tracing();\n    if std::env::var(\"_HANDLER\").as_deref() == Ok(\"users.put\") {\n        std::thread::sleep(std::time::Duration::from_secs(3600));\n    }\n",
        1,
    )
}

/// The solution's handler printing 100 MB (100,000 lines of 1 KB) before it answers.
fn a_flooding_handler() -> String {
    let solution = committed("7-finish/src/stream.rs");
    let code = solution.split("#[cfg(test)]").next().unwrap().trim_end();
    let start = code.find("pub async fn handler(").unwrap();
    let body = start + code[start..].find("{\n").unwrap() + 2;
    format!(
        "{}    {{ let line = \"x\".repeat(1023); for _ in 0..100_000 {{ println!(\"{{line}}\"); }} }}\n{}\n",
        &code[..body],
        &code[body..]
    )
}

/// The most memory `pid` has held at once, in MB: Linux keeps the high-water mark, so a
/// spike between two samples counts too; elsewhere, what it holds now.
fn peak_resident_mb(pid: u32) -> u64 {
    #[cfg(target_os = "linux")]
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        let high_water = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
        if let Some(kb) = high_water {
            return kb / 1024;
        }
    }
    resident_mb(pid)
}

fn resident_mb(pid: u32) -> u64 {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[Pid::from_u32(pid)]),
        true,
        ProcessRefreshKind::nothing().with_memory(),
    );
    system
        .process(Pid::from_u32(pid))
        .map_or(0, |process| process.memory() / (1024 * 1024))
}

/// Before: xtask grew to 410 MB copying the flood line by line, other functions' lines came
/// over 60 s late, and Ctrl-C was not done 13 minutes later. Then: each time the flooding
/// function timed out, xtask read its whole log (tens of MB, more at each retry) to quote
/// the last lines; a slow laptop's 6 s timeout made it 128 MB. Here it times out in 1 s, on
/// every laptop, at every try.
#[test]
fn a_function_printing_100_mb_costs_its_own_lines_only() {
    let timing_out = committed("7-finish/serverless.yml").replacen(
        "    handler: stream.handler\n",
        "    handler: stream.handler\n    timeout: 1\n",
        1,
    );
    let attempt = Attempt::with_files(
        "hostile-flood",
        &timing_out,
        &committed("6-streams/src/main.rs"),
        &a_flooding_handler(),
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    let xtask = deployment.process.id();
    let before = peak_resident_mb(xtask);
    assert_eq!(
        deployment
            .request("PUT", "/users/flood", Some(r#"{"name": "flood"}"#))
            .0,
        200
    );
    // The flood is on its way to the terminal: xtask's memory stays where it was, and the
    // API (other functions) answers at once.
    let mut peak = before;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(8) {
        peak = peak.max(peak_resident_mb(xtask));
        let asked = Instant::now();
        assert_eq!(deployment.request("GET", "/users/flood", None).0, 200);
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "a GET took {:?} during the flood",
            asked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("xtask's memory: {before} MB before the flood, {peak} MB at most during it");
    // What may fill while a terminal is behind: its 10,000 waiting lines (~10 MB) and the
    // console's history (at most 16 MB).
    assert!(
        peak < before + 50,
        "xtask grew from {before} MB to {peak} MB while a function printed 100 MB"
    );
    // Ctrl-C in the middle of it (`stop` allows 15 s).
    deployment.stop();
}

/// Before: one hung function and ~560 requests filled the blocking-thread pool; requests to
/// another function and the local DynamoDB's calls stalled for 12 s.
#[test]
fn a_hung_function_and_hundreds_of_requests_stall_nothing_else() {
    let attempt = Attempt::with_files(
        "hostile-hung",
        &committed("7-finish/serverless.yml"),
        &main_with_a_hung_put(),
        &committed("7-finish/src/stream.rs"),
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    let api = deployment.api.clone();
    let clients: Vec<_> = (0..560)
        .map(|n| {
            let api = api.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                agent
                    .put(&format!("{api}/users/hung-{n}"))
                    .send(r#"{"name": "waits"}"#)
                    .map_or(0, |response| response.status().as_u16())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let running = state::running(&deployment.step).unwrap();
    let dynamodb = xtask::tools::local_dynamodb::LocalDynamoDb::new(
        &running.dynamodb_endpoint,
        &running.region,
    );
    for n in 0..5 {
        let asked = Instant::now();
        assert_eq!(deployment.request("GET", "/users/nobody", None).0, 404);
        dynamodb
            .call(
                "DynamoDB_20120810.PutItem",
                &serde_json::json!({"TableName": running.table,
                    "Item": {"id": {"S": format!("direct-{n}")}, "name": {"S": "d"}}}),
            )
            .unwrap();
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "try {n}: a GET to another function and a PutItem took {:?}",
            asked.elapsed()
        );
    }
    // Those beyond what may wait were answered at once, as API Gateway answers a throttled
    // function; the stop ends the rest.
    deployment.stop();
    let statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert!(statuses.contains(&500), "{statuses:?}");
}

fn closed_within(mut stream: TcpStream, limit: Duration) -> Duration {
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

/// Before: no server dropped an idle or slow connection (still open after 75 s), and 1,100
/// idle ones took the API, the console and put-item down under `ulimit -n 1024`.
#[test]
fn idle_and_slow_connections_are_let_go() {
    let mut deployment = Deployment::start("7-finish");
    let address = deployment.api.trim_start_matches("http://").to_owned();
    let idle = TcpStream::connect(&address).unwrap();
    let mut slow = TcpStream::connect(&address).unwrap();
    slow.write_all(b"GET /users/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    // Many more idle ones than the API takes at once.
    let crowd: Vec<TcpStream> = (0..400)
        .filter_map(|_| TcpStream::connect(&address).ok())
        .collect();
    let took = closed_within(idle, Duration::from_secs(30));
    assert!(
        took < Duration::from_secs(15),
        "an idle connection lasted {took:?}"
    );
    let took = closed_within(slow, Duration::from_secs(30));
    assert!(
        took < Duration::from_secs(15),
        "slow headers lasted {took:?}"
    );
    drop(crowd);
    // Nothing of it lasts: the API and the console answer.
    assert_eq!(
        deployment
            .request("PUT", "/users/after", Some(r#"{"name": "after"}"#))
            .0,
        200
    );
    let console = support::deployment::raw_exchange(
        &deployment.console_url(),
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert!(console.starts_with("HTTP/1.1 200"), "{console}");
    deployment.stop();
}
