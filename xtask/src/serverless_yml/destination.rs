//! Which local destination serverless.yml's `destinations: onFailure:` names, in any spelling
//! the Serverless Framework accepts (its schema: `type` is `sqs` or `sns`, and an intrinsic
//! `arn` needs one; an ARN written out needs none).

use super::{OnFailure, ServerlessYml};
use local_cloud::lambda::destination::{DestinationKind, DestinationName};

/// The local queue, topic or bucket an on-failure destination is: an SQS queue or SNS
/// topic of the resources (by its `QueueName` or `TopicName`, else its logical id), or one
/// named by its ARN (an S3 bucket's too: the framework takes a bucket only by its ARN
/// written out); else why it cannot be here.
pub fn of(yml: &ServerlessYml, on_failure: &OnFailure) -> Result<DestinationName, String> {
    let kind = match on_failure.kind.as_deref() {
        None => None,
        Some("sqs") => Some(DestinationKind::Queue),
        Some("sns") => Some(DestinationKind::Topic),
        Some(other) => {
            return Err(format!(
                "type {other}: the framework takes `type: sqs` or `type: sns` (an S3 bucket \
                 by its ARN written out, with no type): what the stream skips is lost locally"
            ))
        }
    };
    let named = |kind, name: &str| DestinationName {
        kind,
        name: name.to_owned(),
    };
    if let Some(arn) = &on_failure.literal_arn {
        // `arn:aws:sqs:REGION:ACCOUNT:NAME`, `arn:aws:sns:...:NAME`, `arn:aws:s3:::NAME`
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let found = match parts.as_slice() {
            ["arn", _, "sqs", _, _, name] => named(DestinationKind::Queue, name),
            ["arn", _, "sns", _, _, name] => named(DestinationKind::Topic, name),
            ["arn", _, "s3", "", "", name] if !name.contains('/') => {
                named(DestinationKind::Bucket, name)
            }
            _ => {
                return Err(format!(
                    "{arn} is not the ARN of an SQS queue, SNS topic or S3 bucket: what the \
                     stream skips is lost locally"
                ))
            }
        };
        return match kind {
            Some(kind) if kind != found.kind => Err(format!(
                "{arn} is an {} ARN, but its type says {}: what the stream skips is lost \
                 locally",
                found.kind.noun(),
                kind.noun()
            )),
            _ => Ok(found),
        };
    }
    let Some(id) = on_failure.resource() else {
        return Err("its arn is neither written out nor a resource of serverless.yml".to_owned());
    };
    let Some(resource) = yml.resource(id) else {
        return Err(format!("resources has no {id}"));
    };
    let property = |name: &str| {
        resource
            .get("Properties")
            .and_then(|p| p.get(name))
            .and_then(|name| name.as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let found = match resource.get("Type").and_then(|t| t.as_str()) {
        Some("AWS::SQS::Queue") => named(DestinationKind::Queue, &property("QueueName")),
        Some("AWS::SNS::Topic") => named(DestinationKind::Topic, &property("TopicName")),
        _ => {
            return Err(format!(
                "{id} is neither an AWS::SQS::Queue nor an AWS::SNS::Topic: what the stream \
                 skips is lost locally"
            ))
        }
    };
    match kind {
        Some(kind) if kind != found.kind => Err(format!(
            "{id} is a {}, but its type says {}: what the stream skips is lost locally",
            found.kind.noun(),
            kind.noun()
        )),
        _ => Ok(found),
    }
}
