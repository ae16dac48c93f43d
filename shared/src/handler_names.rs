/// The `handler` values of `serverless.yml` that a step's binary knows, in the order the
/// functions appear there. Lambda passes the function's value in `_HANDLER`.
/// (xtask includes this file too, to check serverless.yml without building the AWS SDK.)
pub const HANDLER_NAMES: [&str; 4] = ["users.put", "users.get", "users.delete", "stream.handler"];
