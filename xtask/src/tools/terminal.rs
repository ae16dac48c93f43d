//! The terminal: text made safe to show (`local_cloud::tools::terminal`), and lines written
//! to it that a closed terminal does not turn into a panic.

pub use local_cloud::tools::terminal::*;

/// `println!` that a terminal gone (a pipe whose reader left: `deploy --local | head`) does not
/// turn into a panic: what runs goes on, unseen.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
pub(crate) use say;
