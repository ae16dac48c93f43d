//! The table serverless.yml describes: its logical id, name and `Properties` as written.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value as Json};

use crate::serverless_yml::ServerlessYml;

/// The table serverless.yml describes.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub logical_id: String,
    pub name: String,
    /// The resource's `Properties` as JSON.
    pub properties: Json,
}

impl Definition {
    pub fn of(yml: &ServerlessYml, service: &str, stage: &str) -> Result<Self> {
        let Some((logical_id, resource)) = yml.users_table() else {
            bail!(
                "serverless.yml has no AWS::DynamoDB::Table under resources.Resources: nothing \
                 to store users in"
            );
        };
        let name = yml
            .users_table_name()
            .map_or_else(|| format!("{service}-{stage}-{logical_id}"), str::to_owned);
        Ok(Self {
            logical_id: logical_id.to_owned(),
            name,
            properties: properties(resource)?,
        })
    }

    pub fn stream(&self) -> Option<&Json> {
        self.properties.get("StreamSpecification")
    }

    /// Everything but the stream: what a table cannot change in place.
    fn without_stream(&self) -> Json {
        let mut kept = self.clone();
        if let Some(object) = kept.properties.as_object_mut() {
            object.remove("StreamSpecification");
        }
        json!({"name": kept.name, "properties": kept.properties})
    }

    /// Whether `other` is this table with another stream, or none.
    pub fn same_table(&self, other: &Definition) -> bool {
        self.without_stream() == other.without_stream()
    }

    pub(super) fn to_json(&self) -> Json {
        json!({"logical_id": self.logical_id, "name": self.name, "properties": self.properties})
    }

    pub(super) fn from_json(value: &Json) -> Option<Self> {
        Some(Self {
            logical_id: value["logical_id"].as_str()?.to_owned(),
            name: value["name"].as_str()?.to_owned(),
            properties: value.get("properties")?.clone(),
        })
    }
}

/// The table resource's `Properties`, as JSON (`{}` when it has none).
pub fn properties(resource: &yaml_serde::Value) -> Result<Json> {
    match resource.get("Properties") {
        Some(properties) => {
            serde_json::to_value(properties).context("reading the table's Properties")
        }
        None => Ok(json!({})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_with_another_stream_is_the_same_table() {
        let definition = |properties: Json| Definition {
            logical_id: "Table".to_owned(),
            name: "users".to_owned(),
            properties,
        };
        let keys = json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]});
        let mut with_stream = keys.clone();
        with_stream["StreamSpecification"] = json!({"StreamViewType": "NEW_IMAGE"});
        assert!(definition(keys.clone()).same_table(&definition(with_stream)));
        let other_keys = json!({"KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]});
        assert!(!definition(keys).same_table(&definition(other_keys)));
    }
}
