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
    /// run's, if there was one, is kept at `kept`.
    Restored {
        from: PathBuf,
        kept: Option<PathBuf>,
        items: u64,
    },
    /// The last run's file could not be read as a table (`why`): a new one; the file is kept.
    Unreadable { kept: PathBuf, why: String },
    /// The last run's file held no table (a start cut short, or the table deleted by one of
    /// the local DynamoDB's clients): a new one in it.
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
            } => {
                write!(
                    f,
                    "table brought back from {} ({}): serverless.yml describes it again",
                    from.display(),
                    items(n)
                )?;
                match kept {
                    Some(kept) => write!(f, "; the last run's is kept in {}", kept.display()),
                    None => Ok(()),
                }
            }
            TableStart::Unreadable { kept, why } => write!(
                f,
                "new table: the last run's could not be read ({why}); its file is kept in {}",
                kept.display()
            ),
            TableStart::Vanished => write!(
                f,
                "new table: the last run's file held no table (the table deleted by one of the \
                 local DynamoDB's clients, or a start cut short)"
            ),
        }
    }
}
