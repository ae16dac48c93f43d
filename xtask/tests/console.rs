//! The console of `cargo xtask deploy --local`, in a real browser (headless Chromium): a
//! learner's session (README steps 4 and 7) appears live in the page. With
//! `XTASK_SCREENSHOTS=DIR` (what `cargo xtask screenshots` sets), it also saves the README's
//! pictures of the page there.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::deployment::{raw_exchange, Deployment};
use support::xtask_succeeds;
use xtask::project;
use xtask_browser::Browser;

const WAIT: Duration = Duration::from_secs(20);

/// The text of every element `selector` matches, one per line, as a JavaScript expression.
fn texts(selector: &str) -> String {
    format!("[...document.querySelectorAll({selector:?})].map(e => e.innerText).join('\\n')")
}

/// JavaScript: whether some element matching `selector` shows all of `parts`.
fn shows(selector: &str, parts: &[&str]) -> String {
    let parts = serde_json::to_string(parts).unwrap();
    format!(
        "[...document.querySelectorAll({selector:?})].some(e => {parts}.every(p => e.innerText.includes(p)))"
    )
}

fn screenshot(browser: &mut Browser, name: &str) {
    if let Some(dir) = std::env::var_os("XTASK_SCREENSHOTS") {
        let path = PathBuf::from(dir).join(name);
        browser.screenshot(&path, true).unwrap();
        eprintln!("wrote {}", path.display());
    }
}

#[test]
fn the_console_shows_a_learners_session_live() {
    let mut deployment = Deployment::start("7-finish");
    let console = deployment.console_url();
    assert_ne!(console, deployment.api, "the console has its own address");
    let mut browser = Browser::start(1280, 860).unwrap_or_else(|error| panic!("{error:#}"));
    browser.navigate(&console).unwrap();
    browser
        .wait_for(
            "document.querySelector('#status').className.includes('live')",
            WAIT,
        )
        .unwrap();
    browser
        .wait_for(
            "document.querySelector('#step').innerText === '7-finish'",
            WAIT,
        )
        .unwrap();

    // README step 4, while the page is open.
    for (method, body) in [
        ("PUT", Some(r#"{"name": "test"}"#)),
        ("PUT", Some(r#"{"name": "test2"}"#)),
        ("GET", None),
        ("DELETE", None),
    ] {
        assert_eq!(deployment.request(method, "/users/1", body).0, 200);
    }
    browser
        .wait_for(
            &shows("#requests .card", &["DELETE /users/1", "200", "deleteUser"]),
            WAIT,
        )
        .unwrap();
    for (event, change) in [
        ("INSERT", r#"{"id":"1"}: — → {"id":"1","name":"test"}"#),
        (
            "MODIFY",
            r#"{"id":"1","name":"test"} → {"id":"1","name":"test2"}"#,
        ),
        ("REMOVE", r#"{"id":"1"}: {"id":"1","name":"test2"} → —"#),
    ] {
        // Each record in a batch card marked done, with the function's log line under it.
        browser
            .wait_for(
                &shows("#batches .card.next-done", &[event, change, "value"]),
                WAIT,
            )
            .unwrap();
    }
    // The GET's card holds nothing from the stream; the requests are newest first.
    let requests = browser.evaluate(&texts("#requests .card strong")).unwrap();
    assert_eq!(
        requests.as_str().unwrap(),
        "DELETE /users/1\nGET /users/1\nPUT /users/1\nPUT /users/1"
    );
    assert_eq!(
        deployment
            .request("PUT", "/users/2", Some(r#"{"name": "kept"}"#))
            .0,
        200
    );
    browser
        .wait_for(&shows("#items tbody tr", &["\"2\"", "kept"]), WAIT)
        .unwrap();
    screenshot(&mut browser, "console-users.png");

    // README step 7: a record that is not a user, retried, then skipped (7-finish: 3 retries).
    xtask_succeeds(
        &[
            "put-item",
            r#"{"id": {"S": "bad-1"}, "name": {"N": "42"}}"#,
            "7-finish",
        ],
        project::root(),
    );
    browser
        .wait_for(
            &shows(
                "#batches .card.next-retry .record.failed",
                &["INSERT", "bad-1", "reported as failed"],
            ),
            WAIT,
        )
        .unwrap();
    browser
        .wait_for(
            &shows(
                "#batches .card.next-skipped",
                &["bad-1", "skipped", "maximumRetryAttempts"],
            ),
            WAIT,
        )
        .unwrap();
    // The handler's error line sits in the card of the invocation that logged it.
    browser
        .wait_for(
            &shows("#batches .card.next-retry", &["ERROR", "is not a user"]),
            WAIT,
        )
        .unwrap();
    let retries = browser
        .evaluate("document.querySelectorAll('#batches .card.next-retry').length")
        .unwrap();
    assert_eq!(retries, 3, "three retries before the skip");
    assert_eq!(
        deployment
            .request("PUT", "/users/2", Some(r#"{"name": "after the bad one"}"#))
            .0,
        200
    );
    browser
        .wait_for(
            &shows("#batches .card.next-done", &["MODIFY", "after the bad one"]),
            WAIT,
        )
        .unwrap();
    browser
        .wait_for(&shows("#items tbody tr", &["bad-1", "42"]), WAIT)
        .unwrap();
    screenshot(&mut browser, "console-bad-record.png");

    // A page opened now sees the whole session, and a phone's width shows it all.
    let mut phone = Browser::start(390, 844).unwrap();
    phone.navigate(&console).unwrap();
    phone
        .wait_for(&shows("#batches .card.next-skipped", &["bad-1"]), WAIT)
        .unwrap();
    let overflow = phone
        .evaluate("document.documentElement.scrollWidth > window.innerWidth")
        .unwrap();
    assert_eq!(overflow, false, "the page is wider than a phone");
    drop(phone);

    // README section 7's rule: a user after a bad record in one batch comes again with it,
    // and its card says so rather than showing it failed.
    xtask_succeeds(
        &[
            "put-item",
            r#"{"id": {"S": "bad-3"}, "name": {"N": "42"}}"#,
            r#"{"id": {"S": "4"}, "name": {"S": "after it"}}"#,
            "7-finish",
        ],
        project::root(),
    );
    browser
        .wait_for(
            &shows(
                "#batches .record.again",
                &["\"4\"", "came again with the failed one"],
            ),
            WAIT,
        )
        .unwrap();
    drop(browser);
    deployment.stop();
}

/// The console is for this machine's browser: another site's page (DNS rebinding, or a
/// cross-site request) gets nothing, only GET is served, and a bad request breaks nothing.
#[test]
fn the_console_refuses_other_sites_and_bad_requests() {
    let mut deployment = Deployment::start("7-finish");
    let console = deployment.console_url();
    let status = |request: &str| -> String {
        let answer = raw_exchange(&console, request);
        answer.lines().next().unwrap_or_default().to_owned()
    };
    assert_eq!(
        status("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        status("GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n"),
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(
        status("GET /events HTTP/1.1\r\nHost: localhost\r\nSec-Fetch-Site: cross-site\r\n\r\n"),
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(
        status("POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"),
        "HTTP/1.1 405 Method Not Allowed"
    );
    assert_eq!(
        status("GET /../Cargo.toml HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        "HTTP/1.1 404 Not Found"
    );
    let long = format!(
        "GET /{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(100_000)
    );
    assert_eq!(status(&long), "HTTP/1.1 414 URI Too Long");
    // Not HTTP at all (a TLS hello): refused, and nothing breaks.
    assert!(status("\x16\x03\x01 not http\r\n\r\n").starts_with("HTTP/1.1 4"));
    // The page's events: a stream that starts with what the service is.
    let events = raw_exchange(
        &console,
        "GET /events HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
    );
    assert!(
        events
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{events}"
    );
    assert!(events.contains(r#""type":"hello""#), "{events}");
    // And the API still serves.
    assert_eq!(
        deployment
            .request("PUT", "/users/1", Some(r#"{"name": "ok"}"#))
            .0,
        200
    );
    deployment.stop();
}
