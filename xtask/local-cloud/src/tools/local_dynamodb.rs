//! The local DynamoDB: its endpoint ([`endpoint`]), and calls to it in DynamoDB's own JSON
//! protocol, what xtask needs to set a table up and read its stream without linking the AWS
//! SDK into xtask.

pub mod endpoint;
pub mod streams;

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// A client for one local endpoint. No local endpoint checks signatures (moto reads the
/// region from the credential scope of the `Authorization` header), so a fixed dummy serves.
#[derive(Debug, Clone)]
pub struct LocalDynamoDb {
    endpoint: String,
    region: String,
    agent: ureq::Agent,
}

impl LocalDynamoDb {
    pub fn new(endpoint: &str, region: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Self {
            endpoint: endpoint.to_owned(),
            region: region.to_owned(),
            agent,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// One call: `target` is the operation (`DynamoDB_20120810.CreateTable`).
    pub fn call(&self, target: &str, request: &Value) -> Result<Value> {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=local/20260101/{}/dynamodb/aws4_request, \
             SignedHeaders=host;x-amz-target, Signature=0",
            self.region
        );
        let mut response = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("X-Amz-Target", target)
            .header("Authorization", &authorization)
            .send(request.to_string())
            .with_context(|| {
                format!(
                    "calling {target} on the local DynamoDB at {}",
                    self.endpoint
                )
            })?;
        let status = response.status();
        let body = response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer to {target}"))?;
        if !status.is_success() {
            bail!(
                "{target} failed on the local DynamoDB ({status}): {}",
                body.trim()
            );
        }
        serde_json::from_str(&body)
            .with_context(|| format!("reading the answer to {target}: {body}"))
    }

    /// A table keyed by the string `id`, billed per request: the users table.
    pub fn create_users_table(&self, name: &str) -> Result<Value> {
        self.call(
            "DynamoDB_20120810.CreateTable",
            &json!({
                "TableName": name,
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        )
    }
}

/// A DynamoDB item (`{"id": {"S": "1"}}`) as plain JSON (`{"id": "1"}`).
pub fn plain_item(item: &Value) -> Value {
    match item.as_object() {
        Some(attributes) => Value::Object(
            attributes
                .iter()
                .map(|(name, value)| (name.clone(), plain(value)))
                .collect(),
        ),
        None => Value::Null,
    }
}

/// One typed value as plain JSON: a number stays as written when it does not fit a JSON
/// number, binary stays base64, a set becomes a list.
pub fn plain(value: &Value) -> Value {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return value.clone();
    };
    match (kind.as_str(), inner) {
        ("N", Value::String(number)) => number
            .parse::<serde_json::Number>()
            .map_or_else(|_| inner.clone(), Value::Number),
        ("NULL", _) => Value::Null,
        ("M", map) => plain_item(map),
        ("L", Value::Array(list)) => Value::Array(list.iter().map(plain).collect()),
        ("NS", Value::Array(list)) => Value::Array(
            list.iter()
                .map(|n| plain(&serde_json::json!({ "N": n })))
                .collect(),
        ),
        _ => inner.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_items_become_plain_json() {
        let item = json!({"id": {"S": "1"}, "age": {"N": "42"}, "ok": {"BOOL": true},
            "gone": {"NULL": true}, "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2.5"]},
            "address": {"M": {"city": {"S": "Oslo"}}}, "list": {"L": [{"N": "1"}, {"S": "x"}]}});
        assert_eq!(
            plain_item(&item),
            json!({"id": "1", "age": 42, "ok": true, "gone": null, "tags": ["a", "b"],
                "nums": [1, 2.5], "address": {"city": "Oslo"}, "list": [1, "x"]})
        );
    }
}
