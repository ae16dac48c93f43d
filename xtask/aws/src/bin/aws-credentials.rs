//! `cargo xtask deploy` asks this before it calls the Serverless Framework: does the AWS SDK's
//! default chain (environment, profiles and SSO, web identity, container and instance roles)
//! find credentials here? It prints the access key's last four characters, never a secret.

use std::process::ExitCode;

use aws_sdk_dynamodb::config::ProvideCredentials;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = aws_config::load_from_env().await;
    let Some(provider) = config.credentials_provider() else {
        eprintln!("no credentials provider is configured");
        return ExitCode::FAILURE;
    };
    match provider.provide_credentials().await {
        Ok(credentials) => {
            let key = credentials.access_key_id();
            let shown = &key[key.len().saturating_sub(4)..];
            println!("credentials found (access key ...{shown})");
            ExitCode::SUCCESS
        }
        Err(error) => {
            // The top-level message and its first cause only: the whole chain behind it is a
            // page of Debug output (the instance metadata service's, on a laptop).
            match std::error::Error::source(&error) {
                Some(cause) => eprintln!("{error}: {}", first_line(&cause.to_string())),
                None => eprintln!("{error}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// At most one line of 120 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(120).collect()
}
