use super::*;

#[test]
fn the_error_message_drops_the_rust_type_name() {
    let body = br#"{"errorType":"&alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>","errorMessage":"missing field `id`"}"#;
    assert_eq!(error_message(body), "missing field `id`");
    assert_eq!(error_message(b"not json"), "not json");
}

/// The protocol as a runtime client speaks it: the event with its headers, the answer
/// reported back; a foreign Host is refused.
#[test]
fn an_event_goes_out_and_its_answer_comes_back() {
    let mut api = RuntimeApi::start("f", "us-east-1").unwrap();
    let outcome = api.queue(br#"{"n":1}"#, Duration::from_secs(5)).unwrap();
    let base = format!("http://{}/2018-06-01/runtime", api.address);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut next = agent
        .get(&format!("{base}/invocation/next"))
        .call()
        .unwrap();
    let id = next.headers()["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(next.headers().contains_key("lambda-runtime-deadline-ms"));
    assert_eq!(next.body_mut().read_to_string().unwrap(), r#"{"n":1}"#);
    let posted = agent
        .post(&format!("{base}/invocation/{id}/response"))
        .send("ok")
        .unwrap();
    assert_eq!(posted.status(), 202);
    assert_eq!(
        outcome.recv_timeout(Duration::from_secs(5)).unwrap(),
        Outcome::Response(b"ok".to_vec())
    );
    let foreign = agent
        .get(&format!("{base}/invocation/next"))
        .header("Host", "evil.example")
        .call()
        .unwrap();
    assert_eq!(foreign.status(), 403);
}
