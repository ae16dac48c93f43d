//! What AWS refuses at deploy, refused at a local start in AWS's words: a local run must not
//! accept what the learner's deploy would fail on. Names matter twice here: each becomes a
//! file name of the step's local state (made safe all the same, `tools::files`).

use crate::serverless_yml::ServerlessYml;

/// Lambda's function names (its API's pattern, the framework's `SERVICE-STAGE-KEY` in full):
/// letters, digits, `-` and `_`, at most 64 characters.
pub fn function_name(service: &str, stage: &str, key: &str) -> Option<String> {
    let full = format!("{service}-{stage}-{key}");
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if key.is_empty() || !full.chars().all(allowed) {
        return Some(format!(
            "function {key:?}: Lambda refuses its name {full:?}: a function name must satisfy \
             the regular expression pattern [a-zA-Z0-9-_]+ (the framework names it \
             SERVICE-STAGE-KEY)"
        ));
    }
    if full.len() > 64 {
        return Some(format!(
            "function {key:?}: Lambda refuses its name {full:?}: a function name is at most 64 \
             characters (the framework names it SERVICE-STAGE-KEY; AWS's stages are longer than \
             `local`, so keep room)"
        ));
    }
    None
}

/// Every refusal of `yml`'s function names, for the local stage (its destinations' names are
/// refused where they are read: `serverless_yml::destination`).
pub fn of(yml: &ServerlessYml) -> Vec<String> {
    let service = yml.service().unwrap_or("service");
    yml.functions()
        .iter()
        .filter_map(|function| function_name(service, "local", function.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_aws_refuses_are_refused() {
        assert_eq!(function_name("svc", "local", "stream"), None);
        for key in ["../../../../tmp/x", "/tmp/precious", "a b", ""] {
            assert!(function_name("svc", "local", key).is_some(), "{key}");
        }
        assert!(function_name("svc", "local", &"x".repeat(60)).is_some());
    }
}
