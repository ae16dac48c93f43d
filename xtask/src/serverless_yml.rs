//! A step's `serverless.yml`, read as the Serverless Framework reads it: the single source of
//! truth for functions, handlers, events and the table. CloudFormation short tags
//! (`!GetAtt Table.StreamArn`) arrive as tagged values; [`intrinsic`] reads every spelling.

mod bounds;
pub mod destination;
pub mod environment;
mod functions;
mod intrinsic;
mod lines;
mod yaml_error;

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};
use yaml_serde::Value;

pub use functions::{Function, OnFailure, StreamSettings};
pub use intrinsic::{intrinsic, Intrinsic};
pub use lines::Step;
pub use yaml_error::YamlError;

/// A function's timeout when serverless.yml gives none: the framework's default.
const DEFAULT_TIMEOUT_SECONDS: f64 = 6.0;

/// The region when serverless.yml names none: the framework's default.
const DEFAULT_REGION: &str = "us-east-1";

/// The Lambda architectures, as serverless.yml names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

#[derive(Debug, Clone)]
pub struct ServerlessYml {
    root: Value,
    /// The text it was read from, for the lines refusals name.
    text: String,
}

impl ServerlessYml {
    /// Reads `serverless.yml` in `dir`. A file that is not YAML is a [`YamlError`] inside the error.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("serverless.yml");
        let text = bounds::read(&path)?;
        Ok(Self::parse(&path, &text)?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, YamlError> {
        match yaml_serde::from_str::<Value>(text) {
            Ok(root) if root.is_mapping() => Ok(Self {
                root,
                text: text.to_owned(),
            }),
            Ok(_) => Err(YamlError::not_a_mapping(path)),
            Err(error) => Err(YamlError::from_parser(path, text, &error)),
        }
    }

    /// The line (from 1) where `path` is written, if it is.
    pub fn line_of(&self, path: &[Step<'_>]) -> Option<usize> {
        lines::line_of(&self.text, path)
    }

    /// `service:`, the stack's first name.
    pub fn service(&self) -> Option<&str> {
        self.root.get("service")?.as_str()
    }

    /// `provider.region`, or the framework's default.
    pub fn region(&self) -> &str {
        self.provider_str("region").unwrap_or(DEFAULT_REGION)
    }

    /// `provider.architecture`: x86_64 unless it says arm64.
    pub fn architecture(&self) -> Result<Architecture> {
        match self.provider_str("architecture") {
            None | Some("x86_64") => Ok(Architecture::X86_64),
            Some("arm64") => Ok(Architecture::Arm64),
            Some(other) => bail!("provider.architecture is {other:?}: Lambda runs x86_64 or arm64"),
        }
    }

    /// `package.artifact`: the zip to deploy, relative to the step directory.
    pub fn artifact(&self) -> Option<&str> {
        self.root.get("package")?.get("artifact")?.as_str()
    }

    /// `provider.environment`: what every function gets.
    pub fn provider_environment(&self) -> Option<&Value> {
        self.root.get("provider")?.get("environment")
    }

    /// How long Lambda lets the function run: its `timeout`, else `provider.timeout`, else
    /// the framework's 6 seconds.
    pub fn timeout(&self, function: &Function<'_>) -> Duration {
        let seconds = |value: Option<&Value>| value.and_then(Value::as_f64).filter(|s| *s > 0.0);
        let provider = self.root.get("provider").and_then(|p| p.get("timeout"));
        let seconds = seconds(function.definition.get("timeout"))
            .or(seconds(provider))
            .unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        Duration::from_secs_f64(seconds.min(900.0))
    }

    /// `provider.KEY` as a string.
    pub fn provider_str(&self, key: &str) -> Option<&str> {
        self.root.get("provider")?.get(key)?.as_str()
    }

    pub fn functions(&self) -> Vec<Function<'_>> {
        self.root
            .get("functions")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, definition)| {
                Some(Function {
                    name: name.as_str()?,
                    definition,
                })
            })
            .collect()
    }

    /// `resources.Resources`, by logical id.
    pub fn resources(&self) -> Vec<(&str, &Value)> {
        self.root
            .get("resources")
            .and_then(|resources| resources.get("Resources"))
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(id, resource)| Some((id.as_str()?, resource)))
            .collect()
    }

    /// The resource whose logical id is `id`.
    pub fn resource(&self, id: &str) -> Option<&Value> {
        self.resources()
            .into_iter()
            .find(|(logical_id, _)| *logical_id == id)
            .map(|(_, resource)| resource)
    }

    /// The users table: the only `AWS::DynamoDB::Table`, or the one called `Table`.
    pub fn users_table(&self) -> Option<(&str, &Value)> {
        let tables = self.tables();
        tables
            .iter()
            .find(|(id, _)| *id == "Table")
            .or(tables.first())
            .copied()
    }

    /// The users table's `TableName`, when serverless.yml names it (CloudFormation names it
    /// otherwise).
    pub fn users_table_name(&self) -> Option<&str> {
        self.users_table()?
            .1
            .get("Properties")?
            .get("TableName")?
            .as_str()
    }

    /// The DynamoDB tables among the resources.
    pub fn tables(&self) -> Vec<(&str, &Value)> {
        self.resources()
            .into_iter()
            .filter(|(_, resource)| {
                resource.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table")
            })
            .collect()
    }
}
