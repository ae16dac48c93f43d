//! A function's `environment` from serverless.yml, resolved the way the deployed stack would
//! resolve it, for a local run: `!Ref Table` is the local table's name, and the few framework
//! variables the steps use get their local values.

use anyhow::{bail, Result};
use yaml_serde::Value;

use super::{intrinsic, Function, Intrinsic, ServerlessYml};

/// What the references in serverless.yml mean locally.
#[derive(Debug, Clone)]
pub struct LocalNames<'a> {
    pub service: &'a str,
    pub stage: &'a str,
    pub region: &'a str,
    /// The table's logical id and its local name.
    pub table: (&'a str, &'a str),
}

/// `provider.environment` and then the function's own `environment` (which wins).
pub fn function_environment(
    yml: &ServerlessYml,
    function: &Function<'_>,
    names: &LocalNames<'_>,
) -> Result<Vec<(String, String)>> {
    let provider = yml.provider_environment();
    let own = function.environment();
    let mut resolved: Vec<(String, String)> = Vec::new();
    for mapping in [provider, own]
        .into_iter()
        .flatten()
        .filter_map(Value::as_mapping)
    {
        for (key, value) in mapping {
            let Some(key) = key.as_str() else { continue };
            check_key(key).map_err(|why| {
                anyhow::anyhow!(
                    "environment variable {key:?} of function {}: {why}",
                    function.name
                )
            })?;
            let value = resolve(value, names).map_err(|error| {
                anyhow::anyhow!(
                    "environment variable {key} of function {}: {error}",
                    function.name
                )
            })?;
            resolved.retain(|(existing, _)| existing != key);
            resolved.push((key.to_owned(), value));
        }
    }
    Ok(resolved)
}

/// The keys Lambda sets itself and refuses in a function's configuration (AWS Lambda developer
/// guide, "Working with Lambda environment variables": defined runtime environment variables).
const RESERVED: [&str; 19] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
];

/// A key Lambda takes (its API's pattern, `[a-zA-Z]([a-zA-Z0-9_])+`), not one it reserves;
/// else Lambda's words for the refusal.
fn check_key(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let pattern = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && key.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !pattern {
        return Err(
            "Lambda refuses it: a key must satisfy the regular expression pattern \
                    [a-zA-Z]([a-zA-Z0-9_])+"
                .to_owned(),
        );
    }
    if RESERVED.contains(&key) {
        return Err(format!(
            "Lambda refuses it: \"Lambda was unable to configure your environment variables \
             because the environment variables you have provided contains reserved keys that \
             are currently not supported for modification. Reserved keys used in this \
             request: {key}\""
        ));
    }
    Ok(())
}

fn resolve(value: &Value, names: &LocalNames<'_>) -> Result<String> {
    if let Some(reference) = intrinsic(value) {
        return match reference {
            Intrinsic::Ref(id) if id == names.table.0 => Ok(names.table.1.to_owned()),
            Intrinsic::GetAtt {
                resource,
                attribute,
                ..
            } if resource == names.table.0 => Ok(format!(
                "arn:aws:dynamodb:{}:123456789012:table/{}{}",
                names.region,
                names.table.1,
                if attribute == "Arn" {
                    ""
                } else {
                    "/stream/local"
                }
            )),
            other => bail!("{other:?} names a resource the local deployment does not create"),
        };
    }
    match value {
        Value::String(text) => variables(text, names),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => bail!(
            "only strings, numbers, booleans and !Ref {} are understood here",
            names.table.0
        ),
    }
}

/// Replaces the framework variables the steps use: `${sls:stage}`, `${opt:stage, ...}`,
/// `${self:service}`, `${self:provider.region}`, `${env:NAME}` and `${env:NAME, 'default'}`.
pub fn variables(text: &str, names: &LocalNames<'_>) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            bail!("unclosed variable in {text:?}");
        };
        let variable = &rest[start + 2..start + end];
        out.push_str(&variable_value(variable, names)?);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn variable_value(variable: &str, names: &LocalNames<'_>) -> Result<String> {
    let mut sources = variable.split(',').map(str::trim);
    let first = sources.next().unwrap_or_default();
    let fallback = sources
        .next()
        .map(|s| s.trim_matches(['\'', '"']).to_owned());
    let value = match first {
        "sls:stage" | "self:provider.stage" => Some(names.stage.to_owned()),
        source if source.starts_with("opt:stage") => Some(names.stage.to_owned()),
        "self:service" => Some(names.service.to_owned()),
        "self:provider.region" | "aws:region" => Some(names.region.to_owned()),
        source if source.starts_with("env:") => std::env::var(&source[4..]).ok(),
        other => {
            bail!("the variable ${{{other}}} is not one `cargo xtask deploy --local` can resolve")
        }
    };
    match value.or(fallback) {
        Some(value) => Ok(value),
        None => bail!("${{{variable}}} has no value here and no default"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const NAMES: LocalNames<'static> = LocalNames {
        service: "user-management-service",
        stage: "local",
        region: "us-east-1",
        table: ("Table", "user-management-service-local-Table"),
    };

    #[test]
    fn ref_and_variables_resolve_and_functions_override_the_provider() {
        let yml = ServerlessYml::parse(
            Path::new("serverless.yml"),
            "provider:\n  environment:\n    TABLE_NAME: !Ref Table\n    MODE: shared\n    STAGE: ${sls:stage}-${self:service}\n\
             functions:\n  f:\n    handler: x\n    environment:\n      MODE: own\n      LEVEL: ${env:XTASK_TEST_UNSET_VARIABLE, 'info'}\n",
        )
        .unwrap();
        let function = yml.functions()[0];
        let environment = function_environment(&yml, &function, &NAMES).unwrap();
        assert_eq!(
            environment,
            [
                ("TABLE_NAME", "user-management-service-local-Table"),
                ("STAGE", "local-user-management-service"),
                ("MODE", "own"),
                ("LEVEL", "info"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn what_cannot_be_resolved_is_named() {
        let error = variables("${ssm:/secret}", &NAMES).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the variable ${ssm:/secret} is not one `cargo xtask deploy --local` can resolve"
        );
    }
}
