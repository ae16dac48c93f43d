use super::*;

fn sent() -> Vec<Sent> {
    batch().into_iter().map(|(sent, _)| sent).collect()
}

const USERS_LOGGED: &str = " INFO value is now {\"id\":\"check-10\",\"name\":\"Ada Lovelace\"}\n \
     INFO value is now {\"id\":\"check-11\",\"name\":\"Grace Hopper\"}\n";

fn verdict(answer: Value, log: &str) -> Finding {
    judge_answer(answer.to_string().as_bytes(), log, &sent(), true)
}

fn failures(numbers: &[u32]) -> Value {
    json!({"batchItemFailures": numbers.iter()
        .map(|n| json!({"itemIdentifier": sequence_number(*n)})).collect::<Vec<_>>()})
}

#[test]
fn every_bad_record_reported_passes() {
    assert_eq!(
        verdict(failures(&[3, 5, 6]), USERS_LOGGED),
        Finding::pass(Item::Failures)
    );
}

#[test]
fn stopping_at_the_first_bad_record_passes() {
    assert_eq!(
        verdict(failures(&[3]), USERS_LOGGED),
        Finding::pass(Item::Failures)
    );
    assert_eq!(
        verdict(failures(&[3, 4, 5, 6, 7]), USERS_LOGGED),
        Finding::pass(Item::Failures)
    );
}

#[test]
fn each_mistake_has_its_own_hint() {
    let hint = |answer: Value, log: &str| {
        let finding = verdict(answer, log);
        assert_eq!(finding.status, super::super::report::Status::Fail);
        finding.hint.join("\n")
    };
    assert!(hint(json!({}), USERS_LOGGED).contains("was neither logged nor reported"));
    let logged_bad = format!("{USERS_LOGGED} INFO {{\"id\":\"check-12\",\"name\":42}}\n");
    assert!(hint(json!({}), &logged_bad).contains("was logged but not reported"));
    assert!(
        hint(failures(&[1, 3]), USERS_LOGGED).contains("names the INSERT record of user check-10")
    );
    assert!(hint(
        json!({"batchItemFailures": [{"itemIdentifier": "check-event-3"}]}),
        USERS_LOGGED
    )
    .contains("a record's event id (`event_id`), not its sequence number"));
    assert!(hint(
        json!({"batchItemFailures": [{"itemIdentifier": null}]}),
        USERS_LOGGED
    )
    .contains("without an itemIdentifier"));
    assert!(hint(
        json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
        USERS_LOGGED
    )
    .contains("without an itemIdentifier"));
    assert!(hint(failures(&[3]), "").contains("does not show user check-10"));
}

#[test]
fn a_panic_and_an_error_are_told_apart() {
    let panicked = failed(
        "thread 'main' panicked at src/stream.rs:9:71:\ncalled `Result::unwrap()` on an `Err` value: x\n",
        "Lambda panicked: x",
    );
    assert!(
        panicked.hint[0].starts_with("the handler panicked at src/stream.rs:9:71"),
        "{panicked:?}"
    );
    let errored = failed(
        " INFO something\n",
        "invalid type: number, expected a string",
    );
    assert!(
        errored.hint[0].starts_with(
            "the handler failed the whole batch (invalid type: number, expected a string)"
        ),
        "{errored:?}"
    );
}

/// A handler that logs users in another form (`{:?}`) fails the item above; here its
/// reporting is right, so this item says it waits for that one instead of a second ✗.
#[test]
fn users_not_logged_as_json_wait_for_the_handler_item() {
    let debug_log = " INFO User { id: \"check-10\", name: \"Ada Lovelace\" }\n";
    let finding = judge_answer(
        failures(&[3]).to_string().as_bytes(),
        debug_log,
        &sent(),
        false,
    );
    assert_eq!(
        finding.status,
        super::super::report::Status::Skipped,
        "{finding:?}"
    );
    assert!(
        finding.hint[0].starts_with("first log the users as JSON"),
        "{finding:?}"
    );
    // Its own mistakes are still its own.
    let finding = judge_answer(
        failures(&[1]).to_string().as_bytes(),
        debug_log,
        &sent(),
        false,
    );
    assert_eq!(
        finding.status,
        super::super::report::Status::Fail,
        "{finding:?}"
    );
}
