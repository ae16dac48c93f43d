//! One binary for every function of the step. Lambda puts the function's `handler` from
//! serverless.yml into `_HANDLER`; `main` runs that handler and builds only what it needs.

mod stream;

use std::process::ExitCode;

use shared::FunctionHandler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    shared::init_tracing();
    let result = match FunctionHandler::from_env() {
        Ok(FunctionHandler::Api(route)) => shared::api::serve(route).await,
        Ok(FunctionHandler::Stream) => shared::run_stream_function(stream::handler).await,
        Err(unknown) => Err(unknown.into()),
    };
    shared::exit_code(result)
}
