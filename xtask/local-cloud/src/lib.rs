//! The workshop's local cloud, on two floors; arrows only go down:
//!
//! - `lambda`: Lambda's emulation: the Runtime API and a function's processes, API Gateway,
//!   the event source mapping and its on-failure destinations, stream records, function logs;
//! - `tools`: the embedded DynamoDB and its endpoint, the HTTP servers and their guard, the
//!   child processes and their watchdog, files, times, text made safe for a terminal.
//!
//! It knows nothing of serverless.yml, of the workshop's steps or of the command line: `xtask`
//! reads those and drives it.

pub mod lambda;
pub mod tools;
