//! The workshop's local cloud, on two floors; arrows only go down:
//!
//! - `lambda`: Lambda's emulation: the Runtime API and a function's processes, API Gateway,
//!   the event source mapping and its on-failure destinations, stream records, function logs,
//!   and the one bus everything is told on; `lambda::service` is its door for a deployment
//!   (a `LambdaPlan` in, a running `LambdaService` out);
//! - `tools`: the embedded DynamoDB (its endpoint, its streams read in this process), the HTTP
//!   servers and their guard, the child processes and their watchdog, files, times, text made
//!   safe for a terminal.
//!
//! It knows nothing of serverless.yml, of the workshop's steps or of the command line, and
//! never prints: `xtask` reads those into the plan, and shows what the bus tells.

pub mod lambda;
pub mod tools;
