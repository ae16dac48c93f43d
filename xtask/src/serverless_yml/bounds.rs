//! What xtask agrees to read as serverless.yml: a regular file of reasonable size, without
//! the nesting or alias counts that make a YAML parser run for minutes or fill the memory.
//! Real serverless.yml files are a few KB, shallow, and rarely use an alias.

use std::path::Path;

use anyhow::{bail, Context, Result};

const MAX_BYTES: u64 = 512 * 1024;
const MAX_FLOW_DEPTH: usize = 64;
const MAX_ALIASES: usize = 64;

/// Reads the file if it is one xtask can parse safely.
pub fn read(path: &Path) -> Result<String> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !metadata.is_file() {
        bail!(
            "{} is not a regular file (a pipe or a device cannot be read as one)",
            path.display()
        );
    }
    if metadata.len() > MAX_BYTES {
        bail!(
            "{} is {} KB: a serverless.yml is a few KB, xtask reads at most {} KB",
            path.display(),
            metadata.len() / 1024,
            MAX_BYTES / 1024
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    check(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok(text)
}

/// Flow nesting (`[[[...`) and alias uses (`*name`), counted outside quotes and comments.
/// Never fewer than the parser would meet: a quote opens a quoted scalar only where YAML lets
/// one begin (after a space or `[`, `{`, `,`), so `it's` hides nothing; an escaped quote does
/// not close one; a quoted scalar that goes on past its line is counted as if it ended there
/// (more, never less).
fn check(text: &str) -> Result<()> {
    let (mut depth, mut deepest, mut aliases) = (0usize, 0usize, 0usize);
    for line in text.lines() {
        let mut quote = None;
        let mut previous = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            let token_start = previous.is_whitespace() || matches!(previous, '[' | '{' | ',');
            match (quote, c) {
                (Some('"'), '\\') => {
                    chars.next();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if token_start => quote = Some(c),
                (None, '#') if previous.is_whitespace() => break,
                (None, '[' | '{') => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                (None, '*')
                    if (token_start || previous == ':')
                        && chars
                            .peek()
                            .is_some_and(|n| n.is_alphanumeric() || *n == '_') =>
                {
                    aliases += 1
                }
                _ => {}
            }
            previous = c;
        }
    }
    if deepest > MAX_FLOW_DEPTH {
        bail!("brackets nest {deepest} deep; xtask reads at most {MAX_FLOW_DEPTH}");
    }
    if aliases > MAX_ALIASES {
        bail!("{aliases} aliases (*name); xtask reads at most {MAX_ALIASES}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_yaml_passes() {
        let text = "a: [1, {b: '[[['}]  # [[[\nc: &x 1\nd: *x\ne: \"*not an alias\"\nf: 2*3\n";
        assert!(check(text).is_ok());
    }

    /// A quote that is not one (`x'`, an apostrophe in a plain scalar) hides nothing after it.
    #[test]
    fn a_stray_quote_hides_no_bomb() {
        let deep = format!("a: [x', {}", "[".repeat(100_000));
        assert!(format!("{:#}", check(&deep).unwrap_err()).starts_with("brackets nest"));
        let bomb = format!(
            "a: &a {}\nb: [x', {}]\n",
            "x".repeat(1000),
            vec!["*a"; 5000].join(", ")
        );
        assert!(format!("{:#}", check(&bomb).unwrap_err()).starts_with("5000 aliases"));
        let escaped = format!("a: \"x\\\" {}\"\n", "[".repeat(100));
        assert!(
            check(&escaped).is_ok(),
            "inside a quoted scalar: not nesting"
        );
        let closed_early = format!("a: \"x\\\"\" {}\n", "[".repeat(100));
        assert!(check(&closed_early).is_err());
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused() {
        let deep = format!("a: {}", "[".repeat(100_000));
        assert!(format!("{:#}", check(&deep).unwrap_err()).starts_with("brackets nest 100000 deep"));
        let bomb = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1000),
            vec!["*a"; 5000].join(", ")
        );
        assert!(format!("{:#}", check(&bomb).unwrap_err()).starts_with("5000 aliases"));
    }

    /// Unix only: Windows has no pipe that lives in a directory (its named pipes are under
    /// `\\.\pipe\`, never a step's serverless.yml), so nothing stands for this test there.
    #[cfg(unix)]
    #[test]
    fn a_pipe_is_not_read() {
        let dir = crate::project::xtask_dir().join(format!("fifo-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("serverless.yml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|status| status.success()),
            "mkfifo (coreutils) made no pipe"
        );
        let error = format!("{:#}", read(&fifo).unwrap_err());
        assert!(
            error.ends_with("is not a regular file (a pipe or a device cannot be read as one)"),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
