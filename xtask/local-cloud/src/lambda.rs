//! Lambda's emulation, on one floor, that `check`, `deploy --local`, `failures` and `bench` run
//! functions on: the Runtime API and a function's process, the pools of processes, API
//! Gateway (its event, its server, its routes), the event source mapping, the on-failure
//! destination, the one builder of stream records, the functions' logs, the bus that tells
//! whoever watches, and the service that runs them for a deployment from a plan.

pub mod api_gateway;
pub mod bus;
pub mod destination;
pub mod event_source;
pub mod function;
pub mod function_log;
pub mod json_in_logs;
pub mod pool;
pub mod runtime_api;
pub mod service;
pub mod stream_records;
