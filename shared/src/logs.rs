//! The functions' logs: the lines `tracing` writes, as Lambda's Rust runtime formats them,
//! at a fraction of the cost.
//!
//! [`init`] sets up what `lambda_runtime::tracing::init_default_subscriber` sets up (the
//! level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO; JSON lines when
//! `AWS_LAMBDA_LOG_FORMAT=JSON`; plain ` INFO span{fields}: message` lines otherwise), with
//! two changes that `cargo xtask bench` measured (BENCHMARKS.md):
//!
//! - A message's control characters are escaped a run of text at a time. tracing-subscriber
//!   escapes them so that a user's name cannot drive the terminal a log is read in, but
//!   writes every character of the message on its own to do so. The escapes are the same.
//! - An invocation's lines are kept in memory and written together when its handler returns
//!   ([`per_invocation`]), or before they reach [`WRITE_AT`] bytes, or once they are
//!   [`WRITE_AFTER`] old: a write per batch rather than one per record.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::io::{self, Write as _};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lambda_runtime::tracing::field::{Field, Visit};
use lambda_runtime::tracing::subscriber::field::RecordFields;
use lambda_runtime::tracing::subscriber::filter::{EnvFilter, LevelFilter};
use lambda_runtime::tracing::subscriber::fmt::format::Writer;
use lambda_runtime::tracing::subscriber::fmt::{FormatFields, MakeWriter};
use lambda_runtime::tracing::Subscriber;

/// Buffered lines are written before they would reach this many bytes, even mid-invocation:
/// memory stays bounded on a large batch.
pub const WRITE_AT: usize = 64 * 1024;

/// Lines kept this long are written by a thread of their own, even mid-invocation: a handler
/// that hangs until its timeout still shows what it logged before.
pub const WRITE_AFTER: Duration = Duration::from_millis(500);

/// Logs to stdout, where Lambda collects them, as lambda_runtime's default subscriber does.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| LevelFilter::from_str(&level).ok())
        .unwrap_or(LevelFilter::INFO);
    let subscriber = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(level.into())
                .from_env_lossy(),
        )
        .with_writer(Stdout);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    // JSON lines escape control characters as JSON does; the plain ones go through `Fields`.
    if json {
        subscriber.json().init();
    } else {
        subscriber.fmt_fields(Fields).init();
    }
    write_buffered_lines_on_panic();
    write_kept_lines_in_time();
}

/// The plain lines [`init`] sets up, written to `writer`, with no level filter: for
/// `benches/stream_handler.rs`, which compares them with tracing-subscriber's own fields.
pub fn plain_lines<W>(writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .fmt_fields(Fields)
        .with_writer(writer)
        .finish()
}

/// Runs one invocation with its log lines kept and written together when it ends (returns,
/// fails, or panics), or once they are [`WRITE_AFTER`] old. What a timeout loses: Lambda
/// stops the process, and with it the lines of the last half second before `Task timed out`.
/// `println!` does not go through here: its lines can come before the invocation's
/// `tracing` lines.
pub async fn per_invocation<F: Future>(invocation: F) -> F::Output {
    let _lines = Invocation::start();
    invocation.await
}

/// Lines are buffered while one of these lives. One invocation runs at a time
/// (`lambda_runtime::run`): lines from anywhere in the process meanwhile are its lines.
struct Invocation;

impl Invocation {
    fn start() -> Self {
        lines().buffering = true;
        Self
    }
}

impl Drop for Invocation {
    fn drop(&mut self) {
        let mut lines = lines();
        lines.buffering = false;
        lines.write();
    }
}

struct Lines {
    buffering: bool,
    bytes: Vec<u8>,
    /// When the oldest of `bytes` was kept.
    kept_since: Option<Instant>,
}

impl Lines {
    fn keep(&mut self, line: &[u8]) {
        if self.bytes.is_empty() {
            self.kept_since = Some(Instant::now());
        }
        self.bytes.extend_from_slice(line);
    }

    fn write(&mut self) {
        if !self.bytes.is_empty() {
            // Nowhere to report a failed write to stdout: Lambda's own log is stdout.
            let _ = io::stdout().lock().write_all(&self.bytes);
            self.bytes.clear();
        }
        self.kept_since = None;
    }
}

static LINES: Mutex<Lines> = Mutex::new(Lines {
    buffering: false,
    bytes: Vec::new(),
    kept_since: None,
});

/// Writes lines kept [`WRITE_AFTER`] or longer. It wakes twice per period; a batch handled
/// in less (all of them, in the bench) is still written once, by its invocation's end.
fn write_kept_lines_in_time() {
    let writer = std::thread::Builder::new()
        .name("log-lines".to_owned())
        .spawn(|| loop {
            std::thread::sleep(WRITE_AFTER / 2);
            let mut lines = lines();
            if lines
                .kept_since
                .is_some_and(|since| since.elapsed() >= WRITE_AFTER)
            {
                lines.write();
            }
        });
    // Without the thread, lines still go out when their invocation ends.
    drop(writer);
}

fn lines() -> MutexGuard<'static, Lines> {
    LINES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A panic ends the process on Lambda (`panic = "abort"`): the lines before it are written
/// first, then the panic's message.
fn write_buffered_lines_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |panic| {
        // try_lock: the panic may have come from a thread holding the lock.
        let lines = match LINES.try_lock() {
            Ok(lines) => Some(lines),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        // Unlocked at the end of the `if let`, before the previous hook (it may log).
        if let Some(mut lines) = lines {
            lines.write();
        }
        previous(panic);
    }));
}

/// Where the subscriber writes its lines: to the invocation's buffer while one runs, else
/// straight to stdout (the runtime's own lines between invocations, a failed start).
#[derive(Debug, Clone, Copy)]
struct Stdout;

impl<'a> MakeWriter<'a> for Stdout {
    type Writer = Stdout;

    fn make_writer(&'a self) -> Self::Writer {
        Stdout
    }
}

impl io::Write for Stdout {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut lines = lines();
        if lines.buffering && lines.bytes.len() + bytes.len() < WRITE_AT {
            lines.keep(bytes);
        } else {
            // What is kept goes first; a line as large as the buffer is not copied into it.
            lines.write();
            io::stdout().lock().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

/// Formats a line's fields as tracing-subscriber's `DefaultFields` does (`message` bare,
/// then `name=value`), with the message's control characters escaped by [`Escaped`].
#[derive(Debug, Default)]
struct Fields;

impl<'writer> FormatFields<'writer> for Fields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            writer,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct Visitor<'writer> {
    writer: Writer<'writer>,
    is_empty: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    fn pad(&mut self) -> fmt::Result {
        if self.is_empty {
            self.is_empty = false;
            Ok(())
        } else {
            self.writer.write_char(' ')
        }
    }

    fn record(&mut self, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
        let name = field.name();
        self.pad()?;
        match name {
            "message" => write!(Escaped(&mut self.writer), "{value:?}"),
            name => write!(
                self.writer,
                "{}={value:?}",
                name.strip_prefix("r#").unwrap_or(name)
            ),
        }
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_ok() {
            self.result = match field.name() {
                "message" => self.record(field, &format_args!("{value}")),
                _ => self.record(field, &value),
            };
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.result.is_ok() {
            self.result = match value.source() {
                Some(source) => self.record(
                    field,
                    &format_args!(
                        "{} {}.sources={}",
                        EscapedDisplay(value),
                        field.name(),
                        Sources(source)
                    ),
                ),
                None => self.record(field, &format_args!("{}", EscapedDisplay(value))),
            };
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() {
            self.result = self.record(field, value);
        }
    }
}

/// An error's sources as `DefaultFields` lists them: `[first, second]`.
struct Sources<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut error = Some(self.0);
        while let Some(current) = error {
            list.entry(&format_args!("{}", EscapedDisplay(current)));
            error = current.source();
        }
        list.finish()
    }
}

/// A value's `Display`, escaped.
struct EscapedDisplay<T>(T);

impl<T: fmt::Display> fmt::Display for EscapedDisplay<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaped(f), "{}", self.0)
    }
}

/// Writes text with the characters a terminal acts on escaped, as tracing-subscriber does
/// (`ESC` as `\x1b`, BEL, BS, FF, DEL; the C1 controls U+0080-U+009F as `\u{9b}`), and
/// everything between them in one piece.
struct Escaped<W>(W);

impl<W: fmt::Write> fmt::Write for Escaped<W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let bytes = text.as_bytes();
        let mut clean_from = 0;
        let mut at = 0;
        while let Some(found) = next_control(bytes, at) {
            self.0.write_str(&text[clean_from..found])?;
            let width = match bytes[found] {
                0x1b => self.0.write_str("\\x1b").map(|()| 1),
                0x07 => self.0.write_str("\\x07").map(|()| 1),
                0x08 => self.0.write_str("\\x08").map(|()| 1),
                0x0c => self.0.write_str("\\x0c").map(|()| 1),
                0x7f => self.0.write_str("\\x7f").map(|()| 1),
                // 0xC2 0x80..=0x9F: a C1 control in UTF-8, its second byte the code point
                // (`next_control` checked it).
                _ => write!(self.0, "\\u{{{:x}}}", bytes[found + 1]).map(|()| 2),
            }?;
            clean_from = found + width;
            at = clean_from;
        }
        self.0.write_str(&text[clean_from..])
    }
}

/// Where the next character to escape starts, from `from` on.
fn next_control(bytes: &[u8], from: usize) -> Option<usize> {
    const CHUNK: usize = 32;
    let mut start = from;
    // Most text has none: whole chunks are tested without branching (the compiler turns this
    // into vector instructions), and only a chunk that has one is searched byte by byte.
    while start + CHUNK <= bytes.len() {
        let chunk = &bytes[start..start + CHUNK];
        if chunk
            .iter()
            .fold(false, |any, &byte| any | may_start_control(byte))
        {
            if let Some(found) = find_control(bytes, start, start + CHUNK) {
                return Some(found);
            }
        }
        start += CHUNK;
    }
    find_control(bytes, start, bytes.len())
}

/// A superset of the first bytes `find_control` looks for (every C0 byte, DEL, 0xC2), in
/// three comparisons: the chunk test stays cheap, and a tab or newline costs one search.
fn may_start_control(byte: u8) -> bool {
    byte < 0x20 || byte == 0x7f || byte == 0xc2
}

fn may_be_control(byte: u8) -> bool {
    matches!(byte, 0x07 | 0x08 | 0x0c | 0x1b | 0x7f)
}

fn find_control(bytes: &[u8], from: usize, to: usize) -> Option<usize> {
    (from..to).find(|&at| match bytes[at] {
        0xc2 => bytes
            .get(at + 1)
            .is_some_and(|next| (0x80..=0x9f).contains(next)),
        byte => may_be_control(byte),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        Escaped(&mut out)
            .write_str(text)
            .expect("writing to a String");
        out
    }

    /// The escapes tracing-subscriber 0.3.23 writes (its `EscapingWriter`), character by
    /// character: what `Escaped` must match.
    fn escaped_one_by_one(text: &str) -> String {
        text.chars()
            .map(|ch| match ch {
                '\x1b' => "\\x1b".to_owned(),
                '\x07' => "\\x07".to_owned(),
                '\x08' => "\\x08".to_owned(),
                '\x0c' => "\\x0c".to_owned(),
                '\x7f' => "\\x7f".to_owned(),
                ch if (0x80..=0x9f).contains(&(ch as u32)) => format!("\\u{{{:x}}}", ch as u32),
                ch => ch.to_string(),
            })
            .collect()
    }

    #[test]
    fn terminal_controls_are_escaped() {
        assert_eq!(
            escaped("Ada\x1b[2J\x07\x08\x0c\x7f\u{9b}31m\u{80}\u{9f}"),
            "Ada\\x1b[2J\\x07\\x08\\x0c\\x7f\\u{9b}31m\\u{80}\\u{9f}"
        );
    }

    #[test]
    fn other_text_is_kept_as_written() {
        let text = "né ü € 😀 \u{a0}\u{c2}\u{ff} tab\there\nnew line \"quoted\" {\"id\":\"1\"}";
        assert_eq!(escaped(text), text);
    }

    #[test]
    fn every_position_in_a_long_line_is_found() {
        // Controls at chunk edges and in the tail after the last whole chunk.
        for at in [0, 1, 31, 32, 33, 63, 64, 95, 100] {
            for control in ["\x1b", "\u{9b}", "\x7f"] {
                let text = format!("{}{control}{}", "a".repeat(at), "b".repeat(40));
                assert_eq!(escaped(&text), escaped_one_by_one(&text), "at {at}");
            }
        }
    }

    /// What a subscriber writes, kept for comparing.
    #[derive(Clone, Default)]
    struct Kept(std::sync::Arc<Mutex<Vec<u8>>>);

    impl io::Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .expect("not poisoned")
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Kept {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("not poisoned").clone()).expect("UTF-8")
        }
    }

    #[derive(Debug)]
    struct Failed(io::Error);

    impl fmt::Display for Failed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("reading the \x1b[2J table")
        }
    }

    impl std::error::Error for Failed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Lines of every kind the steps and lambda_runtime write, under the span lambda_runtime
    /// opens for an invocation.
    fn log_lines() {
        use lambda_runtime::tracing::{error, field, info, info_span, warn};
        let span = info_span!(
            "Lambda runtime invoke",
            requestId = "local-1-2",
            xrayTraceId = field::Empty
        );
        let _entered = span.enter();
        span.record("xrayTraceId", "Root=1-\x1b");
        let every_character: String = (0u32..0x100).filter_map(char::from_u32).collect();
        info!("{every_character}");
        info!(
            r#type = "INSERT",
            count = 3,
            done = true,
            ratio = 0.5,
            "a {} line",
            "formatted"
        );
        info!(log.target = "kept", "a field named like tracing-log's");
        warn!(name = "Ada\x1b[2J\u{9b}", "a field that is not the message");
        let failed = Failed(io::Error::other("the \u{9b} cause"));
        error!(
            error = &failed as &(dyn std::error::Error + 'static),
            "failed"
        );
        error!("{}", failed);
    }

    #[test]
    fn the_lines_are_tracing_subscribers_own() {
        let ours = Kept::default();
        let theirs = Kept::default();
        let writer = |kept: &Kept| {
            let kept = kept.clone();
            move || kept.clone()
        };
        fn log_through(subscriber: impl Subscriber + Send + Sync + 'static) {
            let dispatch = lambda_runtime::tracing::Dispatch::new(subscriber);
            lambda_runtime::tracing::dispatcher::with_default(&dispatch, log_lines);
        }
        log_through(plain_lines(writer(&ours)));
        let default_fields = lambda_runtime::tracing::subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_writer(writer(&theirs))
            .finish();
        log_through(default_fields);
        assert_eq!(ours.text(), theirs.text());
        assert!(ours
            .text()
            .contains(r#" INFO Lambda runtime invoke{requestId="local-1-2""#));
        assert!(!ours.text().contains('\x1b'), "{}", ours.text());
    }

    #[test]
    fn matches_tracing_subscriber_on_every_character_below_0x100() {
        let text: String = (0u32..0x100).filter_map(char::from_u32).collect();
        let long = text.repeat(3);
        assert_eq!(escaped(&long), escaped_one_by_one(&long));
    }
}
