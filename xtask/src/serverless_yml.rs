//! A step's `serverless.yml`, read as the Serverless Framework reads it: the single source of
//! truth for functions, handlers, events and the table. CloudFormation short tags
//! (`!GetAtt Table.StreamArn`) arrive as tagged values; [`intrinsic`] reads every spelling.

mod yaml_error;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use yaml_serde::Value;

pub use yaml_error::YamlError;

#[derive(Debug, Clone)]
pub struct ServerlessYml {
    pub path: PathBuf,
    root: Value,
}

/// One entry of `functions:`.
#[derive(Debug, Clone, Copy)]
pub struct Function<'a> {
    pub name: &'a str,
    pub definition: &'a Value,
}

impl<'a> Function<'a> {
    pub fn handler(&self) -> Option<&'a str> {
        self.definition.get("handler").and_then(Value::as_str)
    }

    /// The `events:` list; each event is a one-key mapping (`- http: ...`, `- stream: ...`).
    pub fn events(&self) -> Vec<(&'a str, &'a Value)> {
        self.definition
            .get("events")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|event| event.as_mapping())
            .flat_map(|event| event.iter())
            .filter_map(|(kind, settings)| Some((kind.as_str()?, settings)))
            .collect()
    }
}

impl ServerlessYml {
    /// Reads `serverless.yml` in `dir`. A file that is not YAML is a [`YamlError`] inside the error.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("serverless.yml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(Self::parse(&path, &text)?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, YamlError> {
        match yaml_serde::from_str::<Value>(text) {
            Ok(root) if root.is_mapping() => Ok(Self {
                path: path.to_owned(),
                root,
            }),
            Ok(_) => Err(YamlError::not_a_mapping(path)),
            Err(error) => Err(YamlError::from_parser(path, text, &error)),
        }
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    /// `service:`, the stack's first name.
    pub fn service(&self) -> Option<&str> {
        self.root.get("service")?.as_str()
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

    /// The users table: the only `AWS::DynamoDB::Table`, or the one called `Table`.
    pub fn users_table(&self) -> Option<(&str, &Value)> {
        let tables = self.tables();
        tables
            .iter()
            .find(|(id, _)| *id == "Table")
            .or(tables.first())
            .copied()
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

/// A CloudFormation intrinsic function, however it is spelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intrinsic {
    /// `!Ref X` or `Ref: X`.
    Ref(String),
    /// `!GetAtt X.Y`, `!GetAtt [X, Y]`, `Fn::GetAtt: [X, Y]`, or `Fn::GetAtt: X.Y`
    /// (`dotted_long_form`: valid CloudFormation that the framework does not read as the list).
    GetAtt {
        resource: String,
        attribute: String,
        dotted_long_form: bool,
    },
}

pub fn intrinsic(value: &Value) -> Option<Intrinsic> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => {
            Some(Intrinsic::Ref(tagged.value.as_str()?.to_owned()))
        }
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => get_att(&tagged.value, false),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let (key, argument) = mapping.iter().next()?;
            match key.as_str()? {
                "Ref" => Some(Intrinsic::Ref(argument.as_str()?.to_owned())),
                "Fn::GetAtt" => get_att(argument, true),
                _ => None,
            }
        }
        _ => None,
    }
}

fn get_att(argument: &Value, long_form: bool) -> Option<Intrinsic> {
    match argument {
        Value::String(dotted) => {
            let (resource, attribute) = dotted.split_once('.')?;
            Some(Intrinsic::GetAtt {
                resource: resource.to_owned(),
                attribute: attribute.to_owned(),
                dotted_long_form: long_form,
            })
        }
        Value::Sequence(parts) if parts.len() == 2 => Some(Intrinsic::GetAtt {
            resource: parts[0].as_str()?.to_owned(),
            attribute: parts[1].as_str()?.to_owned(),
            dotted_long_form: false,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(yaml: &str) -> Value {
        yaml_serde::from_str(yaml).unwrap()
    }

    fn get_att(resource: &str, attribute: &str, dotted_long_form: bool) -> Option<Intrinsic> {
        Some(Intrinsic::GetAtt {
            resource: resource.to_owned(),
            attribute: attribute.to_owned(),
            dotted_long_form,
        })
    }

    #[test]
    fn every_spelling_of_get_att_is_read() {
        assert_eq!(
            intrinsic(&value("!GetAtt Table.StreamArn")),
            get_att("Table", "StreamArn", false)
        );
        assert_eq!(
            intrinsic(&value("!GetAtt [Table, StreamArn]")),
            get_att("Table", "StreamArn", false)
        );
        assert_eq!(
            intrinsic(&value("Fn::GetAtt: [Table, StreamArn]")),
            get_att("Table", "StreamArn", false)
        );
        assert_eq!(
            intrinsic(&value("Fn::GetAtt:\n  - Table\n  - StreamArn")),
            get_att("Table", "StreamArn", false)
        );
        assert_eq!(
            intrinsic(&value("{'Fn::GetAtt': [Table, Arn]}")),
            get_att("Table", "Arn", false)
        );
        assert_eq!(
            intrinsic(&value("Fn::GetAtt: Table.StreamArn")),
            get_att("Table", "StreamArn", true)
        );
    }

    #[test]
    fn ref_is_read_and_other_values_are_not_intrinsics() {
        assert_eq!(
            intrinsic(&value("!Ref Table")),
            Some(Intrinsic::Ref("Table".to_owned()))
        );
        assert_eq!(
            intrinsic(&value("Ref: Table")),
            Some(Intrinsic::Ref("Table".to_owned()))
        );
        assert_eq!(
            intrinsic(&value("arn:aws:dynamodb:us-east-1:1:table/t/stream/x")),
            None
        );
        assert_eq!(intrinsic(&value("Fn::Join: ['', [a, b]]")), None);
    }
}
