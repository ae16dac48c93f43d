//! The table serverless.yml describes: its logical id, name and `Properties` as written; and
//! the table a database file holds, read back from it in the same terms.

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

    /// The table as DynamoDB describes it (`DescribeTable`'s `Table`), in serverless.yml's
    /// terms: what the database file holds, whatever a file beside it says.
    pub fn described(logical_id: &str, table: &Json) -> Option<Self> {
        let billing = table["BillingModeSummary"]["BillingMode"]
            .as_str()
            .unwrap_or("PROVISIONED");
        let mut properties = json!({
            "BillingMode": billing,
            "KeySchema": table["KeySchema"],
            "AttributeDefinitions": table["AttributeDefinitions"],
        });
        if billing == "PROVISIONED" {
            properties["ProvisionedThroughput"] = json!({
                "ReadCapacityUnits": table["ProvisionedThroughput"]["ReadCapacityUnits"],
                "WriteCapacityUnits": table["ProvisionedThroughput"]["WriteCapacityUnits"],
            });
        }
        for indexes in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            if let Some(described) = table[indexes].as_array() {
                properties[indexes] = described
                    .iter()
                    .map(|index| json!({"IndexName": index["IndexName"], "KeySchema": index["KeySchema"]}))
                    .collect();
            }
        }
        if table["StreamSpecification"]["StreamEnabled"] == true {
            properties["StreamSpecification"] =
                json!({"StreamViewType": table["StreamSpecification"]["StreamViewType"]});
        }
        Some(Self {
            logical_id: logical_id.to_owned(),
            name: table["TableName"].as_str()?.to_owned(),
            properties,
        })
    }

    /// What a table cannot change in place: its name, keys, attributes, billing and
    /// throughput, indexes (by name and keys); not its stream. Read as DynamoDB reads it
    /// (PROVISIONED when no billing is said; numbers written as text are numbers).
    fn shape(&self) -> Json {
        let p = &self.properties;
        let mut attributes = p["AttributeDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        attributes.sort_by_key(|attribute| attribute.to_string());
        let billing = p["BillingMode"].as_str().unwrap_or("PROVISIONED");
        let number = |value: &Json| {
            value
                .as_u64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        };
        let throughput = (billing == "PROVISIONED").then(|| {
            let throughput = &p["ProvisionedThroughput"];
            (
                number(&throughput["ReadCapacityUnits"]),
                number(&throughput["WriteCapacityUnits"]),
            )
        });
        let indexes = |key: &str| -> Vec<Json> {
            let mut indexes: Vec<Json> = p[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(|index| json!({"IndexName": index["IndexName"], "KeySchema": index["KeySchema"]}))
                .collect();
            indexes.sort_by_key(|index| index.to_string());
            indexes
        };
        json!({
            "name": self.name,
            "keys": p["KeySchema"],
            "attributes": attributes,
            "billing": billing,
            "throughput": throughput,
            "global": indexes("GlobalSecondaryIndexes"),
            "local": indexes("LocalSecondaryIndexes"),
        })
    }

    /// Whether `other` is this table with another stream, or none.
    pub fn same_table(&self, other: &Definition) -> bool {
        self.shape() == other.shape()
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
