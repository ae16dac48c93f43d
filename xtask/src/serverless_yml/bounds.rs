//! What xtask agrees to read as serverless.yml: a regular file of reasonable size, without
//! the nesting or alias counts that make a YAML parser run for minutes or fill the memory.
//! Real serverless.yml files are a few KB, shallow, and rarely use an alias.
//!
//! Two guards before the real parser (libyaml's, whose time grows with the square of the
//! nesting): a YAML parser of its own (saphyr's, which stops at a depth limit of its own),
//! counting nesting and aliases exactly as YAML reads them; and, where that one cannot read
//! the file to its end (a syntax error: the real parser then says where), a count of brackets
//! and aliases that errs on the side of counting too many.

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

/// Both guards: the exact count where YAML can be read to its end, else the cautious one.
fn check(text: &str) -> Result<()> {
    match structure(text)? {
        true => Ok(()),
        false => cautious_count(text),
    }
}

/// Nesting and aliases as YAML reads them (a block's nesting counts too); whether the whole
/// text could be read.
fn structure(text: &str) -> Result<bool> {
    use saphyr_parser::{Event, Parser};
    let (mut depth, mut aliases) = (0usize, 0usize);
    for event in Parser::new_from_str(text) {
        match event {
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), _)) => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    bail!("brackets nest more than {MAX_FLOW_DEPTH} deep; xtask reads at most {MAX_FLOW_DEPTH}");
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            Ok((Event::Alias(_), _)) => {
                aliases += 1;
                if aliases > MAX_ALIASES {
                    bail!("more than {MAX_ALIASES} aliases (*name); xtask reads at most {MAX_ALIASES}");
                }
            }
            Ok(_) => {}
            Err(_) => return Ok(false),
        }
    }
    Ok(true)
}

/// Flow nesting (`[[[...`) and alias uses (`*name`), counted outside quotes and comments,
/// never fewer than a parser would meet: a quote opens a quoted scalar only where a node
/// begins (after `: `, `- `, `? `, `[`, `{`, `,`, a tag or an anchor, or at the start of a
/// line), so an apostrophe inside a plain scalar (`it's`, `x 'y`) hides nothing; an escaped
/// quote does not close one; a quoted scalar that goes on past its line is counted as if it
/// ended there (more, never less).
fn cautious_count(text: &str) -> Result<()> {
    let (mut depth, mut deepest, mut aliases) = (0usize, 0usize, 0usize);
    for line in text.lines() {
        let mut quote = None;
        let mut previous = ' ';
        // The last character that was not a space, and the first of the last word.
        let (mut significant, mut word) = (None::<char>, None::<char>);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            let after_space = previous.is_whitespace() || matches!(previous, '[' | '{' | ',' | ':');
            let node_start = after_space
                && (matches!(significant, None | Some('[' | '{' | ',' | ':' | '-' | '?'))
                    || matches!(word, Some('!' | '&')));
            match (quote, c) {
                (Some('"'), '\\') => {
                    chars.next();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if node_start => quote = Some(c),
                (None, '#') if previous.is_whitespace() => break,
                (None, '[' | '{') => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                // An alias's name is anything up to a space or a flow indicator.
                (None, '*')
                    if after_space
                        && chars
                            .peek()
                            .is_some_and(|n| !n.is_whitespace() && !",[]{}".contains(*n)) =>
                {
                    aliases += 1
                }
                _ => {}
            }
            if !c.is_whitespace() {
                if previous.is_whitespace() || significant.is_none() {
                    word = Some(c);
                }
                significant = Some(c);
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
        assert!(format!("{:#}", check(&bomb).unwrap_err()).contains("aliases"));
        let escaped = format!("a: \"x\\\" {}\"\n", "[".repeat(100));
        assert!(
            check(&escaped).is_ok(),
            "inside a quoted scalar: not nesting"
        );
        let closed_early = format!("a: \"x\\\"\" {}\n", "[".repeat(100));
        assert!(check(&closed_early).is_err());
    }

    /// Found by an attack: a quote after a space inside a plain scalar (`x 'y`) is no quote,
    /// and an alias's name may start with `-`; both guards count them.
    #[test]
    fn a_quote_inside_a_plain_scalar_and_odd_alias_names_hide_nothing() {
        let hidden = format!("custom: {{d: [x 'y, {}]}}\n", "[".repeat(200_000));
        let started = std::time::Instant::now();
        assert!(format!("{:#}", check(&hidden).unwrap_err()).starts_with("brackets nest"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(cautious_count(&hidden).is_err(), "the cautious count alone");
        let aliases = format!("a: &-x 1\nb: [{}]\n", vec!["*-x"; 100].join(", "));
        assert!(check(&aliases).is_err());
        assert!(
            cautious_count(&aliases).is_err(),
            "the cautious count alone"
        );
        let ordinary = "a: it's fine\nb: [x 'y', 'z']\nc: !tag 'q [[['\nd: &anchor 'r [[['\n";
        assert!(cautious_count(ordinary).is_ok());
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused() {
        let deep = format!("a: {}", "[".repeat(100_000));
        assert!(format!("{:#}", check(&deep).unwrap_err()).starts_with("brackets nest"));
        let bomb = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1000),
            vec!["*a"; 5000].join(", ")
        );
        assert!(format!("{:#}", check(&bomb).unwrap_err()).contains("aliases"));
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
