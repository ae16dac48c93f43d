//! serverless.yml that does not parse: where, what, and the line to fix.

use std::fmt;
use std::path::{Path, PathBuf};

/// serverless.yml that does not parse, with where and the offending line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub source_line: Option<String>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(source), Some(column)) = (&self.source_line, self.column) {
            write!(
                f,
                "\n    {source}\n    {}^",
                " ".repeat(column.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

impl YamlError {
    pub fn not_a_mapping(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            line: None,
            column: None,
            message: "the file is not a YAML mapping (service:, provider:, functions: ...)"
                .to_owned(),
            source_line: None,
        }
    }

    /// The parser's error, located at the line to fix.
    pub fn from_parser(path: &Path, text: &str, error: &yaml_serde::Error) -> Self {
        let location = error.location();
        let mut line = location.as_ref().map(|l| l.line());
        let mut column = location.as_ref().map(|l| l.column());
        // The location is shown once, in front.
        let mut message = error.to_string();
        if let Some(at) = message.rfind(" at line ").filter(|_| location.is_some()) {
            message.truncate(at);
        }
        // The parser puts a duplicate key at the start of its mapping; the line to fix is the
        // key's second occurrence.
        if let (Some(key), Some(start), Some(indent)) = (
            duplicate_key(&message),
            line,
            column.map(|c| c.saturating_sub(1)),
        ) {
            if let Some((first, second)) = occurrences(text, start, indent, &key) {
                let within = message
                    .split_once(": duplicate entry")
                    .map(|(path, _)| format!(" of {path}"))
                    .unwrap_or_default();
                message = format!(
                    "`{key}` appears a second time in the same mapping{within} (first at \
                     line {first}): a key may appear once there; merge the two into one"
                );
                line = Some(second);
                column = Some(indent + 1);
            }
        }
        Self {
            path: path.to_owned(),
            line,
            column,
            message,
            source_line: line
                .and_then(|n| text.lines().nth(n.checked_sub(1)?))
                .map(str::to_owned),
        }
    }
}

/// The key of yaml_serde's `duplicate entry with key "functions"` (after the mapping's path,
/// `functions.stream: `, when it is nested).
fn duplicate_key(message: &str) -> Option<String> {
    let at = message.find("duplicate entry with key ")?;
    let rest = &message[at + "duplicate entry with key ".len()..];
    Some(rest.trim().trim_matches('"').to_owned())
}

/// The first two lines (1-based) from `start` on that hold `key:` at `indent` spaces.
fn occurrences(text: &str, start: usize, indent: usize, key: &str) -> Option<(usize, usize)> {
    let mut found = text
        .lines()
        .enumerate()
        .skip(start.saturating_sub(1))
        .filter(|(_, line)| {
            let content = &line[line.len() - line.trim_start().len()..];
            line.len() - content.len() == indent
                && [key.to_owned(), format!("\"{key}\""), format!("'{key}'")]
                    .iter()
                    .any(|k| {
                        content
                            .strip_prefix(k.as_str())
                            .is_some_and(|rest| rest.trim_start().starts_with(':'))
                    })
        })
        .map(|(index, _)| index + 1);
    Some((found.next()?, found.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> YamlError {
        let error = yaml_serde::from_str::<yaml_serde::Value>(text).unwrap_err();
        YamlError::from_parser(Path::new("serverless.yml"), text, &error)
    }

    #[test]
    fn a_duplicate_key_points_at_its_second_occurrence() {
        let text = "service: x\nfunctions:\n  a:\n    handler: a\nprovider:\n  name: aws\nfunctions:\n  b:\n    handler: b\n";
        let error = parse(text);
        assert_eq!((error.line, error.column), (Some(7), Some(1)), "{error}");
        assert_eq!(error.source_line.as_deref(), Some("functions:"));
        assert!(error.message.contains("first at line 2"), "{error}");
    }

    #[test]
    fn a_nested_duplicate_key_points_at_its_second_occurrence() {
        let text = "service: x\nfunctions:\n  stream:\n    handler: stream.handler\n    events: []\n    handler: other\n";
        let error = parse(text);
        assert_eq!((error.line, error.column), (Some(6), Some(5)), "{error}");
    }

    #[test]
    fn a_yaml_error_names_line_column_and_the_line() {
        let text = "service: x\nprovider:\n  name: aws\n   runtime: bad\n";
        let error = parse(text);
        assert_eq!(error.line, Some(4));
        assert_eq!(error.source_line.as_deref(), Some("   runtime: bad"));
        assert!(
            error.to_string().starts_with("serverless.yml:4:"),
            "{error}"
        );
    }
}
