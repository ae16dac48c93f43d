//! What both workshop steps share: everything but the stream handler, which is the exercise.
//!
//! - [`User`]: the item the table holds.
//! - [`UserRepository`]: put / get / delete users in the DynamoDB table named by `TABLE_NAME`.
//! - [`api`]: the three REST handlers (`PUT`, `GET`, `DELETE /users/{id}`).
//! - [`FunctionHandler`]: which handler a process runs, from Lambda's `_HANDLER` variable.
//! - [`run_stream_function`]: the runtime for the step's own `stream::handler`.

pub mod api;
mod function_handler;
mod repository;
mod responses;
mod stream_function;
mod user;

pub use function_handler::{FunctionHandler, UnknownHandler, HANDLER_NAMES};
pub use repository::UserRepository;
pub use stream_function::run as run_stream_function;
pub use user::User;

use std::process::ExitCode;

/// Logs to stdout, where Lambda collects them, with the runtime's own set-up: plain text, or
/// JSON when the function's logging configuration asks for it (`AWS_LAMBDA_LOG_FORMAT=JSON`),
/// at `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO).
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// The process's exit: a failure (an unknown `_HANDLER`, a runtime that lost Lambda) goes to
/// stderr, where the Lambda console and `serverless logs` show it, with a non-zero code.
pub fn exit_code(result: Result<(), lambda_runtime::Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
