use std::fmt;

use crate::api::Route;

include!("handler_names.rs");

/// What one process runs: one of the API routes, or the stream handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionHandler {
    Api(Route),
    Stream,
}

impl FunctionHandler {
    /// The handler Lambda asks for through `_HANDLER`.
    pub fn from_env() -> Result<Self, UnknownHandler> {
        Self::from_name(&std::env::var("_HANDLER").unwrap_or_default())
    }

    pub fn from_name(name: &str) -> Result<Self, UnknownHandler> {
        match name {
            "users.put" => Ok(Self::Api(Route::PutUser)),
            "users.get" => Ok(Self::Api(Route::GetUser)),
            "users.delete" => Ok(Self::Api(Route::DeleteUser)),
            "stream.handler" => Ok(Self::Stream),
            other => Err(UnknownHandler(other.to_owned())),
        }
    }
}

/// `_HANDLER` named no handler this binary has: usually a typo in `serverless.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHandler(pub String);

impl fmt::Display for UnknownHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            write!(f, "_HANDLER is not set")?;
        } else {
            write!(f, "unknown handler {:?} in _HANDLER", self.0)?;
        }
        write!(
            f,
            "; the `handler` of a function in serverless.yml must be one of: {}",
            HANDLER_NAMES.join(", ")
        )
    }
}

impl std::error::Error for UnknownHandler {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_is_known_and_distinct() {
        let handlers: Vec<_> = HANDLER_NAMES
            .iter()
            .map(|name| FunctionHandler::from_name(name).unwrap())
            .collect();
        assert_eq!(
            handlers,
            [
                FunctionHandler::Api(Route::PutUser),
                FunctionHandler::Api(Route::GetUser),
                FunctionHandler::Api(Route::DeleteUser),
                FunctionHandler::Stream,
            ]
        );
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let error = FunctionHandler::from_name("stream.handle").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown handler \"stream.handle\" in _HANDLER; the `handler` of a function in \
             serverless.yml must be one of: users.put, users.get, users.delete, stream.handler"
        );
    }

    #[test]
    fn a_missing_name_says_so() {
        let error = FunctionHandler::from_name("").unwrap_err();
        assert!(
            error.to_string().starts_with("_HANDLER is not set; "),
            "{error}"
        );
    }
}
