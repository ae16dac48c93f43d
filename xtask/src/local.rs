//! `cargo xtask deploy --local`: the whole service of a step on this machine, no AWS account.
//!
//! moto holds the table (created from serverless.yml), each function is the step's host binary
//! behind its own Runtime API endpoint, API Gateway is a small HTTP server on 127.0.0.1, and a
//! poller plays the event source mapping between the table's stream and the stream function.

mod api_server;
mod delivery;
mod environment;
mod log_file;
pub mod state;
mod stream_poller;
mod table;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use anyhow::{anyhow, Context, Result};
use tiny_http::Server;

pub use log_file::{append_line, follow};

use crate::local_dynamodb::LocalDynamoDb;
use crate::local_function::{FunctionSpec, LocalFunction};
use crate::moto::MotoServer;
use crate::project::Step;
use crate::serverless_yml::{intrinsic, Intrinsic, ServerlessYml};
use crate::step_binary;
use api_server::{Route, RouteSpec};
use delivery::StreamSettings;
use environment::LocalNames;
use stream_poller::StreamPoller;

const STAGE: &str = "local";

pub fn run(step: Step, port: u16) -> Result<ExitCode> {
    let yml = ServerlessYml::load(&step.dir())?;
    // The port first: a second deployment should fail before it builds and starts anything.
    let server = Server::http(("127.0.0.1", port)).map_err(|error| {
        anyhow!(
            "port {port} on 127.0.0.1 is taken ({error}): is another `cargo xtask deploy --local` \
             running? Stop it with Ctrl-C, or pick another port with --port"
        )
    })?;
    let server = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let (signal_sender, signals) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = signal_sender.send(());
    })
    .context("listening for Ctrl-C")?;

    if !step_binary::built_before(step.package) {
        eprintln!(
            "building {}: the first build takes a few minutes",
            step.name
        );
    }
    let binary = step_binary::build(step)?;
    let dir = state::dir(step.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    eprintln!("starting the local DynamoDB (moto)");
    let moto = MotoServer::start(dir.join("moto.log"))?;
    let region = yml.provider_str("region").unwrap_or("us-east-1").to_owned();
    let service = yml.service().unwrap_or("service").to_owned();
    let dynamodb = LocalDynamoDb::new(moto.endpoint(), &region);
    let table = table::create(&yml, &dynamodb, &service, STAGE)?;
    let names = LocalNames {
        service: &service,
        stage: STAGE,
        region: &region,
        table: (&table.logical_id, &table.name),
    };

    let mut functions = Vec::new();
    let mut routes = Vec::new();
    let mut pollers = Vec::new();
    let mut notes = Vec::new();
    for function in yml.functions() {
        let handler = function.handler().unwrap_or_default();
        let log = state::function_log(step.name, function.name);
        // A new deployment, a new log.
        let _ = std::fs::remove_file(&log);
        let local = LocalFunction::start(FunctionSpec {
            binary: &binary,
            arguments: Vec::new(),
            name: function.name,
            handler,
            region: &region,
            aws_endpoint: Some(moto.endpoint()),
            environment: environment::function_environment(&yml, &function, &names)?,
            log: log.clone(),
        })?;
        let local = Arc::new(Mutex::new(local));
        for spec in RouteSpec::of_function(&function) {
            routes.push(Route {
                spec,
                function: Arc::clone(&local),
            });
        }
        for (kind, event) in function.events() {
            if kind != "stream" || event.get("type").and_then(|t| t.as_str()) != Some("dynamodb") {
                continue;
            }
            let reads_table_stream = matches!(
                event.get("arn").and_then(intrinsic),
                Some(Intrinsic::GetAtt { ref resource, ref attribute, .. })
                    if *resource == table.logical_id && attribute == "StreamArn"
            );
            let settings = StreamSettings::from_event(event);
            match (&table.stream_arn, reads_table_stream, settings.enabled) {
                (Some(stream_arn), true, true) => pollers.push(StreamPoller {
                    function_name: function.name.to_owned(),
                    dynamodb: dynamodb.clone(),
                    stream_arn: stream_arn.clone(),
                    region: region.clone(),
                    function: Arc::clone(&local),
                    log: log.clone(),
                    settings,
                    stop: Arc::clone(&stop),
                }),
                (None, _, _) => notes.push(format!(
                    "function {} reads the table's stream, but the table has no stream yet: see \
                     README step 1 (StreamSpecification)",
                    function.name
                )),
                (_, false, _) => notes.push(format!(
                    "function {}'s stream event is not on {}.StreamArn: it gets no records here",
                    function.name, table.logical_id
                )),
                (_, _, false) => notes.push(format!(
                    "function {}'s stream event is disabled",
                    function.name
                )),
            }
        }
        functions.push((function.name.to_owned(), log, local));
    }

    let api_url = format!("http://127.0.0.1:{port}");
    let mut children = vec![moto.pid()];
    for (_, _, function) in &functions {
        if let Ok(function) = function.lock() {
            children.push(function.pid());
        }
    }
    state::write(
        step.name,
        &state::Running {
            pid: std::process::id(),
            api_url: api_url.clone(),
            dynamodb_endpoint: moto.endpoint().to_owned(),
            table: table.name.clone(),
            region: region.clone(),
            children,
        },
    )?;

    let has_stream = table.stream_arn.is_some();
    let pollers_summary = |pollers: &[StreamPoller]| match pollers.len() {
        0 => "no function reads it yet (README step 2)".to_owned(),
        _ => format!(
            "its records go to {}",
            pollers
                .iter()
                .map(|p| p.function_name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    println!("\n{} is running locally:", step.name);
    println!("  API        {api_url}");
    for route in &routes {
        println!(
            "               {:<22} -> {}",
            route.spec.describe(),
            route.spec.function
        );
    }
    let names_list: Vec<&str> = functions.iter().map(|(name, _, _)| name.as_str()).collect();
    println!("  functions  {}", names_list.join(", "));
    println!(
        "  table      {} in the local DynamoDB at {}",
        table.name,
        moto.endpoint()
    );
    if has_stream {
        println!("  stream     on: {}", pollers_summary(&pollers));
    } else {
        println!(
            "  stream     off: the table has no stream yet (README step 1: StreamSpecification)"
        );
    }
    for note in &notes {
        println!("  note: {note}");
    }
    println!(
        "  logs       {} (or: cargo xtask logs FUNCTION)",
        dir.display()
    );
    println!("Ready. Try: curl -X PUT -d '{{\"name\": \"test\"}}' {api_url}/users/1");
    println!("Function logs follow. Ctrl-C stops everything.\n");

    let mut threads = Vec::new();
    let api_routes = Arc::new(routes);
    let (api_server, api_stop) = (Arc::clone(&server), Arc::clone(&stop));
    threads.push(thread::spawn(move || {
        api_server::serve(api_server, api_routes, api_stop)
    }));
    for poller in pollers {
        threads.push(thread::spawn(move || poller.run()));
    }
    let logs: Vec<_> = functions
        .iter()
        .map(|(name, log, _)| (name.clone(), log.clone()))
        .collect();
    let log_stop = Arc::clone(&stop);
    threads.push(thread::spawn(move || follow(logs, true, log_stop)));

    let _ = signals.recv();
    eprintln!("\nstopping: the functions, the local DynamoDB and the API");
    stop.store(true, Ordering::Relaxed);
    server.unblock();
    for thread in threads {
        let _ = thread.join();
    }
    drop(functions);
    drop(moto);
    state::remove(step.name);
    Ok(ExitCode::SUCCESS)
}
