//! What a learner's files, a stray process or a client can hand the local cloud: names that
//! would be paths, settings AWS refuses, links and pipes in the step, damaged state files,
//! odd requests. Each is refused in AWS's words, or read as what it is; none escapes.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::time::{Duration, Instant};

use support::deployment::{raw_exchange, refused_start, Deployment};
use support::{committed, Attempt};
use xtask::local_state as state;
use xtask::tools::local_dynamodb::LocalDynamoDb;

/// The solution's serverless.yml (as given) and handler, without its tests (they read
/// fixtures a copy has not).
fn solution_with_yml(name: &str, yml: &str) -> Attempt {
    let solution = committed("7-finish/src/stream.rs");
    let handler = solution.split("#[cfg(test)]").next().unwrap().trim_end();
    Attempt::with_files(
        name,
        yml,
        &committed("6-streams/src/main.rs"),
        &format!("{handler}\n"),
    )
}

/// Before: a function named `../../../../tmp/x` wrote `/tmp/x.log`; a `QueueName` with `../`
/// wrote messages outside the state; serverless.yml could set `AWS_LAMBDA_FUNCTION_NAME`, and
/// a key `"WEIRD=KEY"` became another variable.
#[test]
fn names_and_settings_aws_refuses_are_refused_at_start() {
    let yml = committed("7-finish/serverless.yml");
    let outside = std::env::temp_dir().join(format!("hostile-{}", std::process::id()));
    let cases = [
        (
            yml.replacen("  stream:\n", &format!("  ../../../..{}:\n", outside.display()), 1),
            "Lambda refuses its name",
        ),
        (
            yml.replacen(
                "    SkippedRecords:\n      Type: AWS::SQS::Queue\n",
                "    SkippedRecords:\n      Type: AWS::SQS::Queue\n      Properties:\n        QueueName: ../../escaped\n",
                1,
            ),
            "SQS refuses it",
        ),
        (
            yml.replacen(
                "    TABLE_NAME: !Ref Table\n",
                "    TABLE_NAME: !Ref Table\n    AWS_LAMBDA_FUNCTION_NAME: other\n",
                1,
            ),
            "Reserved keys used in this request: AWS_LAMBDA_FUNCTION_NAME",
        ),
        (
            yml.replacen(
                "    TABLE_NAME: !Ref Table\n",
                "    TABLE_NAME: !Ref Table\n    \"WEIRD=KEY\": v\n",
                1,
            ),
            "[a-zA-Z]([a-zA-Z0-9_])+",
        ),
    ];
    for (n, (changed, said)) in cases.iter().enumerate() {
        assert_ne!(changed, &yml, "case {n} changed nothing");
        let attempt = solution_with_yml(&format!("hostile-names-{n}"), changed);
        let stderr = refused_start(&attempt.dir);
        assert!(stderr.contains(said), "case {n}: {stderr}");
    }
    assert!(!outside.with_extension("log").exists());
}

/// Before: `src/x -> /dev/zero` made `check --dir` run out of memory, a pipe in src/ hung
/// it, and `src/up -> /` kept it busy for good.
#[cfg(unix)] // Links and pipes as a Unix learner makes them; Windows' need rights to make.
#[test]
fn links_and_pipes_in_a_step_are_never_read() {
    let attempt = solution_with_yml("hostile-links", &committed("7-finish/serverless.yml"));
    let src = attempt.dir.join("src");
    std::os::unix::fs::symlink("/dev/zero", src.join("x.rs")).unwrap();
    std::os::unix::fs::symlink("/", src.join("up")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(src.join("pipe.json"))
        .status()
        .unwrap();
    assert!(made.success());
    let started = Instant::now();
    let (_, said) = attempt.check();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "check took {:?}",
        started.elapsed()
    );
    assert!(
        said.contains('✓') && !said.contains("out of memory"),
        "{said}"
    );
    let mut watching = Deployment::start_watching(&attempt.dir);
    assert_eq!(
        watching
            .request("PUT", "/users/1", Some(r#"{"name": "a"}"#))
            .0,
        200
    );
    watching.stop();
}

/// Before: a truncated message file was silently left out of `failures`, and one whose name
/// differed from its MessageId blocked every replay; a MessageId of `../../x` made the replay
/// delete a file outside the queue.
#[test]
fn queue_files_are_read_as_what_they_are() {
    let attempt = solution_with_yml("hostile-queue", &committed("7-finish/serverless.yml"));
    let name = attempt
        .dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let queue = state::dir(&name).join("queues").join("SkippedRecords");
    std::fs::create_dir_all(&queue).unwrap();
    std::fs::write(queue.join("cut.json"), r#"{"MessageId": "1"#).unwrap();
    let copy = attempt.dir.to_str().unwrap().to_owned();
    let listed = support::xtask_succeeds(&["failures", "--dir", &copy], xtask::project::root());
    assert!(
        listed.contains("cut.json is not a message (damaged or cut short): left as it is"),
        "{listed}"
    );
}

/// Before: `running.json` damaged while running made `put-item` say nothing ran, and it kept
/// listing a restarted function's dead pid.
#[test]
fn running_json_is_mended_while_it_runs() {
    let mut deployment = Deployment::start("7-finish");
    let file = state::dir("7-finish").join("running.json");
    std::fs::write(&file, "{ damaged").unwrap();
    let started = Instant::now();
    while state::running("7-finish").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "running.json stays damaged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let said = support::xtask_succeeds(
        &[
            "put-item",
            r#"{"id": {"S": "mended-1"}, "name": {"S": "m"}}"#,
            "7-finish",
        ],
        xtask::project::root(),
    );
    assert!(said.contains("written into"), "{said}");
    deployment.stop();
}

/// Before: `--port 0` announced port 0 and put the console on port 1; the API answered with
/// two Content-Types; a body that is not UTF-8 was stored with U+FFFD and answered `Saved!`;
/// a malformed chunk size got 413.
#[test]
fn odd_requests_get_straight_answers() {
    let attempt = solution_with_yml("hostile-odd", &committed("7-finish/serverless.yml"));
    let mut deployment = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    let get = raw_exchange(
        &deployment.api,
        "GET /users/none HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    let types = get
        .lines()
        .filter(|line| line.to_ascii_lowercase().starts_with("content-type:"))
        .count();
    assert_eq!(types, 1, "{get}");
    let body = b"{\"name\": \"\xff\xfe\"}";
    let mut not_utf8 = format!(
        "PUT /users/bytes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    not_utf8.extend_from_slice(body);
    let answer = {
        use std::io::{Read, Write};
        let mut stream =
            std::net::TcpStream::connect(deployment.api.trim_start_matches("http://")).unwrap();
        stream.write_all(&not_utf8).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(deployment.request("GET", "/users/bytes", None).0, 404);
    let chunked = raw_exchange(
        &deployment.api,
        "PUT /users/c HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n",
    );
    assert!(chunked.starts_with("HTTP/1.1 400"), "{chunked}");
    deployment.stop();
}

/// Before: `--port 0` announced port 0 and put the console on port 1.
#[test]
fn port_0_announces_the_port_it_got() {
    use std::io::BufRead;
    let attempt = solution_with_yml("hostile-port-0", &committed("7-finish/serverless.yml"));
    let _one = support::deployment::one_at_a_time("copies");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["deploy", "--local", "--fresh", "--port", "0", "--dir"])
        .arg(&attempt.dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    // Held open until it has stopped: a pipe closed under it is another test's matter.
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        let ready = line.starts_with("Ready.");
        printed.push(std::mem::take(&mut line).trim_end().to_owned());
        if ready {
            break;
        }
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    drop(reader);
    let text = printed.join("\n");
    let address = |label: &str| {
        printed
            .iter()
            .find_map(|line| line.trim_start().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {label} line in:\n{text}"))
            .to_owned()
    };
    let (api, console) = (address("API"), address("console"));
    assert!(!api.ends_with(":0") && !console.ends_with(":1"), "{text}");
    assert_ne!(api, console);
}

/// Before: 16 open pages locked the 17th out of the console (503).
#[test]
fn a_new_console_page_always_gets_in() {
    use std::io::{Read, Write};
    let mut deployment = Deployment::start("7-finish");
    let console = deployment.console_url();
    let address = console.trim_start_matches("http://").to_owned();
    let open = |n: usize| {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Page: {n}\r\n\r\n"
        )
        .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut first = [0u8; 12];
        stream.read_exact(&mut first).unwrap();
        (stream, String::from_utf8_lossy(&first).into_owned())
    };
    let pages: Vec<_> = (0..20).map(open).collect();
    for (n, (_, status)) in pages.iter().enumerate() {
        assert_eq!(status, "HTTP/1.1 200", "page {n}");
    }
    drop(pages);
    deployment.stop();
}

/// Before: a `DynamoDBStreams_` target ran DynamoDB's ListTables, tables named `_tables` or
/// `sqlite_master` answered 500, and a 70,000-byte attribute name was taken.
#[test]
fn the_local_dynamodb_refuses_what_dynamodb_refuses() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let dynamodb = LocalDynamoDb::new(&running.dynamodb_endpoint, &running.region);
    let error = |target: &str, request: serde_json::Value| {
        format!("{:#}", dynamodb.call(target, &request).unwrap_err())
    };
    assert!(
        error("DynamoDBStreams_20120810.ListTables", serde_json::json!({}))
            .contains("UnknownOperationException")
    );
    for name in ["_tables", "sqlite_master"] {
        let said = error(
            "DynamoDB_20120810.CreateTable",
            serde_json::json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}),
        );
        assert!(
            said.contains("(400 Bad Request)") && said.contains("ValidationException"),
            "{said}"
        );
    }
    let mut item = serde_json::Map::new();
    item.insert("id".to_owned(), serde_json::json!({"S": "long"}));
    item.insert("a".repeat(70_000), serde_json::json!({"S": "x"}));
    let said = error(
        "DynamoDB_20120810.PutItem",
        serde_json::json!({"TableName": running.table, "Item": item}),
    );
    assert!(said.contains("ValidationException"), "{said}");
    deployment.stop();
}

/// Before: one byte that is not UTF-8 in a function's log made `cargo xtask logs` show
/// nothing at all; and running.json kept listing a function's process after it died.
#[test]
fn a_damaged_log_is_shown_and_a_dead_process_is_forgotten() {
    let mut deployment = Deployment::start("7-finish");
    let running = state::running("7-finish").unwrap();
    let victim = running.children[0];
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The next request of each function starts what died again; running.json follows.
    for function_path in ["/users/dead", "/users/dead"] {
        let _ = deployment.request("GET", function_path, None);
    }
    let _ = deployment.request("PUT", "/users/dead", Some(r#"{"name": "d"}"#));
    let started = Instant::now();
    while state::running("7-finish")
        .unwrap()
        .children
        .contains(&victim)
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "running.json still lists {victim}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = state::function_log("7-finish", "stream");
    let mut bytes = std::fs::read(&log).unwrap_or_default();
    bytes.extend_from_slice(b"a stray byte \xff here\n");
    std::fs::write(&log, bytes).unwrap();
    let shown = support::xtask_succeeds(
        &["logs", "stream", "7-finish", "--local"],
        xtask::project::root(),
    );
    assert!(shown.contains("a stray byte \u{fffd} here"), "{shown}");
    deployment.stop();
}
