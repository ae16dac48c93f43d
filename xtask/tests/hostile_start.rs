//! A start never loses the learner's table, whatever happened to its files: a damaged or
//! missing `table.json`, one made a directory, a typo in the key schema, a billing change and
//! its revert, the table deleted by a client, a database file damaged or emptied. Each ends in
//! the users kept or put aside under a name of their own (never overwritten, named in the
//! start-up line, brought back when serverless.yml describes them again), and a start that
//! cannot go on says what to do.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

mod support;

use std::path::{Path, PathBuf};

use support::deployment::{refused_start, Deployment};
use support::{committed, Attempt};
use xtask::local_state as state;

fn solution_copy(name: &str) -> Attempt {
    Attempt::with_files(
        name,
        &committed("7-finish/serverless.yml"),
        &committed("6-streams/src/main.rs"),
        &committed("7-finish/src/stream.rs"),
    )
}

fn printed(deployment: &Deployment) -> String {
    deployment.printed.join("\n")
}

/// A fresh table with three users, the deployment stopped: its state directory.
fn three_users(attempt: &Attempt) -> PathBuf {
    let mut first = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    for id in ["1", "2", "3"] {
        let body = format!(r#"{{"name": "user {id}"}}"#);
        assert_eq!(
            first.request("PUT", &format!("/users/{id}"), Some(&body)).0,
            200
        );
    }
    first.stop();
    state::dir(&first.step)
}

fn users_are_back(attempt: &Attempt, said: &str) -> Deployment {
    let again = Deployment::start_dir(&attempt.dir, &[]);
    let summary = printed(&again);
    assert!(
        summary.contains(said),
        "expected {said:?}; it said:\n{summary}"
    );
    let (status, body) = again.request("GET", "/users/2", None);
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"id":"2","name":"user 2"}"#)
    );
    again
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from:?} is not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

fn kept_tables(state: &Path) -> Vec<PathBuf> {
    let mut kept: Vec<PathBuf> = std::fs::read_dir(state.join("kept"))
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    kept.retain(|path| path.extension().is_some_and(|e| e == "sqlite"));
    kept.sort();
    kept
}

/// Before: a truncated (or missing) table.json was "new table", the database deleted; one
/// made a directory failed the start after deleting the database; one that disagreed with
/// the database (as a start killed half-way left it) put the real table aside under the
/// wrong label. The database now says what it holds; a file beside it decides nothing.
#[test]
fn a_file_beside_the_database_never_decides_what_it_holds() {
    let attempt = solution_copy("hostile-beside");
    let state = three_users(&attempt);
    let beside = state.join("table.json");
    std::fs::write(&beside, r#"{"logical_id": "Table", "name": "x", "properties": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}"#).unwrap();
    users_are_back(&attempt, "table kept: 3 items").stop();
    std::fs::write(&beside, "{ cut sho").unwrap();
    users_are_back(&attempt, "table kept: 3 items").stop();
    let _ = std::fs::remove_file(&beside);
    std::fs::create_dir(&beside).unwrap();
    users_are_back(&attempt, "table kept: 3 items").stop();
    assert!(kept_tables(&state).is_empty());
}

/// Found by an attack: a start SIGKILLed while it put the table aside for another one, then
/// serverless.yml reverted: the users must come back, whichever moment the kill came at.
#[test]
fn a_start_killed_while_it_puts_the_table_aside_loses_nothing() {
    let attempt = solution_copy("hostile-killed-start");
    let state = three_users(&attempt);
    let yml = attempt.dir.join("serverless.yml");
    let provisioned = "BillingMode: PROVISIONED\n        ProvisionedThroughput:\n          \
                       ReadCapacityUnits: 1\n          WriteCapacityUnits: 1";
    edit(&yml, "BillingMode: PAY_PER_REQUEST", provisioned);
    let _one = support::deployment::one_at_a_time("copies");
    for delay_ms in [50, 150, 250, 400, 600] {
        let port = xtask::tools::server::free_port().unwrap().to_string();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["deploy", "--local", "--port", &port, "--dir"])
            .arg(&attempt.dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(_one);
    edit(&yml, provisioned, "BillingMode: PAY_PER_REQUEST");
    let mut back = Deployment::start_dir(&attempt.dir, &[]);
    let summary = printed(&back);
    let (status, body) = back.request("GET", "/users/2", None);
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"id":"2","name":"user 2"}"#),
        "{summary}\nkept: {:?}",
        kept_tables(&state)
    );
    back.stop();
}

/// Before: `KeyType: HASHH` moved the table aside, then failed; fixing it started a new one,
/// and the users were in a file nothing named.
#[test]
fn a_key_schema_typo_moves_nothing() {
    let attempt = solution_copy("hostile-key-typo");
    let state = three_users(&attempt);
    let yml = attempt.dir.join("serverless.yml");
    edit(&yml, "KeyType: HASH", "KeyType: HASHH");
    let said = refused_start(&attempt.dir);
    assert!(
        said.contains(
            "the table in serverless.yml cannot be made (nothing of the last run's was touched)"
        ),
        "{said}"
    );
    assert!(kept_tables(&state).is_empty());
    edit(&yml, "KeyType: HASHH", "KeyType: HASH");
    users_are_back(&attempt, "table kept: 3 items").stop();
}

/// Before: a billing change put the table aside as dynamodb.previous.sqlite, and its revert
/// overwrote that file with the intermediate table.
#[test]
fn a_billing_change_and_its_revert_bring_the_table_back() {
    let attempt = solution_copy("hostile-billing");
    let state = three_users(&attempt);
    let yml = attempt.dir.join("serverless.yml");
    let provisioned = "BillingMode: PROVISIONED\n        ProvisionedThroughput:\n          \
                       ReadCapacityUnits: 1\n          WriteCapacityUnits: 1";
    edit(&yml, "BillingMode: PAY_PER_REQUEST", provisioned);
    let mut changed = Deployment::start_dir(&attempt.dir, &[]);
    let summary = printed(&changed);
    assert!(
        summary.contains("new table: serverless.yml describes another table than the last run's"),
        "{summary}"
    );
    assert_eq!(changed.request("GET", "/users/2", None).0, 404);
    assert_eq!(
        changed
            .request("PUT", "/users/only", Some(r#"{"name": "intermediate"}"#))
            .0,
        200
    );
    changed.stop();
    drop(changed);
    let kept = kept_tables(&state);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        summary.contains(&kept[0].display().to_string()),
        "{summary}"
    );

    edit(&yml, provisioned, "BillingMode: PAY_PER_REQUEST");
    let mut back = users_are_back(&attempt, "table brought back from");
    assert!(printed(&back).contains("(3 items)"), "{}", printed(&back));
    back.stop();
    drop(back); // one deployment of a copy at a time
                // The intermediate table is kept too, under a name of its own.
    let kept = kept_tables(&state);
    assert_eq!(kept.len(), 1, "{kept:?}");
    edit(&yml, "BillingMode: PAY_PER_REQUEST", provisioned);
    let mut intermediate = Deployment::start_dir(&attempt.dir, &[]);
    assert_eq!(intermediate.request("GET", "/users/only", None).0, 200);
    intermediate.stop();
}

/// Before: a table deleted by a client of the local DynamoDB failed every later start
/// (ResourceNotFoundException), with no way out named.
#[test]
fn a_table_deleted_by_a_client_is_made_again() {
    let attempt = solution_copy("hostile-deleted");
    let mut running = Deployment::start_dir(&attempt.dir, &["--fresh"]);
    let found = state::running(&running.step).unwrap();
    let dynamodb =
        xtask::tools::local_dynamodb::LocalDynamoDb::new(&found.dynamodb_endpoint, &found.region);
    dynamodb
        .call(
            "DynamoDB_20120810.DeleteTable",
            &serde_json::json!({"TableName": found.table}),
        )
        .unwrap();
    running.stop();
    drop(running);
    let mut again = Deployment::start_dir(&attempt.dir, &[]);
    assert!(
        printed(&again).contains("new table: the last run's file held no table"),
        "{}",
        printed(&again)
    );
    assert_eq!(
        again.request("PUT", "/users/1", Some(r#"{"name": "a"}"#)).0,
        200
    );
    again.stop();
}

/// Before: a damaged database file failed every start ("enable the `encryption` feature"),
/// with no way out named.
#[test]
fn a_damaged_database_is_kept_and_a_new_table_starts() {
    let attempt = solution_copy("hostile-damaged-db");
    let state = three_users(&attempt);
    std::fs::write(
        state.join("dynamodb.sqlite"),
        b"not a database at all, not even close",
    )
    .unwrap();
    let mut again = Deployment::start_dir(&attempt.dir, &[]);
    let summary = printed(&again);
    assert!(
        summary.contains("new table: the last run's could not be read"),
        "{summary}"
    );
    let kept = kept_tables(&state);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        summary.contains(&kept[0].display().to_string()),
        "{summary}"
    );
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        b"not a database at all, not even close"
    );
    assert_eq!(
        again.request("PUT", "/users/1", Some(r#"{"name": "a"}"#)).0,
        200
    );
    again.stop();
}
