//! `cargo xtask bench --load`: the local cloud under load, as a room of learners or a test
//! would put it. `deploy --local 7-finish` runs as its own process; N clients PUT their users
//! through the API at once, then each user is read back, then the stream function's log is
//! searched for each change: figures for the API, and whether every change arrived once.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use xtask::tools::process::Owned;
use xtask::tools::server::free_port;
use xtask_browser::Browser;

/// Where the bench's deployment keeps its table and logs: not with the learner's.
fn state_root() -> std::path::PathBuf {
    xtask::project::xtask_dir().join("bench-local")
}

/// Clients side by side, and PUTs per client; `console`: the deployment's console page is
/// open in a headless Chromium the whole time (what a page costs the service).
pub fn run(clients: usize, puts_per_client: usize, console: bool) -> Result<ExitCode> {
    let port = free_port()?;
    let xtask = crate::xtask_binary()?;
    eprintln!("starting `cargo xtask deploy --local 7-finish` on port {port}");
    let mut command = Command::new(&xtask);
    command
        .args([
            "deploy",
            "--local",
            "7-finish",
            "--fresh",
            "--port",
            &port.to_string(),
        ])
        // Its own table: 2,000 load users never go into the learner's.
        .env(xtask::project::LOCAL_STATE_DIR, state_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut deployment = Owned::spawn(&mut command, "starting the local deployment")?;
    let console_url = wait_until_ready(&mut deployment)?;
    let _page = match console {
        true => {
            let mut browser = Browser::start(1280, 900)?;
            browser.navigate(&console_url)?;
            browser.wait_for(
                "document.querySelector('#status').className.includes('live')",
                Duration::from_secs(20),
            )?;
            eprintln!("the console is open in a headless Chromium: {console_url}");
            Some(browser)
        }
        false => None,
    };
    let api = format!("http://127.0.0.1:{port}");
    let run_id = std::process::id();

    eprintln!("{clients} clients, {puts_per_client} PUTs each");
    let started = Instant::now();
    let put_times = side_by_side(clients, puts_per_client, |client, n| {
        let body = format!(r#"{{"name": "load {client}-{n}"}}"#);
        request(
            &api,
            "PUT",
            &format!("/users/load-{run_id}-{client}-{n}"),
            Some(&body),
        )
    });
    let put_seconds = started.elapsed().as_secs_f64();
    let get_times = side_by_side(clients, puts_per_client, |client, n| {
        request(
            &api,
            "GET",
            &format!("/users/load-{run_id}-{client}-{n}"),
            None,
        )
    });

    let expected = clients * puts_per_client;
    let log = state_root().join("7-finish").join("stream.log");
    let (mut lost, mut duplicated) = (expected, 0);
    let waiting = Instant::now();
    while waiting.elapsed() < Duration::from_secs(60) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let counts = (0..clients)
            .flat_map(|c| (0..puts_per_client).map(move |n| (c, n)))
            .map(|(c, n)| {
                text.matches(&format!(r#"INSERT {{"id":"load-{run_id}-{c}-{n}"}}"#))
                    .count()
            });
        (lost, duplicated) = counts.fold((0, 0), |(lost, dup), count| {
            (lost + usize::from(count == 0), dup + usize::from(count > 1))
        });
        if lost == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(deployment);

    let errors = |times: &[Result<Duration, String>]| times.iter().filter(|t| t.is_err()).count();
    let page = if console { ", console page open" } else { "" };
    println!("\nlocal cloud under load: {clients} clients, {expected} users{page}");
    println!(
        "  PUT  {:>7.0} requests/s  {}  errors {}",
        expected as f64 / put_seconds,
        percentiles(&put_times),
        errors(&put_times)
    );
    println!(
        "  GET  {:>18}  {}  errors {}",
        "",
        percentiles(&get_times),
        errors(&get_times)
    );
    println!("  stream: {lost} changes lost, {duplicated} logged more than once");
    Ok(
        if lost + duplicated + errors(&put_times) + errors(&get_times) == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// Waits for its "Ready." line; the console's address from its summary.
fn wait_until_ready(deployment: &mut Owned) -> Result<String> {
    let stdout = deployment
        .take_stdout()
        .context("reading the deployment's output")?;
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut console = String::new();
    while started.elapsed() < Duration::from_secs(600) {
        match lines.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line.starts_with("Ready.") => return Ok(console),
            Ok(line) if line.trim_start().starts_with("console ") => {
                console = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
            }
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the local deployment stopped"),
        }
    }
    bail!("the local deployment was not ready within 10 minutes")
}

/// `clients` threads, each making `count` requests in turn; every request's time or error.
fn side_by_side(
    clients: usize,
    count: usize,
    request: impl Fn(usize, usize) -> Result<(), String> + Sync,
) -> Vec<Result<Duration, String>> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|client| {
                let request = &request;
                scope.spawn(move || {
                    (0..count)
                        .map(|n| {
                            let started = Instant::now();
                            request(client, n).map(|()| started.elapsed())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap_or_default())
            .collect()
    })
}

fn request(api: &str, method: &str, path: &str, body: Option<&str>) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{api}{path}");
    let response = match body {
        Some(body) => agent.put(&url).send(body),
        None if method == "GET" => agent.get(&url).call(),
        None => agent.delete(&url).call(),
    }
    .map_err(|error| error.to_string())?;
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("{method} {path}: {status}")),
    }
}

fn percentiles(times: &[Result<Duration, String>]) -> String {
    let mut ok: Vec<Duration> = times
        .iter()
        .filter_map(|t| t.as_ref().ok().copied())
        .collect();
    ok.sort();
    let at = |p: f64| {
        ok.get(((ok.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    format!("p50 {:>6.1} ms  p99 {:>6.1} ms", at(0.5), at(0.99))
}
