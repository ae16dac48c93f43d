//! The workshop's companion, `cargo xtask`: one module per command, and the parts they share.

pub mod api_gateway;
pub mod local_dynamodb;
pub mod local_function;
pub mod moto;
pub mod project;
pub mod python_tools;
pub mod runtime_api;
pub mod step_binary;

pub mod test;
