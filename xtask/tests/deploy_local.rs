//! `cargo xtask deploy --local` end to end: the real xtask binary runs a step's whole service,
//! and the test uses it as a learner does, with HTTP requests and `cargo xtask logs`.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use xtask::local_state as state;
use xtask::project;
use xtask::tools::local_dynamodb::LocalDynamoDb;

use support::deployment::{one_at_a_time, raw_exchange, Deployment};

#[test]
fn the_finished_step_runs_end_to_end() {
    let mut deployment = Deployment::start("7-finish");
    assert!(
        deployment
            .printed
            .iter()
            .any(|l| l.contains("stream     on: its records go to stream")),
        "{}",
        deployment.printed.join("\n")
    );

    assert_eq!(
        deployment.request("PUT", "/users/1", Some(r#"{"name": "test"}"#)),
        (200, "Saved!".into())
    );
    assert_eq!(
        deployment.request("PUT", "/users/1", Some(r#"{"name": "test2"}"#)),
        (200, "Saved!".into())
    );
    assert_eq!(
        deployment.request("GET", "/users/1", None),
        (200, r#"{"id":"1","name":"test2"}"#.into())
    );
    assert_eq!(
        deployment.request("DELETE", "/users/1", None),
        (200, "Deleted user".into())
    );
    assert_eq!(
        deployment.request("GET", "/users/1", None),
        (404, "User 1 not found".into())
    );
    let (status, message) = deployment.request("PUT", "/users/1", Some("{\"nam\": 1}"));
    assert_eq!(status, 400, "{message}");

    deployment.wait_for_logs(
        "stream",
        &[
            r#"INSERT {"id":"1"}: value is now {"id":"1","name":"test"}"#,
            r#"MODIFY {"id":"1"}: value is now {"id":"1","name":"test2"}"#,
            r#"REMOVE {"id":"1"}: value was {"id":"1","name":"test2"}"#,
        ],
    );
    // The live view shows them too, behind the function's name.
    deployment.wait_for_line(
        |line| {
            line.ends_with(r#"REMOVE {"id":"1"}: value was {"id":"1","name":"test2"}"#)
                && line.contains("stream |")
        },
        Duration::from_secs(10),
    );
    // And the local cloud's story of each batch, from the same bus.
    deployment.wait_for_line(
        |line| line.contains("stream | [xtask] batch of ") && line.ends_with("-> done"),
        Duration::from_secs(10),
    );

    // A PUT that changes nothing makes no record.
    for _ in 0..2 {
        deployment.request("PUT", "/users/same", Some(r#"{"name": "same"}"#));
    }
    deployment.request("PUT", "/users/marker", Some(r#"{"name": "marker"}"#));
    let log = deployment.wait_for_logs("stream", &[r#"INSERT {"id":"marker"}"#]);
    assert_eq!(log.matches(r#"{"id":"same"}: value"#).count(), 1, "{log}");

    // A function process that dies is started again for the next event, as on Lambda.
    let running = state::running("7-finish").unwrap();
    let stream_pid = *running.children.last().unwrap(); // the functions in order
    assert!(Command::new("kill")
        .args(["-KILL", &stream_pid.to_string()])
        .status()
        .unwrap()
        .success());
    deployment.request("PUT", "/users/phoenix", Some(r#"{"name": "phoenix"}"#));
    deployment.wait_for_logs(
        "stream",
        &[
            "[xtask] the function had stopped",
            r#"INSERT {"id":"phoenix"}"#,
        ],
    );

    deployment.stop();
}

#[test]
fn a_reported_failure_redelivers_that_record_and_the_later_ones() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let dynamodb = LocalDynamoDb::new(&running.dynamodb_endpoint, "us-east-1");
    // Three records in one write: the middle one is not a user (its name is a number).
    let put = |id: &str, name: serde_json::Value| json!({"PutRequest": {"Item": {"id": {"S": id}, "name": name}}});
    dynamodb
        .call(
            "DynamoDB_20120810.BatchWriteItem",
            &json!({"RequestItems": {"user-management-service-local-Table": [
                put("b1", json!({"S": "first"})),
                put("b2", json!({"N": "2"})),
                put("b3", json!({"S": "third"})),
            ]}}),
        )
        .unwrap();
    let log = deployment.wait_for_logs("stream", &["-> skipped"]);

    // The first invocation that met the bad record, in order.
    let failure = log.lines().find(|l| l.contains("is not a user")).unwrap();
    let request_id = &failure[failure.find("requestId=").unwrap()..failure.find("}:").unwrap()];
    let first_batch: Vec<&str> = log.lines().filter(|l| l.contains(request_id)).collect();
    let failed_at = first_batch
        .iter()
        .position(|l| l.contains("is not a user"))
        .unwrap();
    for (position, line) in first_batch.iter().enumerate() {
        let Some(id) = ["b1", "b3"]
            .into_iter()
            .find(|id| line.contains(&format!("value is now {{\"id\":\"{id}\"")))
        else {
            continue;
        };
        let deliveries = log
            .matches(&format!("value is now {{\"id\":\"{id}\""))
            .count();
        // maximumRetryAttempts: 3 in 7-finish/serverless.yml.
        let expected = if position < failed_at { 1 } else { 4 };
        assert_eq!(
            deliveries, expected,
            "{id} at {position}, failure at {failed_at}:\n{log}"
        );
    }
    assert_eq!(log.matches("is not a user").count(), 4, "{log}");
    assert_eq!(log.matches("-> skipped").count(), 1, "{log}");
    deployment.stop();
}

#[test]
fn the_exercise_serves_the_api_with_the_stream_as_written() {
    let mut deployment = Deployment::start("6-streams");
    // As committed, the exercise has no stream; a learner's may have one by now.
    let yml = std::fs::read_to_string(project::root().join("6-streams/serverless.yml")).unwrap();
    let expected = if yml.contains("StreamSpecification") {
        "  stream     on: "
    } else {
        "  stream     off: the table has no stream yet (README step 1: StreamSpecification)"
    };
    assert!(
        deployment.printed.iter().any(|l| l.starts_with(expected)),
        "{}",
        deployment.printed.join("\n")
    );
    assert_eq!(
        deployment.request("PUT", "/users/7", Some(r#"{"name": "seven"}"#)),
        (200, "Saved!".into())
    );
    assert_eq!(
        deployment.request("GET", "/users/7", None),
        (200, r#"{"id":"7","name":"seven"}"#.into())
    );
    deployment.stop_with("-TERM");
}

#[test]
fn a_taken_port_is_a_clear_error() {
    // No deployment of 7-finish meanwhile: that would be refused first, for its own reason.
    let _no_deployment = one_at_a_time("7-finish");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let stderr = refused_deployment_of_7_finish(&port);
    assert!(
        stderr.starts_with(&format!("error: port {port} on 127.0.0.1 is taken")),
        "{stderr}"
    );
    assert!(stderr.contains("pick another port with --port"), "{stderr}");
}

/// `deploy --local 7-finish --port PORT`, which must fail with exit code 1; its stderr.
fn refused_deployment_of_7_finish(port: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["deploy", "--local", "7-finish", "--port", port])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A second deployment of a running step would share its logs and state: it is refused, and
/// says where the first one runs; the first one goes on serving.
#[test]
fn a_second_deployment_of_a_running_step_is_refused() {
    let mut deployment = Deployment::start("7-finish");
    let port = xtask::tools::server::free_port().unwrap().to_string();
    let stderr = refused_deployment_of_7_finish(&port);
    assert!(
        stderr.starts_with(&format!(
            "error: 7-finish already runs locally (API at {}",
            deployment.api
        )),
        "{stderr}"
    );
    assert_eq!(
        deployment
            .request("PUT", "/users/1", Some(r#"{"name": "a"}"#))
            .0,
        200
    );
    deployment.stop();
}

/// Its lock file and running.json deleted while it runs (`cargo clean`, a tidy-up): it takes
/// its lock again and writes running.json again, so other commands still find it and a
/// second deployment is still refused.
#[test]
fn a_deployment_whose_files_are_deleted_is_still_found_and_still_alone() {
    let mut deployment = Deployment::start("7-finish");
    let dir = state::dir("7-finish");
    std::fs::remove_file(dir.join("running.lock")).unwrap();
    std::fs::remove_file(dir.join("running.json")).unwrap();
    let deleted = Instant::now();
    while state::running("7-finish").is_none() {
        assert!(
            deleted.elapsed() < Duration::from_secs(3),
            "not found 3 s after its files were deleted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let port = xtask::tools::server::free_port().unwrap().to_string();
    let stderr = refused_deployment_of_7_finish(&port);
    assert!(
        stderr.starts_with("error: 7-finish already runs locally"),
        "{stderr}"
    );
    deployment.stop();
}

/// The lines of the README's section `title`, fenced blocks with their kind: ("sh", lines).
fn readme_blocks(title: &str) -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(project::root().join("6-streams/README.md")).unwrap();
    let section: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    assert!(
        !section.is_empty(),
        "no section {title:?} in 6-streams/README.md"
    );
    let mut blocks = Vec::new();
    let mut lines = section.into_iter();
    while let Some(line) = lines.next() {
        if let Some(kind) = line.strip_prefix("```") {
            let body = lines
                .by_ref()
                .take_while(|l| *l != "```")
                .map(str::to_owned)
                .collect();
            blocks.push((kind.to_owned(), body));
        }
    }
    blocks
}

/// A README line with `...` for what changes between runs (ids, sequence numbers).
fn matches_pattern(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let mut rest = line;
    for (index, part) in parts.iter().enumerate() {
        let found = match index {
            0 => rest.strip_prefix(part).map(|r| (0, r)),
            _ => rest.find(part).map(|at| (at, &rest[at + part.len()..])),
        };
        match found {
            Some((_, after)) => rest = after,
            None => return false,
        }
    }
    parts.last().is_some_and(|last| last.is_empty()) || rest.is_empty()
}

/// A README command line split as the shell splits it (single quotes only, as written).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    words.push(word);
    words
}

/// README step 7 on the running solution, command by command as a learner types them (from
/// 7-finish: no STEP argument), each printed block's lines found in what the commands print.
#[test]
fn the_readme_bad_record_section_works_as_written() {
    let mut deployment = Deployment::start("7-finish");
    let blocks = readme_blocks("## 7. A record the function cannot handle");
    let mut printed = String::new();
    let mut last_command = Vec::new();
    let mut checked = 0;
    for (kind, lines) in blocks {
        match kind.as_str() {
            "sh" => {
                printed.clear();
                for line in lines {
                    let words = shell_words(&line);
                    let output = match words[0].as_str() {
                        "cargo" => {
                            assert_eq!(words[1], "xtask", "{line}");
                            last_command = words[2..].to_vec();
                            run_in_7_finish(&last_command)
                        }
                        "curl" => {
                            assert_eq!(&words[1..4], ["-X", "PUT", "-d"], "{line}");
                            let path = words[5].trim_start_matches("http://127.0.0.1:3000");
                            let (status, body) = deployment.request("PUT", path, Some(&words[4]));
                            assert_eq!(status, 200, "{line}: {body}");
                            body
                        }
                        other => panic!("the test does not know {other:?} ({line})"),
                    };
                    printed.push_str(&output);
                }
            }
            "console" => {
                // The part of the section that needs serverless.yml edited is not run here
                // (xtask never writes into a step); its line is the delivery's own unit test.
                if lines.iter().any(|l| l.contains("ignored without")) {
                    continue;
                }
                // The README is the exercise's; this runs on the solution.
                let patterns: Vec<String> = lines
                    .iter()
                    .filter(|l| l.as_str() != "...")
                    .map(|l| l.replace(" of 6-streams ", " of 7-finish "))
                    .collect();
                let started = Instant::now();
                loop {
                    let missing: Vec<&String> = patterns
                        .iter()
                        .filter(|p| !printed.lines().any(|l| matches_pattern(p, l)))
                        .collect();
                    if missing.is_empty() {
                        checked += patterns.len();
                        break;
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(20) && last_command[0] == "logs",
                        "README lines {missing:?} not in:\n{printed}"
                    );
                    std::thread::sleep(Duration::from_millis(300));
                    printed = run_in_7_finish(&last_command);
                }
            }
            _ => {}
        }
    }
    assert!(checked >= 6, "only {checked} README lines checked");
    deployment.stop();
}

/// `cargo xtask ARGS` in 7-finish; stdout.
fn run_in_7_finish(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    support::xtask_succeeds(&args, &project::root().join("7-finish"))
}

#[test]
fn put_item_without_a_running_deployment_names_deploy_local() {
    let _no_deployment = one_at_a_time("6-streams");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["put-item", r#"{"id": {"S": "bad-1"}}"#])
        .current_dir(project::root().join("6-streams"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "error: no local deployment of 6-streams is running: start one with `cargo xtask deploy \
         --local 6-streams` in another terminal (or write to AWS with --aws)"
    );
}

#[test]
fn readme_patterns_match_as_meant() {
    assert!(matches_pattern(
        "[xtask] batch of 1 record (sequence ...), attempt 1: ok -> done",
        "[xtask] batch of 1 record (sequence 1100000000017454423009), attempt 1: ok -> done"
    ));
    assert!(!matches_pattern(
        "[xtask] batch ... -> done",
        "[xtask] batch of 1 -> done: 1 record lost"
    ));
    assert!(matches_pattern(
        "ERROR x ... is not a user ...",
        "ERROR x INSERT record 1 is not a user (string): Expected string"
    ));
    assert_eq!(
        shell_words("put-item '{\"id\": 1}' x"),
        ["put-item", "{\"id\": 1}", "x"]
    );
}

/// xtask killed with SIGKILL runs no handler: its watchdog still stops the functions, and
/// the state file it leaves is known for stale.
#[test]
fn a_sigkilled_deployment_leaves_no_process_behind() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    assert!(running.children.len() >= 4, "{:?}", running.children);
    deployment.process.kill().unwrap();
    deployment.process.wait().unwrap();
    let killed = Instant::now();
    while running
        .children
        .iter()
        .any(|child| support::process_alive(*child))
    {
        assert!(
            killed.elapsed() < Duration::from_secs(2),
            "alive 2 s after xtask's SIGKILL: {:?}",
            running
                .children
                .iter()
                .filter(|child| support::process_alive(**child))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(state::running("7-finish"), None, "a stale running.json");
    // And the next deployment starts as usual.
    drop(deployment);
    let mut again = Deployment::start("7-finish");
    again.stop();
}

/// `logs` from the repository's root reads the step that runs locally (not the exercise);
/// once it has stopped, `logs` says where its last log is before it asks AWS.
#[test]
fn logs_follow_the_running_step_and_point_at_a_stopped_one() {
    let mut deployment = Deployment::start("7-finish");
    deployment.request(
        "PUT",
        "/users/root-logs",
        Some(r#"{"name": "from the root"}"#),
    );
    let started = Instant::now();
    loop {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["logs", "stream"])
            .current_dir(project::root())
            .output()
            .unwrap();
        if String::from_utf8_lossy(&output.stdout).contains(r#"{"id":"root-logs"}"#) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    deployment.stop();
    let mut logs = Command::new(env!("CARGO_BIN_EXE_xtask"));
    logs.args(["logs", "stream", "7-finish"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    for (name, _) in std::env::vars().filter(|(name, _)| {
        name.starts_with("AWS_ACCESS") || name.starts_with("AWS_SECRET") || name == "AWS_PROFILE"
    }) {
        logs.env_remove(name);
    }
    let output = logs.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "no local deployment of 7-finish is running; the last one's log: cargo xtask logs \
             stream --local\n"
        ),
        "{stderr}"
    );
    // Without AWS credentials, the last local run's log is what there is to show.
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("\nthe last local run's log follows:\n"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        std::fs::read_to_string(state::function_log("7-finish", "stream")).unwrap()
    );
}

/// Lambda stops an invocation at the function's `timeout` (the framework's 6 s here) and
/// replaces its environment; API Gateway answers the failed integration with 502.
#[test]
fn a_hung_function_is_stopped_at_its_timeout() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let put_user = running.children[0]; // the functions in serverless.yml's order
    assert!(Command::new("kill")
        .args(["-STOP", &put_user.to_string()])
        .status()
        .unwrap()
        .success());
    let asked = Instant::now();
    let answer = deployment.request("PUT", "/users/hung", Some(r#"{"name": "hung"}"#));
    let waited = asked.elapsed();
    assert_eq!(
        answer,
        (502, r#"{"message":"Internal server error"}"#.to_owned())
    );
    assert!(
        waited >= Duration::from_secs(6) && waited < Duration::from_secs(12),
        "{waited:?}"
    );
    assert!(
        deployment
            .logs("putUser")
            .contains("Task timed out after 6.00 seconds"),
        "{}",
        deployment.logs("putUser")
    );
    // A new environment serves the next request.
    assert_eq!(
        deployment.request("PUT", "/users/after", Some(r#"{"name": "after"}"#)),
        (200, "Saved!".to_owned())
    );
    assert!(
        !support::process_alive(put_user),
        "the hung process was left running"
    );
    deployment.stop();
}

/// API Gateway's limits: 414 for a long URL, 413 for a large body, and a declared length
/// that never comes can neither allocate it nor stop the deployment.
#[test]
fn oversized_requests_get_api_gateways_answers_and_break_nothing() {
    use std::io::{Read, Write};
    let mut deployment = Deployment::start("7-finish");
    let long = format!("/users/{}", "x".repeat(9000));
    assert_eq!(deployment.request("GET", &long, None).0, 414);
    let large = format!(r#"{{"name": "{}"}}"#, "x".repeat(11 * 1024 * 1024));
    assert_eq!(
        deployment.request("PUT", "/users/large", Some(&large)).0,
        413
    );
    let address = deployment.api.trim_start_matches("http://").to_owned();
    let mut lying = std::net::TcpStream::connect(&address).unwrap();
    lying
        .write_all(b"PUT /users/liar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\n\r\n{\"na")
        .unwrap();
    lying
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = [0u8; 12];
    lying.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 413");
    drop(lying);
    // Malformed requests and oversized headers are answered, not fatal either.
    let garbage = raw_exchange(&deployment.api, "GARBAGE\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    let huge_header = format!(
        "GET /users/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "y".repeat(70 * 1024)
    );
    let refused = raw_exchange(&deployment.api, &huge_header);
    assert!(refused.starts_with("HTTP/1.1 431"), "{refused}");
    assert_eq!(
        deployment.request("PUT", "/users/fine", Some(r#"{"name": "fine"}"#)),
        (200, "Saved!".to_owned())
    );
    deployment.stop();
}

/// Requests pipelined on one connection are answered in order (a GET sees the PUT before it);
/// a Host that is not this machine (DNS rebinding from a web page) and a path that is not
/// UTF-8 are refused.
#[test]
fn the_local_api_keeps_order_and_refuses_foreign_hosts_and_bad_paths() {
    let mut deployment = Deployment::start("7-finish");
    for n in 0..10 {
        let body = format!(r#"{{"name": "v{n}"}}"#);
        let answer = raw_exchange(
            &deployment.api,
            &format!(
                "PUT /users/piped HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}\
                 GET /users/piped HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                body.len()
            ),
        );
        assert!(
            answer.contains(&format!(r#"{{"id":"piped","name":"v{n}"}}"#)),
            "try {n}: {answer}"
        );
    }
    let foreign = raw_exchange(
        &deployment.api,
        "GET /users/piped HTTP/1.1\r\nHost: attacker.example:3000\r\nConnection: close\r\n\r\n",
    );
    assert!(foreign.starts_with("HTTP/1.1 403"), "{foreign}");
    for host in ["localhost:3000", "[::1]:3000"] {
        let local = raw_exchange(
            &deployment.api,
            &format!("GET /users/piped HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        );
        assert!(local.starts_with("HTTP/1.1 200"), "{host}: {local}");
    }
    assert_eq!(deployment.request("GET", "/users/%FF", None).0, 400);
    deployment.stop();
}

/// Lambda runs concurrent invocations in separate environments: with one of putUser's
/// processes hung, the other requests are served by new ones, not queued behind it.
#[test]
fn concurrent_requests_get_environments_of_their_own() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let put_user = running.children[0];
    assert!(Command::new("kill")
        .args(["-STOP", &put_user.to_string()])
        .status()
        .unwrap()
        .success());
    let api = deployment.api.clone();
    let clients: Vec<_> = (0..6)
        .map(|n| {
            let api = api.clone();
            std::thread::spawn(move || {
                let asked = Instant::now();
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let status = agent
                    .put(&format!("{api}/users/c{n}"))
                    .send(r#"{"name": "c"}"#)
                    .map_or(0, |response| response.status().as_u16());
                (status, asked.elapsed())
            })
        })
        .collect();
    let answers: Vec<(u16, Duration)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    // One of them met the hung process and waited for the 6 s timeout; the others did not.
    let quick = answers
        .iter()
        .filter(|(status, took)| *status == 200 && *took < Duration::from_secs(3))
        .count();
    assert!(quick >= 5, "{answers:?}");
    deployment.stop();
}

/// A web page must not reach the local DynamoDB: it sends no CORS headers, so a browser
/// neither lets a page read its answers nor passes the preflight that DynamoDB's
/// `X-Amz-Target` header needs.
#[test]
fn the_local_dynamodb_gives_web_pages_no_cors() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let preflight = raw_exchange(
        &running.dynamodb_endpoint,
        "OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://attacker.example\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-amz-target\r\n\
         Connection: close\r\n\r\n",
    );
    assert!(preflight.starts_with("HTTP/1.1 "), "{preflight}");
    assert!(
        !preflight
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{preflight}"
    );
    // A declared length far over DynamoDB's 16 MB is refused at once, nothing allocated; a
    // Host that only starts like this machine's is not this machine's.
    for (request, status) in [
        (
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: DynamoDB_20120810.Scan\r\n\
             Content-Length: 100000000000\r\n\r\n{}",
            "HTTP/1.1 413 ",
        ),
        (
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:1@evil.example\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 403 ",
        ),
    ] {
        let answer = raw_exchange(&running.dynamodb_endpoint, request);
        assert!(answer.starts_with(status), "{request:?}: {answer}");
    }
    assert_eq!(deployment.request("GET", "/users/nobody", None).0, 404);
    deployment.stop();
}

/// The same item written twice changes nothing the second time, and DynamoDB writes no
/// stream record for such a write: `put-item` says so, and which id to use instead.
#[test]
fn put_item_of_an_item_already_there_says_no_record_comes() {
    let mut deployment = Deployment::start("7-finish");
    let item = r#"{"id": {"S": "twice-1"}, "name": {"N": "42"}}"#;
    let first = run_in_7_finish(&["put-item".to_owned(), item.to_owned()]);
    assert!(
        first.starts_with("written into user-management-service-local-Table of 7-finish (local)."),
        "{first}"
    );
    let second = run_in_7_finish(&["put-item".to_owned(), item.to_owned()]);
    assert!(
        second.starts_with(
            "twice-1 was already in user-management-service-local-Table with exactly these \
             values: the write changed nothing. DynamoDB writes no stream record for a write \
             that changes nothing, so the stream function gets none. To see a record, write \
             another id (say twice-2) or change a value."
        ),
        "{second}"
    );
    deployment.stop();
}

/// Ctrl-C is quiet: the deployment says it stops, and nothing that the stopping causes is
/// printed as a failure (a poller that loses its DynamoDB, a function that is stopped).
#[test]
fn stopping_prints_no_failure() {
    let _one = one_at_a_time("7-finish");
    let port = xtask::tools::server::free_port().unwrap();
    let mut process = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "deploy",
            "--local",
            "7-finish",
            "--fresh",
            "--port",
            &port.to_string(),
        ])
        .current_dir(project::root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let api = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while state::running("7-finish").is_none() {
        assert!(started.elapsed() < Duration::from_secs(120), "it never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for n in 0..5 {
        let _ = agent
            .put(&format!("{api}/users/quiet-{n}"))
            .send(r#"{"name": "q"}"#);
    }
    // Their records are on their way to the stream function when Ctrl-C comes.
    assert!(Command::new("kill")
        .args(["-INT", &process.id().to_string()])
        .status()
        .unwrap()
        .success());
    let output = {
        let started = Instant::now();
        while process.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < Duration::from_secs(15), "did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        process.wait_with_output().unwrap()
    };
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let after_ready = stdout
        .split("Ctrl-C stops everything.")
        .nth(1)
        .unwrap_or_default();
    for text in [after_ready, &stderr] {
        for word in ["failed", "error", "refused", "panicked"] {
            assert!(
                !text.to_ascii_lowercase().contains(word),
                "{word:?} while stopping:\n{stdout}\n--- stderr:\n{stderr}"
            );
        }
    }
    assert!(stderr.contains("\nstopping: the API"), "{stderr}");
}

/// README step 3's sample of `deploy --local` is what it prints, line for line (the solution
/// here, where the README shows the exercise after steps 1 and 2: same service).
#[test]
fn the_readme_deploy_local_sample_is_the_real_summary() {
    let mut deployment = Deployment::start_first("7-finish");
    deployment.wait_for_line(
        |line| line.starts_with("Function logs follow."),
        Duration::from_secs(10),
    );
    let blocks = readme_blocks("## 3. Deploy");
    let sample = blocks
        .iter()
        .find(|(kind, lines)| kind == "console" && lines[0].ends_with("is running locally:"))
        .map(|(_, lines)| lines.clone())
        .expect("README step 3 shows what deploy --local prints");
    let state_root = state::dir("7-finish")
        .parent()
        .unwrap()
        .display()
        .to_string();
    let port = |line: &str| {
        // Ports differ from run to run: `127.0.0.1:3000` in the README is any port here.
        let mut out = String::new();
        let mut rest = line;
        while let Some(at) = rest.find("127.0.0.1:") {
            out.push_str(&rest[..at + "127.0.0.1:".len()]);
            rest = rest[at + "127.0.0.1:".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
            out.push_str("...");
        }
        out + rest
    };
    let patterns: Vec<String> = sample
        .iter()
        .map(|line| {
            port(&line.replace("6-streams", "7-finish"))
                .replace(".../target/xtask/local/", &format!("{state_root}/"))
        })
        .collect();
    let printed: Vec<&String> = deployment
        .printed
        .iter()
        .skip_while(|line| !line.ends_with("is running locally:"))
        .take_while(|line| !line.is_empty())
        // The solution has the on-failure destination of the README's last section, which
        // step 3 has not added yet.
        .filter(|line| !line.contains("what its retries give up on goes to queue"))
        .collect();
    assert_eq!(
        printed.len(),
        patterns.len(),
        "README:\n{}\nprinted:\n{}",
        patterns.join("\n"),
        printed
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (pattern, line) in patterns.iter().zip(&printed) {
        assert!(
            matches_pattern(pattern, line),
            "README {pattern:?}\nprinted {line:?}"
        );
    }
    deployment.stop();
}
