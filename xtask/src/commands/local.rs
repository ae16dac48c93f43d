//! `cargo xtask deploy --local`: the whole service of a step on this machine, no AWS account.
//!
//! moto holds the table (created from serverless.yml), each function is the step's host binary
//! behind its own Runtime API endpoint, API Gateway is a small HTTP server on 127.0.0.1, and a
//! poller plays the event source mapping between the table's stream and the stream function.
//! `run` reads the [`plan::Plan`], starts it ([`start`]), prints its summary, and serves until
//! Ctrl-C.

mod api_server;
mod delivery;
mod environment;
mod filter;
mod plan;
mod pool;
mod routes;
mod stream_poller;
mod table;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::lambda::log_file::follow;
use crate::lambda::running as state;
use crate::project::Step;
use crate::serverless_yml::ServerlessYml;
use crate::tools::cargo_build;
use crate::tools::local_dynamodb::LocalDynamoDb;
use crate::tools::moto::MotoServer;
use api_server::Route;
use environment::LocalNames;
use plan::Plan;
use pool::{FunctionPool, Recipe, MAX_ENVIRONMENTS};
use stream_poller::StreamPoller;

const STAGE: &str = "local";

pub fn run(step: Option<&str>, port: u16) -> Result<ExitCode> {
    let step = Step::chosen(step)?;
    let yml = ServerlessYml::load(&step.dir())?;
    // The port first: a second deployment should fail before it builds and starts anything.
    let server = TcpListener::bind(("127.0.0.1", port)).map_err(|error| {
        anyhow!(
            "port {port} on 127.0.0.1 is taken ({error}): is another `cargo xtask deploy --local` \
             running? Stop it with Ctrl-C, or pick another port with --port"
        )
    })?;
    let (signal_sender, signals) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = signal_sender.send(());
    })
    .context("listening for Ctrl-C")?;

    let plan = Plan::of(&yml);
    if !cargo_build::built_before(step.package) {
        eprintln!(
            "building {}: the first build takes a few minutes",
            step.name
        );
    }
    let binary = cargo_build::build(step)?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut started = start(step, &yml, &plan, &binary)?;
    let api_url = format!("http://127.0.0.1:{port}");
    started.record(step, &api_url)?;
    print_summary(step, &plan, &started, &api_url);

    let mut threads = Vec::new();
    let api_routes = Arc::new(started.routes(&plan));
    let api_stop = Arc::clone(&stop);
    threads.push(thread::spawn(move || {
        api_server::serve(server, api_routes, api_stop)
    }));
    for poller in started.pollers(step, &plan, &stop) {
        threads.push(thread::spawn(move || poller.run()));
    }
    let logs: Vec<_> = plan
        .functions
        .iter()
        .map(|(name, _)| (name.clone(), state::function_log(step.name, name)))
        .collect();
    let log_stop = Arc::clone(&stop);
    threads.push(thread::spawn(move || follow(logs, true, log_stop)));

    // Until Ctrl-C, or until moto dies: its table and data die with it, and a silent restart
    // would hide that, so the deployment ends, saying so.
    let moto_stopped = loop {
        match signals.recv_timeout(Duration::from_millis(500)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break None,
            Err(RecvTimeoutError::Timeout) => {
                if let Some(status) = started.moto.exited() {
                    break Some(status);
                }
            }
        }
    };
    match moto_stopped {
        Some(status) => eprintln!(
            "\nthe local DynamoDB (moto) stopped ({status}); the table and its items are gone \
             with it. Stopping the deployment; start it again with `cargo xtask deploy --local`. \
             moto's log: {}",
            state::dir(step.name).join("moto.log").display()
        ),
        None => eprintln!("\nstopping: the functions, the local DynamoDB and the API"),
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    drop(started);
    state::remove(step.name);
    Ok(match moto_stopped {
        Some(_) => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    })
}

/// What a running local deployment holds: stopped when dropped.
struct Started {
    moto: MotoServer,
    dynamodb: LocalDynamoDb,
    region: String,
    table: table::LocalTable,
    /// In serverless.yml's order (running.json lists their pids in it).
    functions: Vec<(String, Arc<FunctionPool>)>,
}

/// moto with the table, then one process per function.
fn start(step: Step, yml: &ServerlessYml, plan: &Plan, binary: &Path) -> Result<Started> {
    let dir = state::dir(step.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    eprintln!("starting the local DynamoDB (moto)");
    let moto = MotoServer::start(dir.join("moto.log"))?;
    let region = yml.region().to_owned();
    let service = yml.service().unwrap_or("service");
    let dynamodb = LocalDynamoDb::new(moto.endpoint(), &region);
    let table = table::create(yml, &dynamodb, service, STAGE)?;
    let names = LocalNames {
        service,
        stage: STAGE,
        region: &region,
        table: (&table.logical_id, &table.name),
    };
    let mut functions = Vec::new();
    for function in yml.functions() {
        let log: PathBuf = state::function_log(step.name, function.name);
        // A new deployment, a new log.
        let _ = std::fs::remove_file(&log);
        let handler = plan
            .functions
            .iter()
            .find(|(name, _)| name == function.name)
            .map_or("", |(_, handler)| handler.as_str());
        let pool = FunctionPool::start(Recipe {
            binary: binary.to_owned(),
            name: function.name.to_owned(),
            handler: handler.to_owned(),
            region: region.clone(),
            aws_endpoint: moto.endpoint().to_owned(),
            environment: environment::function_environment(yml, &function, &names)?,
            log,
        })?;
        functions.push((function.name.to_owned(), Arc::new(pool)));
    }
    Ok(Started {
        moto,
        dynamodb,
        region,
        table,
        functions,
    })
}

impl Started {
    fn function(&self, name: &str) -> Option<Arc<FunctionPool>> {
        let (_, function) = self.functions.iter().find(|(n, _)| n == name)?;
        Some(Arc::clone(function))
    }

    /// running.json: how `logs`, `put-item` and the tests find this deployment.
    fn record(&self, step: Step, api_url: &str) -> Result<()> {
        let mut children = vec![self.moto.pid()];
        children.extend(self.functions.iter().flat_map(|(_, pool)| pool.pids()));
        state::write(
            step.name,
            &state::Running {
                pid: std::process::id(),
                api_url: api_url.to_owned(),
                dynamodb_endpoint: self.moto.endpoint().to_owned(),
                table: self.table.name.clone(),
                region: self.region.clone(),
                children,
            },
        )
    }

    fn routes(&self, plan: &Plan) -> Vec<Route> {
        plan.routes
            .iter()
            .filter_map(|spec| {
                Some(Route {
                    timeout: plan.timeout(&spec.function),
                    spec: spec.clone(),
                    function: self.function(&spec.function)?,
                })
            })
            .collect()
    }

    fn pollers(&self, step: Step, plan: &Plan, stop: &Arc<AtomicBool>) -> Vec<StreamPoller> {
        let Some(stream_arn) = &self.table.stream_arn else {
            return Vec::new();
        };
        plan.pollers
            .iter()
            .filter_map(|(name, settings)| {
                Some(StreamPoller {
                    timeout: plan.timeout(name),
                    dynamodb: self.dynamodb.clone(),
                    stream_arn: stream_arn.clone(),
                    region: self.region.clone(),
                    function: self.function(name)?,
                    log: state::function_log(step.name, name),
                    settings: settings.clone(),
                    stop: Arc::clone(stop),
                })
            })
            .collect()
    }
}

fn print_summary(step: Step, plan: &Plan, started: &Started, api_url: &str) {
    println!("\n{} is running locally:", step.name);
    println!("  API        {api_url}");
    for route in &plan.routes {
        println!(
            "               {:<22} -> {}",
            route.describe(),
            route.function
        );
    }
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
        started.table.name,
        started.moto.endpoint()
    );
    println!("  stream     {}", plan.stream_summary());
    for note in &plan.notes {
        println!("  note: {note}");
    }
    println!(
        "  logs       {} (or: cargo xtask logs FUNCTION)",
        state::dir(step.name).display()
    );
    println!("Ready. Try: curl -X PUT -d '{{\"name\": \"test\"}}' {api_url}/users/1");
    println!("Function logs follow. Ctrl-C stops everything.\n");
}
