//! What a check finds, and how the checklist prints it.

use std::fmt::Write as _;

/// The things a step asks for, in the order of its README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    Parses,
    Stream,
    Function,
    Builds,
    Handler,
    Failures,
    Destination,
    Tests,
    /// Never fails, warns: `cargo xtask test` (and CI) refuse unformatted code.
    Formatted,
}

impl Item {
    /// In the README's order (its sections 1, 2, 6, 7 and 8).
    pub const ALL: [Item; 9] = [
        Item::Parses,
        Item::Stream,
        Item::Function,
        Item::Builds,
        Item::Handler,
        Item::Failures,
        Item::Destination,
        Item::Tests,
        Item::Formatted,
    ];
    /// The items that need no build: `--only config`.
    pub const CONFIG: [Item; 4] = [
        Item::Parses,
        Item::Stream,
        Item::Function,
        Item::Destination,
    ];

    /// Its short name, for `--all`'s summary and the tests.
    pub fn name(self) -> &'static str {
        match self {
            Item::Parses => "parses",
            Item::Stream => "stream",
            Item::Function => "function",
            Item::Destination => "destination",
            Item::Builds => "builds",
            Item::Handler => "handler",
            Item::Failures => "failures",
            Item::Tests => "tests",
            Item::Formatted => "formatted",
        }
    }

    /// The section of the step's README that this item is about, when it has one.
    pub fn readme_section(self) -> Option<&'static str> {
        match self {
            Item::Parses | Item::Stream => Some("1, \"Turn on the stream\""),
            Item::Function => Some("2, \"Add the stream function\""),
            Item::Builds | Item::Handler => Some("6, \"Handle the records in Rust\""),
            Item::Failures => Some("7, \"A record the function cannot handle\""),
            Item::Destination => Some("8, \"Keep what the stream skips\""),
            Item::Tests | Item::Formatted => None,
        }
    }

    /// Whether it can fail (a ✗), or only warn.
    pub fn can_fail(self) -> bool {
        self != Item::Formatted
    }

    /// The checklist line.
    pub fn title(self) -> &'static str {
        match self {
            Item::Parses => "serverless.yml parses",
            Item::Stream => "the table has a stream with new and old images",
            Item::Function => "a function runs stream.handler on the table's stream",
            Item::Destination => "what the stream skips goes to an on-failure destination",
            Item::Builds => "the step builds",
            Item::Handler => "the stream handler logs each change as plain values",
            Item::Failures => "the stream handler reports the records it cannot handle",
            Item::Tests => "the step's tests pass",
            Item::Formatted => "the step's code is formatted as `cargo fmt` formats it",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    /// Passes, with something worth knowing.
    Warn,
    /// Not checked: something it needs failed first.
    Skipped,
}

/// One line of the checklist, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: Item,
    pub status: Status,
    pub text: String,
    /// Lines under it: what is wrong and what to change where.
    pub hint: Vec<String>,
    /// The matching part of the reference, printed only on request (`--solution`): learners
    /// try before they see the answer.
    pub diff: Option<String>,
}

impl Finding {
    pub fn pass(item: Item) -> Self {
        Self::new(item, Status::Pass, item.title(), Vec::new())
    }

    pub fn fail(item: Item, hint: impl Into<String>) -> Self {
        Self::new(item, Status::Fail, item.title(), vec![hint.into()])
    }

    pub fn warn(item: Item, text: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(item, Status::Warn, text, vec![hint.into()])
    }

    pub fn skipped(item: Item, why: impl Into<String>) -> Self {
        Self::new(item, Status::Skipped, item.title(), vec![why.into()])
    }

    fn new(item: Item, status: Status, text: impl Into<String>, hint: Vec<String>) -> Self {
        Self {
            item,
            status,
            text: text.into(),
            hint,
            diff: None,
        }
    }

    pub fn with_diff(mut self, diff: Option<String>) -> Self {
        self.diff = diff;
        self
    }

    pub fn fails(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Skipped)
    }

    pub fn warns(&self) -> bool {
        self.status == Status::Warn
    }

    /// The finding as the checklist prints it.
    pub fn render(&self) -> String {
        let mark = match self.status {
            Status::Pass => "✓",
            Status::Fail => "✗",
            Status::Warn => "⚠",
            Status::Skipped => "-",
        };
        let mut out = format!("  {mark} {}\n", self.text);
        for line in self.hint.iter().flat_map(|hint| hint.lines()) {
            let _ = writeln!(out, "      {line}");
        }
        if let Some(diff) = &self.diff {
            let _ = writeln!(out, "      the solution (7-finish) has:");
            for line in diff.lines() {
                let _ = writeln!(out, "        {line}");
            }
        }
        out
    }
}
