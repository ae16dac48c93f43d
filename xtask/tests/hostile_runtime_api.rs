//! The Runtime API against a local process that is not the function: request ids cannot be
//! guessed (random, as Lambda's), an answer for an id that is not one is refused as Lambda
//! refuses it, an init error costs one environment (not every later request), a huge declared
//! body is refused before it is read; and what a function says reaches the terminal shown,
//! never obeyed.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::time::Duration;

use support::deployment::{raw_exchange, Deployment};
use support::{committed, Attempt};
use xtask::local_state as state;

/// Every Runtime API of the deployment's function processes, read from the processes.
fn runtime_apis(deployment: &Deployment) -> Vec<String> {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
    let children = state::running(&deployment.step).unwrap().children;
    let pids: Vec<Pid> = children.iter().map(|pid| Pid::from_u32(*pid)).collect();
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&pids),
        true,
        ProcessRefreshKind::nothing().with_environ(UpdateKind::Always),
    );
    pids.iter()
        .filter_map(|pid| system.process(*pid))
        .flat_map(|process| process.environ())
        .filter_map(|variable| {
            variable
                .to_str()?
                .strip_prefix("AWS_LAMBDA_RUNTIME_API=")
                .map(|address| format!("http://{address}"))
        })
        .collect()
}

fn post(url: &str, path: &str, body: &str) -> String {
    let host = url.trim_start_matches("http://");
    raw_exchange(
        url,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Before: ids were `local-<pid>-<n>` and `/response` took any id (202), so another process
/// answered a waiting GET with its own body.
#[test]
fn request_ids_are_random_and_an_unknown_one_is_refused() {
    let mut deployment = Deployment::start("7-finish");
    assert_eq!(
        deployment
            .request("PUT", "/users/1", Some(r#"{"name": "a"}"#))
            .0,
        200
    );
    let log = deployment.wait_for_logs("stream", &[r#"INSERT {"id":"1"}"#]);
    let id = log
        .split("requestId=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4,
        "not a UUID: {id}"
    );
    for api in runtime_apis(&deployment) {
        for guess in ["local-1-1", id] {
            let answer = post(
                &api,
                &format!("/2018-06-01/runtime/invocation/{guess}/response"),
                r#"{"statusCode": 200, "body": "forged"}"#,
            );
            assert!(answer.starts_with("HTTP/1.1 400"), "{guess}: {answer}");
            assert!(answer.contains("InvalidRequestID"), "{answer}");
        }
    }
    deployment.stop();
}

/// Before: one POST to `/runtime/init/error` made every later invocation fail until xtask
/// restarted; Lambda replaces an environment whose init failed.
#[test]
fn an_init_error_costs_one_environment_not_the_function() {
    let mut deployment = Deployment::start("7-finish");
    let apis = runtime_apis(&deployment);
    assert!(!apis.is_empty());
    for api in &apis {
        let answer = post(
            api,
            "/2018-06-01/runtime/init/error",
            r#"{"errorMessage": "not me", "errorType": "Forged"}"#,
        );
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    }
    for n in 0..3 {
        let body = format!(r#"{{"name": "after {n}"}}"#);
        assert_eq!(
            deployment.request("PUT", &format!("/users/init-{n}"), Some(&body)),
            (200, "Saved!".to_owned()),
            "PUT {n}"
        );
        assert_eq!(
            deployment
                .request("GET", &format!("/users/init-{n}"), None)
                .0,
            200
        );
    }
    let log = deployment.logs("putUser");
    assert!(
        log.contains("[xtask] its init failed: starting it again, as Lambda would"),
        "{log}"
    );
    deployment.stop();
}

/// Before: the Runtime API read whatever length it was told.
#[test]
fn a_huge_declared_body_is_refused_before_it_is_read() {
    let mut deployment = Deployment::start("7-finish");
    for api in runtime_apis(&deployment) {
        let host = api.trim_start_matches("http://");
        let answer = raw_exchange(
            &api,
            &format!(
                "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {host}\r\n\
                 Content-Length: 100000000000\r\n\r\n{{"
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    assert_eq!(
        deployment
            .request("PUT", "/users/1", Some(r#"{"name": "a"}"#))
            .0,
        200
    );
    deployment.stop();
}

/// Before: an `errorMessage` with escape sequences went raw into the learner's terminal (a
/// title set, the screen cleared).
#[test]
fn what_a_function_says_is_shown_not_obeyed() {
    let solution = committed("7-finish/src/stream.rs");
    let code = solution.split("#[cfg(test)]").next().unwrap().trim_end();
    let start = code.find("pub async fn handler(").unwrap();
    let body = start + code[start..].find("{\n").unwrap() + 2;
    let broken = format!(
        "#![allow(unreachable_code)]\n{}    return Err(\"\\u{{1b}}]0;pwned\\u{{7}}\\u{{1b}}[2J \\u{{202e}}gnp\".into());\n{}\n",
        &code[..body],
        &code[body..]
    );
    let attempt = Attempt::with_files(
        "hostile-escapes",
        &committed("7-finish/serverless.yml"),
        &committed("6-streams/src/main.rs"),
        &broken,
    );
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    assert_eq!(
        deployment
            .request("PUT", "/users/1", Some(r#"{"name": "a"}"#))
            .0,
        200
    );
    deployment.wait_for_line(|line| line.contains("pwned"), Duration::from_secs(30));
    let shown: Vec<&String> = deployment
        .printed
        .iter()
        .filter(|line| line.contains("pwned"))
        .collect();
    for line in &shown {
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{7}') && !line.contains('\u{202e}'),
            "{line:?}"
        );
    }
    assert!(
        shown
            .iter()
            .any(|line| line.contains(r"\u{1b}]0;pwned\u{7}")),
        "{shown:?}"
    );
    deployment.stop();
}
