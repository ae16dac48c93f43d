//! Where the local service's events meet the console pages: each event is numbered, kept in
//! a bounded history (a page opened late still shows the session) and sent to every page
//! connected now. With no page open, publishing is a serialisation and a push.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::{channel, Receiver, Sender};

use serde_json::Value;

/// Events a page opened late can still see, at most this many and this many bytes; the
/// oldest go first.
const HISTORY: usize = 2000;
const HISTORY_BYTES: usize = 16 * 1024 * 1024;

/// Events waiting for one page: a page that stops reading is dropped at this many (its
/// browser reconnects and asks for what it missed) instead of growing xtask's memory, and
/// never waited for: publishing must not block the service.
const BACKLOG: usize = 10_000;

/// One event, ready for the wire: its number and its JSON text.
pub type Sent = Arc<(u64, String)>;

#[derive(Debug, Default)]
pub struct Hub {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    history: VecDeque<Sent>,
    history_bytes: usize,
    /// What the service is (its step, API, routes...): the first thing a page gets.
    hello: Option<Sent>,
    /// The table as last seen: only the latest counts, so it is kept apart from the history.
    table: Option<Sent>,
    /// The on-failure destination's messages as last seen, likewise.
    queue: Option<Sent>,
    pages: Vec<Sender<Sent>>,
    /// Pages connected now.
    open: usize,
}

/// Where an event is kept for pages that come later.
#[derive(Debug, Clone, Copy)]
enum Kept {
    History,
    Hello,
    Table,
    Queue,
}

impl State {
    /// Numbers the event, keeps it, and sends it to every page, under one lock: pages get
    /// the events in their numbers' order.
    fn publish(&mut self, mut event: Value, kept: Kept) {
        self.next_id += 1;
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        if let Some(object) = event.as_object_mut() {
            object.insert("id".to_owned(), Value::from(self.next_id));
            object.insert("at".to_owned(), Value::from(at));
        }
        let sent: Sent = Arc::new((self.next_id, event.to_string()));
        match kept {
            Kept::History => {
                self.history_bytes += sent.1.len();
                self.history.push_back(Arc::clone(&sent));
                while self.history.len() > HISTORY || self.history_bytes > HISTORY_BYTES {
                    let Some(old) = self.history.pop_front() else {
                        break;
                    };
                    self.history_bytes -= old.1.len();
                }
            }
            Kept::Hello => self.hello = Some(Arc::clone(&sent)),
            Kept::Table => self.table = Some(Arc::clone(&sent)),
            Kept::Queue => self.queue = Some(Arc::clone(&sent)),
        }
        // A full or closed page is let go; its thread then ends, and its browser reconnects.
        self.pages
            .retain(|page| page.try_send(Arc::clone(&sent)).is_ok());
    }
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `event` (a JSON object with a `type`) to every page, with the time it happened.
    pub fn publish(&self, event: Value) {
        self.state().publish(event, Kept::History);
    }

    /// What the service is now; replaces what it was (a reload changes routes, functions).
    pub fn publish_hello(&self, event: Value) {
        self.state().publish(event, Kept::Hello);
    }

    /// The table's items now; replaces the last snapshot.
    pub fn publish_table(&self, event: Value) {
        self.state().publish(event, Kept::Table);
    }

    /// The on-failure destination's messages now; replaces the last list.
    pub fn publish_queue(&self, event: Value) {
        self.state().publish(event, Kept::Queue);
    }

    /// Lets every page go (the deployment stops): their streams end.
    pub fn close(&self) {
        self.state().pages.clear();
    }

    /// A new page: what happened after event `since` (all of it for a first visit; a page
    /// that reconnects says where it was), the table, and what comes next. The page counts
    /// as open until the subscription is dropped; beyond `max_pages`, the oldest is let go.
    pub fn subscribe(self: &Arc<Self>, since: u64, max_pages: usize) -> Subscription {
        let (sender, live) = channel(BACKLOG);
        let mut state = self.state();
        let excess = (state.pages.len() + 1).saturating_sub(max_pages.max(1));
        state.pages.drain(..excess);
        let mut past: Vec<Sent> = state.hello.iter().cloned().collect();
        past.extend(state.history.iter().filter(|sent| sent.0 > since).cloned());
        past.extend(state.table.clone());
        past.extend(state.queue.clone());
        state.pages.push(sender);
        state.open += 1;
        Subscription {
            past,
            live,
            hub: Arc::clone(self),
        }
    }

    /// Whether a page is open (the table is read only then).
    pub fn watched(&self) -> bool {
        self.pages_open() > 0
    }

    pub fn pages_open(&self) -> usize {
        self.state().open
    }
}

/// A page's events: the past, then the live ones.
#[derive(Debug)]
pub struct Subscription {
    pub past: Vec<Sent>,
    pub live: Receiver<Sent>,
    hub: Arc<Hub>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.state().open -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_opened_late_gets_the_session_then_what_comes() {
        let hub = Hub::new();
        hub.publish(json!({"type": "request", "path": "/users/1"}));
        hub.publish_table(json!({"type": "table", "items": []}));
        hub.publish_table(json!({"type": "table", "items": [{"id": "1"}]}));
        let mut page = hub.subscribe(0, 16);
        assert!(hub.watched());
        let past: Vec<Value> = page
            .past
            .iter()
            .map(|s| serde_json::from_str(&s.1).unwrap())
            .collect();
        assert_eq!(
            past.len(),
            2,
            "the request and the latest table only: {past:?}"
        );
        assert_eq!(past[0]["path"], "/users/1");
        assert_eq!(past[1]["items"][0]["id"], "1");
        hub.publish(json!({"type": "log", "line": "hello"}));
        assert!(page.live.try_recv().unwrap().1.contains("hello"));
        // A page that reconnects after event 1 gets only what followed it.
        let again = hub.subscribe(1, 16);
        assert!(again.past.iter().all(|sent| sent.0 > 1));
        drop((page, again));
        assert!(!hub.watched());
    }

    #[test]
    fn a_page_that_stops_reading_is_let_go_without_blocking_the_service() {
        let hub = Hub::new();
        let page = hub.subscribe(0, 16);
        for n in 0..BACKLOG + 10 {
            hub.publish(json!({"type": "log", "line": n}));
        }
        // Everything up to its backlog, then the end: its browser reconnects from there.
        let mut page = page;
        let mut received = 0;
        while page.live.try_recv().is_ok() {
            received += 1;
        }
        assert_eq!(received, BACKLOG);
        assert!(page.live.is_closed(), "let go");
        assert!(hub.state().history.len() <= HISTORY);
    }
}
