//! A web page the learner has open reaches none of the local servers: the API, the Runtime
//! API of each function process, the console and the local DynamoDB refuse what a browser
//! sends for another site's page (`Origin`, `Sec-Fetch-Site: cross-site`, CORS preflights),
//! and a real Chromium, on a page of another site, breaks, reads and forges nothing.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::deployment::{raw_exchange, Deployment};
use xtask::local_state as state;
use xtask_browser::Browser;

/// The Runtime API one of the deployment's function processes talks to (its
/// `AWS_LAMBDA_RUNTIME_API`, read from the process, as another process could).
fn a_runtime_api(deployment: &Deployment) -> String {
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
        .find_map(|variable| {
            variable
                .to_str()?
                .strip_prefix("AWS_LAMBDA_RUNTIME_API=")
                .map(|address| format!("http://{address}"))
        })
        .expect("a function process with AWS_LAMBDA_RUNTIME_API")
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

/// Before: the API and the Runtime API refused foreign Host names only; a page's Origin and
/// Sec-Fetch-Site reached them.
#[test]
fn every_server_refuses_another_sites_page() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let servers = [
        ("the API", deployment.api.clone(), "/users/1"),
        ("the console", deployment.console_url(), "/events"),
        ("the local DynamoDB", running.dynamodb_endpoint.clone(), "/"),
        (
            "a Runtime API",
            a_runtime_api(&deployment),
            "/2018-06-01/runtime/invocation/next",
        ),
    ];
    for (server, url, path) in &servers {
        let host = url.trim_start_matches("http://");
        for (attack, request) in [
            (
                "a no-cors POST with the page's Origin",
                format!(
                    "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: https://attacker.example\r\n\
                     Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
                ),
            ),
            (
                "a GET a page made (Sec-Fetch-Site)",
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site\r\n\
                     Connection: close\r\n\r\n"
                ),
            ),
            (
                "an Origin of a page served by a null origin",
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: null\r\nConnection: close\r\n\r\n"
                ),
            ),
            (
                "a header given twice, the second one a page's",
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: none\r\n\
                     Sec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n"
                ),
            ),
            (
                "a target in absolute form naming another host",
                format!(
                    "GET http://attacker.example{path} HTTP/1.1\r\nHost: {host}\r\n\
                     Connection: close\r\n\r\n"
                ),
            ),
            (
                "a CORS preflight",
                format!(
                    "OPTIONS {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: https://attacker.example\r\n\
                     Access-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n"
                ),
            ),
        ] {
            let answer = raw_exchange(url, &request);
            assert!(
                status_line(&answer).starts_with("HTTP/1.1 403"),
                "{server}, {attack}: {answer}"
            );
            assert!(
                !answer.to_ascii_lowercase().contains("access-control-allow"),
                "{server}, {attack}: {answer}"
            );
        }
    }
    // The console's own script (same-origin) and the address bar (none) still get in.
    let console = deployment.console_url();
    let host = console.trim_start_matches("http://");
    for site in ["same-origin", "none"] {
        let answer = raw_exchange(
            &console,
            &format!(
                "GET / HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: {site}\r\nOrigin: {console}\r\n\
                 Connection: close\r\n\r\n"
            ),
        );
        assert!(
            status_line(&answer).starts_with("HTTP/1.1 200"),
            "{site}: {answer}"
        );
    }
    assert_eq!(
        deployment
            .request("PUT", "/users/1", Some(r#"{"name": "still fine"}"#))
            .0,
        200
    );
    deployment.stop();
}

/// A server of the test's own on 127.0.0.1: the page's page (at `localhost`, another site
/// than 127.0.0.1), and a witness that the browser does send a page's requests to loopback.
struct PageServer {
    url: String,
    witnessed: Arc<Mutex<Vec<String>>>,
}

impl PageServer {
    fn start(page: String) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let witnessed = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&witnessed);
        let page = Arc::new(page);
        std::thread::spawn(move || {
            // A thread per connection: a browser opens connections it sends nothing on.
            for stream in listener.incoming().flatten() {
                let (seen, page) = (Arc::clone(&seen), Arc::clone(&page));
                std::thread::spawn(move || serve_one(stream, &seen, &page));
            }
        });
        Self {
            url: format!("http://localhost:{port}"),
            witnessed,
        }
    }
}

/// One request: recorded, answered with the page or `ok`, the connection closed.
fn serve_one(stream: std::net::TcpStream, seen: &Mutex<Vec<String>>, page: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut head = String::new();
    while reader.read_line(&mut head).is_ok_and(|read| read > 2) {}
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1024)];
    let _ = reader.read_exact(&mut body);
    if let Ok(mut seen) = seen.lock() {
        seen.push(head.clone());
    }
    let body = if head.starts_with("GET /page") {
        page
    } else {
        "ok"
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Before: a page's no-cors POST to `/runtime/init/error` made every later request answer
/// 502 until xtask restarted, and its GET on `/invocation/next` took the next event whole.
#[test]
fn a_foreign_page_in_a_real_browser_reaches_none_of_the_local_servers() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let runtime_api = a_runtime_api(&deployment);
    let shots = serde_json::json!([
        [
            format!("{runtime_api}/2018-06-01/runtime/init/error"),
            "POST"
        ],
        [
            format!("{runtime_api}/2018-06-01/runtime/invocation/next"),
            "GET"
        ],
        [format!("{}/users/1", deployment.api), "GET"],
        [format!("{}/users/page", deployment.api), "POST"],
        [format!("{}/", running.dynamodb_endpoint), "POST"],
        [format!("{}/events", deployment.console_url()), "GET"],
    ]);
    let page = format!(
        r#"<!doctype html><title>loading</title><script>
const shots = {shots};
const sent = shots.map(([url, method]) => fetch(url, {{
  method, mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}},
  body: method === 'POST' ? '{{"errorMessage": "from a web page", "name": "page"}}' : undefined,
}}).catch(() => null));
// Long polls are not waited for: what matters is what the servers did with them.
sent.push(fetch(location.origin.replace('localhost', '127.0.0.1') + '/witness', {{
  method: 'POST', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, body: 'x'}}));
Promise.race([Promise.allSettled(sent), new Promise(r => setTimeout(r, 3000))])
  .then(() => {{ document.title = 'done'; }});
</script>"#
    );
    let server = PageServer::start(page);
    let mut browser = Browser::start(800, 600).unwrap_or_else(|error| panic!("{error:#}"));
    browser.navigate(&format!("{}/page", server.url)).unwrap();
    browser
        .wait_for("document.title === 'done'", Duration::from_secs(20))
        .unwrap();
    // The browser did send a page's cross-site requests to loopback: the witness saw one.
    let witnessed = || {
        server
            .witnessed
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    };
    let witnessed_one = || {
        witnessed().iter().any(|head| {
            head.starts_with("POST /witness")
                && head
                    .to_ascii_lowercase()
                    .contains("sec-fetch-site: cross-site")
        })
    };
    let started = std::time::Instant::now();
    while !witnessed_one() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the browser sent no cross-site request to loopback: {:?}",
            witnessed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // And the service is untouched: PUT and GET answer, the stream function logs.
    for n in 0..3 {
        let body = format!(r#"{{"name": "after the page {n}"}}"#);
        assert_eq!(
            deployment.request("PUT", &format!("/users/after-{n}"), Some(&body)),
            (200, "Saved!".to_owned()),
            "try {n}"
        );
    }
    assert_eq!(deployment.request("GET", "/users/page", None).0, 404);
    deployment.wait_for_logs("stream", &[r#"INSERT {"id":"after-2"}"#]);
    deployment.stop();
}
