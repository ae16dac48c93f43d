//! CloudFormation intrinsic functions in serverless.yml, however they are spelled:
//! `!GetAtt Table.StreamArn` (a tagged value), `Fn::GetAtt: [Table, StreamArn]`, `!Ref Table`...

use yaml_serde::Value;

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
