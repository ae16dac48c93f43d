//! What the local cloud runs on: the one place child processes are started, the servers, the
//! embedded DynamoDB, files and times.

pub mod files;
pub mod local_dynamodb;
pub mod process;
pub mod server;
pub mod terminal;
pub mod timestamp;
