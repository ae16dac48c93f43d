//! The console: a page on 127.0.0.1 that shows the local service live. The API's requests,
//! the table's items, the stream's batches (records, answers, retries) and each function's log
//! lines reach it as server-sent events from the [`Hub`]; the page itself is plain HTML, CSS
//! and JavaScript from `xtask/console/`, compiled into xtask.

mod events;
mod hub;
mod page;
mod table_view;

pub use hub::Hub;
pub use page::serve;
pub use table_view::watch_table;

use std::sync::atomic::AtomicBool;

use serde_json::json;

use crate::tools::log_tail::{tail, Logs};

/// Publishes the functions' log lines, each with the request id it belongs to (from
/// lambda_runtime's `requestId="..."` span), until `stop` is set. xtask's story line of a
/// batch comes in the batch's own card; its other `[xtask]` lines (a function restarted, a
/// record too old) come as they are. A line is cut at [`LINE`] characters.
pub fn publish_logs(logs: &Logs, hub: &Hub, stop: &AtomicBool) {
    tail(logs, true, stop, |function, _, line| {
        if hub.was_told(line) {
            return;
        }
        hub.publish(json!({
            "type": "log",
            "function": function,
            "line": cut(line, LINE),
            "requestId": request_id(line),
        }));
    });
}

/// The longest log line the console shows whole.
const LINE: usize = 2000;

/// `text` cut at `limit` characters, saying how long it was.
pub fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_owned(),
    }
}

/// `local-1-2` from ` INFO Lambda runtime invoke{requestId="local-1-2"}: ...`.
fn request_id(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once("requestId=\"")?;
    rest.split('"').next()
}

/// The page's files, as served.
pub(super) const FILES: [(&str, &str, &str); 3] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../../console/index.html"),
    ),
    (
        "/console.css",
        "text/css; charset=utf-8",
        include_str!("../../../console/console.css"),
    ),
    (
        "/console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../console/console.js"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_names_its_invocation() {
        assert_eq!(
            request_id(r#" INFO Lambda runtime invoke{requestId="local-7-12"}: INSERT"#),
            Some("local-7-12")
        );
        assert_eq!(request_id("starting"), None);
    }

    #[test]
    fn long_lines_are_cut_and_say_so() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééééé", 2), "éé… (10 bytes)");
    }
}
