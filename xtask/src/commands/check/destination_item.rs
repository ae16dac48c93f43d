//! Item 4: the stream event's on-failure destination (README step 9), read from serverless.yml
//! in any spelling the Serverless Framework accepts.

use yaml_serde::Value;

use super::config_items::{stream_event, STREAM_HANDLER};
use super::report::{Finding, Item};
use crate::serverless_yml::destination::{self, NoDestination};
use crate::serverless_yml::{Intrinsic, OnFailure, ServerlessYml};

const STEP_9: &str = "README, \"Keep what the stream skips\"";

/// Item 4: the stream event's on-failure destination, an SQS queue (or an SNS topic, or an S3
/// bucket by its ARN) that keeps word of the records the retries give up on.
pub fn check(yml: &ServerlessYml) -> Finding {
    let item = Item::Destination;
    let fail = |hint: String| Finding::fail(item, hint);
    let table = yml.users_table().map_or("Table", |(id, _)| id);
    let stream_function = yml.functions().into_iter().find(|function| {
        function.handler() == Some(STREAM_HANDLER) && stream_event(function, table).is_ok()
    });
    let Some(function) = stream_function else {
        return Finding::skipped(item, "the stream function comes first (the item above)");
    };
    let Some(event) = function.dynamodb_streams().into_iter().next() else {
        return Finding::skipped(item, "the stream function comes first (the item above)");
    };
    let name = function.name;
    if event.settings.on_failure.is_none() && function.definition.get("destinations").is_some() {
        return fail(format!(
            "the `destinations:` block is under the function {name}, where it is for the \
             function's asynchronous invocations, which a stream never makes: move it under \
             the stream event, beside its `arn:` and `functionResponseType:` ({STEP_9})"
        ));
    }
    let Some(on_failure) = event.settings.on_failure else {
        return fail(format!(
            "the stream event of {name} has no on-failure destination: after its last retry \
             Lambda drops a record for good. Give the event `destinations: onFailure:` with \
             the ARN of an SQS queue of resources (`arn: !GetAtt SkippedRecords.Arn`, `type: \
             sqs`) ({STEP_9})"
        ));
    };
    match on_failure.kind.as_deref() {
        Some("sqs" | "sns") | None => {}
        Some(other) => {
            return fail(format!(
                "onFailure has `type: {other}`: a stream event's on-failure destination is an \
                 SQS queue (`type: sqs`) or an SNS topic (`type: sns`) ({STEP_9})"
            ))
        }
    }
    match &on_failure.literal_arn {
        Some(arn) => written_out(yml, &on_failure, arn),
        None => by_intrinsic(yml, &on_failure),
    }
}

/// An on-failure ARN written out as text: an ARN, of a service that agrees with `type`.
fn written_out(yml: &ServerlessYml, on_failure: &OnFailure, arn: &str) -> Finding {
    let fail = |hint: String| Finding::fail(Item::Destination, hint);
    if !arn.starts_with("arn:") {
        let queue = match yml.resource(arn) {
            Some(_) => arn,
            None => "SkippedRecords",
        };
        return fail(format!(
            "onFailure is the name {arn:?}, not an ARN: Lambda needs the queue's ARN. Write \
             `arn: !GetAtt {queue}.Arn` and `type: sqs` under `onFailure:` ({STEP_9})"
        ));
    }
    let service = arn.split(':').nth(2).unwrap_or_default();
    match (service, on_failure.kind.as_deref()) {
        ("sqs", None | Some("sqs")) | ("sns", None | Some("sns")) | ("s3", None) => {
            refused_or_pass(yml, on_failure)
        }
        ("sqs" | "sns" | "s3", Some(kind)) => fail(format!(
            "onFailure's arn is an {} ARN, but its type is {kind}: make them agree (a \
             bucket's ARN goes without a type)",
            service.to_uppercase()
        )),
        _ => fail(format!(
            "onFailure's arn {arn:?} is not the ARN of an SQS queue, SNS topic or S3 bucket \
             ({STEP_9})"
        )),
    }
}

/// An on-failure ARN from an intrinsic: of a resource of the template, of the kind `type`
/// says, by the attribute that gives its ARN.
fn by_intrinsic(yml: &ServerlessYml, on_failure: &OnFailure) -> Finding {
    let fail = |hint: String| Finding::fail(Item::Destination, hint);
    let Some(resource_id) = on_failure.resource() else {
        return fail(format!(
            "onFailure has no `arn`: give it the queue's ARN, `arn: !GetAtt SkippedRecords.Arn` \
             ({STEP_9})"
        ));
    };
    let Some(kind) = on_failure.kind.as_deref() else {
        return fail(format!(
            "onFailure's arn comes from {resource_id} (an intrinsic): the framework cannot tell \
             from it whether that is a queue or a topic, and refuses it: add `type: sqs` beside \
             the arn ({STEP_9})"
        ));
    };
    let Some(resource) = yml.resource(resource_id) else {
        return fail(format!(
            "onFailure's arn names {resource_id}, which is not under resources.Resources: add \
             the queue there (`{resource_id}: {{Type: AWS::SQS::Queue}}`) ({STEP_9})"
        ));
    };
    let resource_type = resource.get("Type").and_then(Value::as_str).unwrap_or("?");
    match (kind, resource_type, &on_failure.arn) {
        ("sqs", "AWS::SQS::Queue", Some(Intrinsic::GetAtt { attribute, .. }))
            if attribute == "Arn" =>
        {
            refused_or_pass(yml, on_failure)
        }
        ("sqs", "AWS::SQS::Queue", Some(Intrinsic::Ref(_))) => fail(format!(
            "`!Ref {resource_id}` is the queue's URL, not its ARN: use `!GetAtt \
             {resource_id}.Arn`"
        )),
        ("sqs", "AWS::SQS::Queue", _) => fail(format!(
            "onFailure's arn must be the queue's ARN: `!GetAtt {resource_id}.Arn`"
        )),
        ("sns", "AWS::SNS::Topic", Some(Intrinsic::Ref(_))) => refused_or_pass(yml, on_failure),
        ("sns", "AWS::SNS::Topic", _) => fail(format!("a topic's ARN is `!Ref {resource_id}`")),
        (kind, other, _) => fail(format!(
            "onFailure says `type: {kind}`, but {resource_id} is an {other}: a queue is \
             AWS::SQS::Queue with `type: sqs`, a topic AWS::SNS::Topic with `type: sns`"
        )),
    }
}

/// A destination spelled right passes, unless the deploy would fail on it all the same (a name
/// the service refuses, a bucket ARN with a path): `deploy --local` refuses the same.
fn refused_or_pass(yml: &ServerlessYml, on_failure: &OnFailure) -> Finding {
    match destination::of(yml, on_failure) {
        Err(NoDestination::Refused(why)) => {
            Finding::fail(Item::Destination, format!("{why} ({STEP_9})"))
        }
        _ => Finding::pass(Item::Destination),
    }
}
