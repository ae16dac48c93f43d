//! The workshop's companion, `cargo xtask`, on three floors; arrows only go down:
//!
//! - `commands`: one module per command (`check`, `deploy --local`, `logs`...); a command
//!   never reaches into another one;
//! - `lambda`: Lambda's emulation: the Runtime API and a function's processes, API Gateway,
//!   the event source mapping and its on-failure destination, stream records, function logs;
//! - `tools` (the local DynamoDB, python, node, moto, cargo builds, child processes and their
//!   watchdog, HTTP servers, lock files, AWS), the local deployments' registry
//!   (`local_state`) and the knowledge of the project (`project`, `serverless_yml`, `stage`,
//!   `target`: a step or a copy of one).
//!
//! Public only where the integration tests need it.

pub mod cli;
pub(crate) mod commands;
pub mod lambda;
pub mod local_state;
pub mod project;
pub(crate) mod serverless_yml;
pub(crate) mod stage;
pub mod target;
pub mod tools;

/// The handler names a step's binary knows: the same file the binary is built from.
pub mod handler_names {
    include!("../../shared/src/handler_names.rs");
}
pub use handler_names::HANDLER_NAMES;
