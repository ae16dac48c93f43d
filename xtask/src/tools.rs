//! The tools xtask installs and runs, and the one place child processes are started.

pub(crate) mod aws;
pub mod cargo_build;
pub(crate) mod files;
pub(crate) mod install_lock;
pub mod lambda_zip;
pub mod local_dynamodb;
pub(crate) mod lock_file;
pub mod node;
pub mod process;
pub mod python;
pub mod server;
pub mod terminal;
pub(crate) mod timestamp;
pub mod watch;
