//! The workshop's companion, `cargo xtask`: one module per command, and the parts they share.

pub mod api_gateway;
pub mod aws;
pub mod bench;
pub mod build;
pub mod check;
pub mod deploy;
pub mod local;
pub mod local_dynamodb;
pub mod local_function;
pub mod logs;
pub mod moto;
pub mod node_tools;
pub mod project;
pub mod put_item;
pub mod python_tools;
pub mod remove;
pub mod runtime_api;
pub mod serverless_yml;
pub mod sls;
pub mod stage;
pub mod step_binary;

pub mod test;

/// The handler names a step's binary knows: the same file the binary is built from.
pub mod handler_names {
    include!("../../shared/src/handler_names.rs");
}
pub use handler_names::HANDLER_NAMES;
