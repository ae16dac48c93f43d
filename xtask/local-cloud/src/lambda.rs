//! Lambda's emulation, on one floor, that `check`, `deploy --local`, `failures` and `bench` run
//! functions on: the Runtime API and a function's process, the pools of processes, API
//! Gateway (its event, its server, its routes), the event source mapping, the on-failure
//! destination, the one builder of stream records, and the functions' logs.

pub mod api_gateway;
pub mod destination;
pub mod event_source;
pub mod function;
pub mod json_in_logs;
pub mod log_file;
pub mod observer;
pub mod pool;
pub mod runtime_api;
pub mod stream_records;
