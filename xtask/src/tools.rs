//! The tools xtask installs and runs; the local cloud's own (`local_cloud::tools`) seen here
//! under the same names.

pub use local_cloud::tools::{files, local_dynamodb, server, timestamp};

pub(crate) mod aws;
pub mod cargo_build;
pub(crate) mod install_lock;
pub mod lambda_zip;
pub(crate) mod lock_file;
pub mod log_tail;
pub mod node;
pub mod process;
pub mod python;
pub mod terminal;
pub mod watch;
