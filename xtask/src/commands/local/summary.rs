//! What `deploy --local` prints once the service runs: where the API, the console, the
//! table and the logs are, and how the stream starts.

use super::service::Service;
use crate::lambda::destination::LocalDestination;
use crate::lambda::pool::MAX_ENVIRONMENTS;
use crate::local_state as state;
use crate::target::Target;
use crate::tools::terminal::say;

pub fn print(target: &Target, service: &Service, api_url: &str, console_url: &str, watch: bool) {
    let plan = service.plan();
    say!("\n{} is running locally:", target.name);
    say!("  API        {api_url}");
    for route in &plan.routes {
        say!(
            "               {:<22} -> {}",
            route.describe(),
            route.function
        );
    }
    say!("  console    {console_url} (the service live: requests, table, stream, logs)");
    let names: Vec<&str> = plan
        .functions
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    say!(
        "  functions  {} (each in up to {MAX_ENVIRONMENTS} processes at once, as Lambda scales)",
        names.join(", ")
    );
    say!(
        "  table      {} in the local DynamoDB at {}",
        service.table_name(),
        service.dynamodb_url(),
    );
    say!("               {}", service.table_start());
    say!("  stream     {}", plan.stream_summary());
    for (function, start) in service.stream_starts() {
        say!("               {function}: {start}");
    }
    for (function, destination) in &plan.destinations {
        let kept = LocalDestination::in_state(&state::dir(&target.name), destination)
            .messages()
            .len();
        say!(
            "               {function}: what its retries give up on goes to {destination} \
             ({kept} kept: cargo xtask failures)"
        );
    }
    for note in &plan.notes {
        say!("  note: {note}");
    }
    say!(
        "  logs       {} (or: cargo xtask logs FUNCTION)",
        state::dir(&target.name).display()
    );
    if watch {
        say!(
            "  watch      saving serverless.yml or a file in src/ rebuilds and reloads {} \
             (the table and its items stay)",
            target.name
        );
    }
    say!("Ready. Try: curl -X PUT -d '{{\"name\": \"test\"}}' {api_url}/users/1");
    say!("Function logs follow. Ctrl-C stops everything.\n");
}
