//! The Lambda emulation that `check`, `deploy --local` and `bench` run functions on.

pub mod api_gateway;
pub mod destination;
pub mod function;
pub mod function_environment;
pub(crate) mod json_in_logs;
pub(crate) mod log_file;
pub mod runtime_api;
pub mod stream_records;
