//! The check's batch: users mixed with records that are not users, each with what was sent.

use serde_json::{json, Value};

use crate::commands::check::stream_events::{record, typed};

/// One record of the check's batch.
pub struct Sent {
    pub n: u32,
    pub event_name: &'static str,
    pub id: &'static str,
    /// The user it carries, or what is wrong with it.
    pub kind: Kind,
}

pub enum Kind {
    User(&'static str),
    NotAUser(&'static str),
}

pub fn batch() -> Vec<(Sent, Value)> {
    let user = |id: &str, name: &str| Some(typed(&json!({"id": id, "name": name})));
    let item = |id: &str, name: Value| Some(json!({"id": {"S": id}, "name": name}));
    // Sequence number, event, key, what it is, new image, old image.
    let records = [
        (
            1,
            "INSERT",
            "check-10",
            Kind::User("Ada Lovelace"),
            user("check-10", "Ada Lovelace"),
            None,
        ),
        (
            2,
            "MODIFY",
            "check-11",
            Kind::User("Grace Hopper"),
            user("check-11", "Grace Hopper"),
            user("check-11", "Grace"),
        ),
        (
            3,
            "INSERT",
            "check-12",
            Kind::NotAUser("its name is a number"),
            item("check-12", json!({"N": "42"})),
            None,
        ),
        (
            4,
            "INSERT",
            "check-13",
            Kind::User("Katherine Johnson"),
            user("check-13", "Katherine Johnson"),
            None,
        ),
        (
            5,
            "MODIFY",
            "check-14",
            Kind::NotAUser("its new image has no name"),
            Some(json!({"id": {"S": "check-14"}})),
            user("check-14", "Dorothy Vaughan"),
        ),
        (
            6,
            "REMOVE",
            "check-15",
            Kind::NotAUser("its old image's name is true"),
            None,
            item("check-15", json!({"BOOL": true})),
        ),
        (
            7,
            "INSERT",
            "check-16",
            Kind::User("Mary Jackson"),
            user("check-16", "Mary Jackson"),
            None,
        ),
    ];
    records
        .into_iter()
        .map(|(n, event_name, id, kind, new, old)| {
            let sent = Sent {
                n,
                event_name,
                id,
                kind,
            };
            (sent, record(n, event_name, id, new, old))
        })
        .collect()
}
