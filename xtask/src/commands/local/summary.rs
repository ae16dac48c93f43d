//! What `deploy --local` prints once the service runs: where the API, the console, the
//! table and the logs are, and how the stream starts.

use super::service::Service;
use crate::lambda::destination::LocalQueue;
use crate::lambda::pool::MAX_ENVIRONMENTS;
use crate::local_state as state;
use crate::target::Target;

pub fn print(target: &Target, service: &Service, api_url: &str, console_url: &str, watch: bool) {
    let plan = service.plan();
    println!("\n{} is running locally:", target.name);
    println!("  API        {api_url}");
    for route in &plan.routes {
        println!(
            "               {:<22} -> {}",
            route.describe(),
            route.function
        );
    }
    println!("  console    {console_url} (the service live: requests, table, stream, logs)");
    let names: Vec<&str> = plan
        .functions
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    println!(
        "  functions  {} (each in up to {MAX_ENVIRONMENTS} processes at once, as Lambda scales)",
        names.join(", ")
    );
    println!(
        "  table      {} in the local DynamoDB at {}",
        service.table_name(),
        service.dynamodb_url(),
    );
    println!("               {}", service.table_start());
    println!("  stream     {}", plan.stream_summary());
    for (function, start) in service.stream_starts() {
        println!("               {function}: {start}");
    }
    for (function, queue) in &plan.destinations {
        let kept = LocalQueue::in_state(&state::dir(&target.name), queue)
            .messages()
            .len();
        println!(
            "               {function}: what its retries give up on goes to queue {queue} \
             ({kept} kept: cargo xtask failures)"
        );
    }
    for note in &plan.notes {
        println!("  note: {note}");
    }
    println!(
        "  logs       {} (or: cargo xtask logs FUNCTION)",
        state::dir(&target.name).display()
    );
    if watch {
        println!(
            "  watch      saving serverless.yml or a file in src/ rebuilds and reloads {} \
             (the table and its items stay)",
            target.name
        );
    }
    println!("Ready. Try: curl -X PUT -d '{{\"name\": \"test\"}}' {api_url}/users/1");
    println!("Function logs follow. Ctrl-C stops everything.\n");
}
