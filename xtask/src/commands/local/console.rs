//! The console: a page on 127.0.0.1 that shows the local service live. The API's requests,
//! the table's items, the stream's batches (records, answers, retries) and each function's log
//! lines reach it as server-sent events from the [`Hub`], which hears the local cloud's bus;
//! the page itself is plain HTML, CSS and JavaScript from `xtask/console/`, compiled into
//! xtask.

mod events;
mod hub;
mod page;
mod table_view;

pub use hub::Hub;
pub use page::serve;
pub use table_view::watch_table;

/// `text` cut at `limit` characters, saying how long it was.
pub fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_owned(),
    }
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
    fn long_lines_are_cut_and_say_so() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééééé", 2), "éé… (10 bytes)");
    }
}
