//! What a deployment's start made of the last run's table, as the start-up line says it.

use std::path::PathBuf;

/// What became of the last run's table, for the start-up line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableStart {
    /// No earlier table: a new one.
    New,
    /// The last run's table, with its items.
    Kept { items: u64 },
    /// `--fresh`: the last run's table dropped.
    Fresh,
    /// serverless.yml describes another table (keys, billing...): a new one; the last run's is
    /// kept at `kept`.
    Replaced { kept: PathBuf },
    /// serverless.yml describes a table put aside earlier: brought back from `from`; the last
    /// run's is kept at `kept`.
    Restored {
        from: PathBuf,
        kept: PathBuf,
        items: u64,
    },
    /// The last run's file could not be read as a table (`why`): a new one; the file is kept.
    Unreadable { kept: PathBuf, why: String },
    /// The table had been deleted from the local DynamoDB (by one of its clients): a new one.
    Vanished,
}

impl std::fmt::Display for TableStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items = |n: &u64| match n {
            1 => "1 item".to_owned(),
            n => format!("{n} items"),
        };
        match self {
            TableStart::New => write!(f, "new table"),
            TableStart::Kept { items: n } => write!(f, "table kept: {}", items(n)),
            TableStart::Fresh => write!(f, "new table (--fresh: the last run's table is gone)"),
            TableStart::Replaced { kept } => write!(
                f,
                "new table: serverless.yml describes another table than the last run's (keys, \
                 billing...); that one is kept in {} and comes back when serverless.yml \
                 describes it again",
                kept.display()
            ),
            TableStart::Restored {
                from,
                kept,
                items: n,
            } => write!(
                f,
                "table brought back from {} ({}): serverless.yml describes it again; the last \
                 run's is kept in {}",
                from.display(),
                items(n),
                kept.display()
            ),
            TableStart::Unreadable { kept, why } => write!(
                f,
                "new table: the last run's could not be read ({why}); its file is kept in {}",
                kept.display()
            ),
            TableStart::Vanished => write!(
                f,
                "new table: the last run's was no longer in the local DynamoDB's file (deleted \
                 by one of its clients, or the file emptied)"
            ),
        }
    }
}
