use serde::{Deserialize, Serialize};

/// A user of the service: the item stored in the table, keyed by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
}
