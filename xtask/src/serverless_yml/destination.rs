//! Which local destination serverless.yml's `destinations: onFailure:` names, in any spelling
//! the Serverless Framework accepts (its schema: `type` is `sqs` or `sns`, and an intrinsic
//! `arn` needs one; an ARN written out needs none), and what AWS would refuse of it.

mod names;

use super::{OnFailure, ServerlessYml};
use local_cloud::lambda::destination::{DestinationKind, DestinationName};

/// Why an on-failure destination is not kept locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoDestination {
    /// The deploy would fail on it (the framework's schema, a type that disagrees with the
    /// ARN, a name the service refuses): a local start refuses it too.
    Refused(String),
    /// It deploys, but nothing here can keep what it would (another service, an ARN built
    /// from variables, a resource that is not a queue or a topic).
    NotHere(String),
}

impl NoDestination {
    pub fn why(&self) -> &str {
        match self {
            NoDestination::Refused(why) | NoDestination::NotHere(why) => why,
        }
    }
}

/// The local queue, topic or bucket an on-failure destination is: an SQS queue or SNS topic
/// of the resources (by its `QueueName` or `TopicName`, else its logical id), or one named by
/// its ARN (an S3 bucket's too: the framework takes a bucket only by its ARN written out).
pub fn of(yml: &ServerlessYml, on_failure: &OnFailure) -> Result<DestinationName, NoDestination> {
    let kind = match on_failure.kind.as_deref() {
        None => None,
        Some("sqs") => Some(DestinationKind::Queue),
        Some("sns") => Some(DestinationKind::Topic),
        Some(other) => {
            return Err(NoDestination::Refused(format!(
                "`type: {other}`: the framework takes `type: sqs` or `type: sns` (an S3 bucket \
                 by its ARN written out, with no type)"
            )))
        }
    };
    let (found, what) = match &on_failure.literal_arn {
        Some(arn) => (named_by_arn(arn)?, arn.clone()),
        None => named_by_resource(yml, on_failure)?,
    };
    if let Some(kind) = kind.filter(|kind| *kind != found.kind) {
        return Err(NoDestination::Refused(format!(
            "{what} is {}, but its `type` says {}: the framework gives the function the rights \
             `type` names. Make them agree: `type: sqs` for a queue, `type: sns` for a topic, no \
             type for a bucket's ARN",
            found.kind.a_noun(),
            kind.noun()
        )));
    }
    let refused = match found.kind {
        DestinationKind::Queue => names::queue_name(&found.name),
        DestinationKind::Topic => names::topic_name(&found.name),
        DestinationKind::Bucket => names::bucket_name(&found.name),
    };
    match refused {
        Some(why) => Err(NoDestination::Refused(why)),
        None => Ok(found),
    }
}

/// `arn:aws:sqs:REGION:ACCOUNT:NAME`, `arn:aws:sns:REGION:ACCOUNT:NAME`, `arn:aws:s3:::NAME`;
/// a region or account may be a variable (`${aws:region}`), whose `:` the name never has.
fn named_by_arn(arn: &str) -> Result<DestinationName, NoDestination> {
    let mut parts = arn.splitn(4, ':');
    let (prefix, _partition, service) = (parts.next(), parts.next(), parts.next());
    let rest = parts.next().unwrap_or("");
    let kind = match (prefix, service) {
        (Some("arn"), Some("sqs")) => DestinationKind::Queue,
        (Some("arn"), Some("sns")) => DestinationKind::Topic,
        (Some("arn"), Some("s3")) => DestinationKind::Bucket,
        _ => {
            return Err(NoDestination::NotHere(format!(
                "{arn} is not the ARN of an SQS queue, SNS topic or S3 bucket: what the stream \
                 skips is lost locally"
            )))
        }
    };
    let name = match kind {
        DestinationKind::Bucket => rest.strip_prefix("::").unwrap_or(rest),
        _ => rest.rsplit(':').next().unwrap_or(rest),
    };
    Ok(DestinationName {
        kind,
        name: name.to_owned(),
    })
}

/// The queue or topic of the resources an intrinsic names, and how to name it in a line.
fn named_by_resource(
    yml: &ServerlessYml,
    on_failure: &OnFailure,
) -> Result<(DestinationName, String), NoDestination> {
    let Some(id) = on_failure.resource() else {
        return Err(NoDestination::NotHere(
            "its arn is neither written out nor a resource of serverless.yml".to_owned(),
        ));
    };
    let Some(resource) = yml.resource(id) else {
        return Err(NoDestination::NotHere(format!("resources has no {id}")));
    };
    let property = |name: &str| {
        resource
            .get("Properties")
            .and_then(|p| p.get(name))
            .and_then(|name| name.as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let (kind, name) = match resource.get("Type").and_then(|t| t.as_str()) {
        Some("AWS::SQS::Queue") => (DestinationKind::Queue, property("QueueName")),
        Some("AWS::SNS::Topic") => (DestinationKind::Topic, property("TopicName")),
        _ => {
            return Err(NoDestination::NotHere(format!(
                "{id} is neither an AWS::SQS::Queue nor an AWS::SNS::Topic: what the stream \
                 skips is lost locally"
            )))
        }
    };
    Ok((DestinationName { kind, name }, id.to_owned()))
}
