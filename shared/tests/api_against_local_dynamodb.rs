//! The API handlers against a real DynamoDB API: the moto server `cargo xtask test` starts.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use lambda_http::http::{header::CONTENT_TYPE, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use shared::api::{handle, Route};
use shared::UserRepository;

/// The local DynamoDB's address, from `cargo xtask test`.
fn endpoint() -> String {
    std::env::var("WORKSHOP_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "these tests need the local DynamoDB that `cargo xtask test` starts: \
             run `cargo xtask test` (it installs and starts it for you)"
        )
    })
}

fn client() -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
        .build();
    Client::from_conf(config)
}

/// A repository over a new table of its own, so tests running at once do not meet.
async fn repository() -> UserRepository {
    static TABLES: AtomicU32 = AtomicU32::new(0);
    let table = format!(
        "users-{}-{}",
        std::process::id(),
        TABLES.fetch_add(1, Ordering::Relaxed)
    );
    let client = client();
    client
        .create_table()
        .table_name(&table)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating table {table} on {}: {e:?}", endpoint()));
    UserRepository::new(client, table)
}

fn request(id: &str, body: impl Into<Body>) -> Request {
    let request: Request = lambda_http::http::Request::builder()
        .uri(format!("https://example.com/users/{id}"))
        .body(body.into())
        .unwrap();
    request.with_path_parameters(HashMap::from([("id".to_owned(), id.to_owned())]))
}

fn text(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

async fn call(repository: &UserRepository, route: Route, request: Request) -> (StatusCode, String) {
    let response = handle(repository, route, request).await;
    (response.status(), text(&response))
}

#[tokio::test]
async fn a_user_lives_through_put_get_and_delete() {
    let users = repository().await;
    assert_eq!(
        call(&users, Route::PutUser, request("1", r#"{"name": "test"}"#)).await,
        (StatusCode::OK, "Saved!".to_owned())
    );
    assert_eq!(
        call(&users, Route::PutUser, request("1", r#"{"name": "test2"}"#)).await,
        (StatusCode::OK, "Saved!".to_owned())
    );

    let response = handle(&users, Route::GetUser, request("1", Body::Empty)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let user: serde_json::Value = serde_json::from_str(&text(&response)).unwrap();
    assert_eq!(user, serde_json::json!({"id": "1", "name": "test2"}));

    assert_eq!(
        call(&users, Route::DeleteUser, request("1", Body::Empty)).await,
        (StatusCode::OK, "Deleted user".to_owned())
    );
    assert_eq!(
        call(&users, Route::GetUser, request("1", Body::Empty)).await,
        (StatusCode::NOT_FOUND, "User 1 not found".to_owned())
    );
}

#[tokio::test]
async fn an_unknown_user_is_not_found_and_deleting_it_is_fine() {
    let users = repository().await;
    assert_eq!(
        call(&users, Route::GetUser, request("nobody", Body::Empty)).await,
        (StatusCode::NOT_FOUND, "User nobody not found".to_owned())
    );
    assert_eq!(
        call(&users, Route::DeleteUser, request("nobody", Body::Empty)).await,
        (StatusCode::OK, "Deleted user".to_owned())
    );
}

#[tokio::test]
async fn a_name_is_stored_as_given() {
    let users = repository().await;
    let name = "Zoë \"Z\" O'Brien – 山田 🦀";
    let body = serde_json::json!({"name": name, "ignored": true}).to_string();
    assert_eq!(
        call(&users, Route::PutUser, request("zoë/1", body)).await.0,
        StatusCode::OK
    );
    let (status, body) = call(&users, Route::GetUser, request("zoë/1", Body::Empty)).await;
    assert_eq!(status, StatusCode::OK);
    let user: shared::User = serde_json::from_str(&body).unwrap();
    assert_eq!((user.id.as_str(), user.name.as_str()), ("zoë/1", name));
}

#[tokio::test]
async fn bad_input_gets_400_with_what_is_wrong() {
    let users = repository().await;
    let long_id = "x".repeat(257);
    let long_body = format!(r#"{{"name": "{}"}}"#, "a".repeat(16 * 1024));
    let cases: Vec<(&str, Body, &str)> = vec![
        ("1", Body::Empty, "the body is empty"),
        ("1", Body::from(""), "the body is empty"),
        ("1", Body::from("name=test"), "the body is not JSON"),
        (
            "1",
            Body::from(r#"{"name": "test""#),
            "the body is not JSON",
        ),
        (
            "1",
            Body::from(vec![0xff, 0xfe, 0x00]),
            "the body is not JSON",
        ),
        ("1", Body::from("[]"), "the body is not a JSON object"),
        ("1", Body::from("42"), "the body is not a JSON object"),
        ("1", Body::from("null"), "the body is not a JSON object"),
        (
            "1",
            Body::from(r#""test""#),
            "the body is not a JSON object",
        ),
        ("1", Body::from("{}"), r#"the body has no "name""#),
        (
            "1",
            Body::from(r#"{"nam": "test"}"#),
            r#"the body has no "name""#,
        ),
        (
            "1",
            Body::from(r#"{"name": null}"#),
            r#""name" must be a string, not null"#,
        ),
        (
            "1",
            Body::from(r#"{"name": 5}"#),
            r#""name" must be a string, not a number"#,
        ),
        (
            "1",
            Body::from(r#"{"name": true}"#),
            r#""name" must be a string, not a boolean"#,
        ),
        (
            "1",
            Body::from(r#"{"name": ["a"]}"#),
            r#""name" must be a string, not an array"#,
        ),
        (
            "1",
            Body::from(r#"{"name": {"first": "a"}}"#),
            r#""name" must be a string, not an object"#,
        ),
        ("1", Body::from(r#"{"name": ""}"#), r#""name" is empty"#),
        ("1", Body::from(r#"{"name": "   "}"#), r#""name" is empty"#),
        (
            "1",
            Body::from(long_body),
            "the body is 16396 bytes long; at most 16384 are allowed",
        ),
        (
            "",
            Body::from(r#"{"name": "test"}"#),
            "the user id is missing",
        ),
        (
            &long_id,
            Body::from(r#"{"name": "test"}"#),
            "the user id is 257 bytes long",
        ),
    ];
    assert!(cases.len() >= 15);
    for (id, body, expected) in cases {
        let shown = format!(
            "PUT /users/{id:.20} {:.40?}",
            String::from_utf8_lossy(body.as_ref())
        );
        let (status, message) = call(&users, Route::PutUser, request(id, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{shown}: {message}");
        assert!(
            message.starts_with(expected),
            "{shown}: {message:?} should start with {expected:?}"
        );
        assert!(
            !message.contains('\n'),
            "{shown}: one line, not {message:?}"
        );
    }
    for route in [Route::GetUser, Route::DeleteUser] {
        let (status, message) = call(&users, route, request(&long_id, Body::Empty)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{route:?}: {message}");
        let (status, message) = call(&users, route, request("", Body::Empty)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{route:?}: {message}");
    }
    // Nothing was stored on the way.
    assert_eq!(
        call(&users, Route::GetUser, request("1", Body::Empty))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_table_failure_is_a_500_without_its_detail() {
    let missing = UserRepository::new(client(), "no-such-table");
    for (route, body) in [
        (Route::PutUser, Body::from(r#"{"name": "test"}"#)),
        (Route::GetUser, Body::Empty),
        (Route::DeleteUser, Body::Empty),
    ] {
        let (status, message) = call(&missing, route, request("1", body)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{route:?}");
        assert!(
            !message.contains("no-such-table"),
            "{route:?} leaks the detail: {message}"
        );
        assert!(
            !message.contains("ResourceNotFound"),
            "{route:?} leaks the detail: {message}"
        );
    }
}
