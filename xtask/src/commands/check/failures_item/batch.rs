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
    let user = |id: &str, name: &str| typed(&json!({"id": id, "name": name}));
    let sent = |n, event_name, id, kind| Sent {
        n,
        event_name,
        id,
        kind,
    };
    vec![
        (
            sent(1, "INSERT", "check-10", Kind::User("Ada Lovelace")),
            record(
                1,
                "INSERT",
                "check-10",
                Some(user("check-10", "Ada Lovelace")),
                None,
            ),
        ),
        (
            sent(2, "MODIFY", "check-11", Kind::User("Grace Hopper")),
            record(
                2,
                "MODIFY",
                "check-11",
                Some(user("check-11", "Grace Hopper")),
                Some(user("check-11", "Grace")),
            ),
        ),
        (
            sent(
                3,
                "INSERT",
                "check-12",
                Kind::NotAUser("its name is a number"),
            ),
            record(
                3,
                "INSERT",
                "check-12",
                Some(json!({"id": {"S": "check-12"}, "name": {"N": "42"}})),
                None,
            ),
        ),
        (
            sent(4, "INSERT", "check-13", Kind::User("Katherine Johnson")),
            record(
                4,
                "INSERT",
                "check-13",
                Some(user("check-13", "Katherine Johnson")),
                None,
            ),
        ),
        (
            sent(
                5,
                "MODIFY",
                "check-14",
                Kind::NotAUser("its new image has no name"),
            ),
            record(
                5,
                "MODIFY",
                "check-14",
                Some(json!({"id": {"S": "check-14"}})),
                Some(user("check-14", "Dorothy Vaughan")),
            ),
        ),
        (
            sent(
                6,
                "REMOVE",
                "check-15",
                Kind::NotAUser("its old image's name is true"),
            ),
            record(
                6,
                "REMOVE",
                "check-15",
                None,
                Some(json!({"id": {"S": "check-15"}, "name": {"BOOL": true}})),
            ),
        ),
        (
            sent(7, "INSERT", "check-16", Kind::User("Mary Jackson")),
            record(
                7,
                "INSERT",
                "check-16",
                Some(user("check-16", "Mary Jackson")),
                None,
            ),
        ),
    ]
}
