//! The workshop's companion, `cargo xtask`, on three floors; arrows only go down:
//!
//! - `commands`: one module per command (`check`, `deploy --local`, `logs`...); a command
//!   never reaches into another one;
//! - the knowledge of the project (`project`, `serverless_yml`, `stage`, `target`: a step or a
//!   copy of one), the local deployments' registry (`local_state`), and the `tools` xtask
//!   installs and runs (python, node, moto, cargo builds, the file watcher, lock files, AWS);
//! - the local cloud, a crate of its own (`local_cloud`: Lambda, API Gateway, the stream's
//!   mapping and destinations, the embedded DynamoDB, servers and child processes), which
//!   knows nothing of serverless.yml: xtask reads that and drives it. `lambda` and the cloud's
//!   tools keep their paths here (`xtask::lambda`, `xtask::tools::server`...).
//!
//! Public only where the integration tests need it.

pub mod cli;
pub(crate) mod commands;
pub use local_cloud::lambda;
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
