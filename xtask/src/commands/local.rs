//! `cargo xtask deploy --local`: the whole service of a step on this machine, no AWS account.
//!
//! The local DynamoDB (dynoxide, in this process) holds the table, made from serverless.yml
//! and kept in the step's state between runs; each function is the step's host binary behind
//! its own Runtime API endpoint, API Gateway is a small HTTP server on 127.0.0.1, and a poller
//! plays the event source mapping between the table's stream and the stream function.
//! `run` reads serverless.yml, starts the [`service::Service`], prints its summary, and serves
//! until Ctrl-C; with `--watch`, a save rebuilds the step and puts it in place ([`watch`]).

mod changes;
mod console;
mod functions;
mod mappings;
mod plan;
mod replays;
mod service;
mod summary;
mod table;
mod watch;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::lambda::api_gateway;
use crate::lambda::observer::Observer;
use crate::local_state as state;
use crate::project::Step;
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};
use crate::tools::log_tail::follow_list;
use crate::tools::terminal::say;
use crate::tools::watch::StepWatcher;
use service::Service;

#[derive(Debug, Clone)]
pub struct Options {
    pub step: Option<String>,
    /// A copy of a step, run instead of a workspace step.
    pub dir: Option<PathBuf>,
    pub port: u16,
    pub watch: bool,
    /// Watch by reading the files, not by the system's events.
    pub poll: bool,
    /// A new, empty table instead of the last run's.
    pub fresh: bool,
}

pub fn run(options: Options) -> Result<ExitCode> {
    let target = match &options.dir {
        Some(dir) => Target::of_dir(dir.clone())?,
        None => Target::of_step(Step::chosen(options.step.as_deref())?),
    };
    // Two deployments of one step would share its logs and state (running.json): the
    // second one says where the first runs instead.
    // The claim is a lock the system lets go when this process ends, however it ends.
    let Ok(mut claim) = state::claim(&target.name) else {
        let where_it_runs = match state::running(&target.name) {
            Some(running) => format!("API at {}, xtask pid {}", running.api_url, running.pid),
            None => "it is starting".to_owned(),
        };
        anyhow::bail!(
            "{} already runs locally ({where_it_runs}): one local deployment of a step at a \
             time. Use that one, or stop it with Ctrl-C in its terminal first",
            target.name
        );
    };
    let yml = ServerlessYml::load(&target.dir)?;
    // The port first: a second deployment should fail before it builds and starts anything.
    let server = TcpListener::bind(("127.0.0.1", options.port)).map_err(|error| {
        anyhow!(
            "port {} on 127.0.0.1 is taken ({error}): is another `cargo xtask deploy --local` \
             running? Stop it with Ctrl-C, or pick another port with --port",
            options.port
        )
    })?;
    // The port it has (`--port 0` lets the system pick one).
    let port = server
        .local_addr()
        .context("reading the API's port")?
        .port();
    // The console next to the API (3001 beside 3000), or any free port if that one is taken.
    let console_listener = port
        .checked_add(1)
        .map_or_else(
            || TcpListener::bind(("127.0.0.1", 0)),
            |next| TcpListener::bind(("127.0.0.1", next)),
        )
        .or_else(|_| TcpListener::bind(("127.0.0.1", 0)))
        .context("opening a port on 127.0.0.1 for the console")?;
    let (signal_sender, signals) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = signal_sender.send(());
    })
    .context("listening for Ctrl-C")?;
    // Watching starts before the build: a save during the first build is not missed.
    let mut watcher = match options.watch {
        true => Some(StepWatcher::new(&target.dir, options.poll)?),
        false => None,
    };

    target.announce_first_build();
    let binary = match cargo_build::build_checked(&target.krate, true)? {
        Ok(binary) => binary,
        Err(BuildErrors(errors)) => anyhow::bail!(
            "{} does not build:\n{errors}\nFix it, then start `cargo xtask deploy --local` again",
            target.name
        ),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let hub = console::Hub::new();
    let mut service = Service::start(&target.name, &yml, &binary, &hub, &stop, options.fresh)?;
    let api_url = format!("http://127.0.0.1:{port}");
    let console_url = format!("http://127.0.0.1:{}", console_port(&console_listener));
    service.serves_at(&api_url, &console_url);
    service.record(&api_url)?;
    let mut api = api_gateway::server::serve(
        server,
        Arc::clone(service.routes()),
        Arc::clone(&hub) as Arc<dyn Observer>,
    )?;
    let (replay_requests, replays) = replays::channel();
    let mut console = console::serve(console_listener, Arc::clone(&hub), replay_requests)?;
    summary::print(&target, &service, &api_url, &console_url, options.watch);

    let mut threads = Vec::new();
    let (log_list, log_hub, log_stop) = (
        Arc::clone(service.logs()),
        Arc::clone(&hub),
        Arc::clone(&stop),
    );
    threads.push(thread::spawn(move || {
        console::publish_logs(&log_list, &log_hub, &log_stop)
    }));
    let (dynamodb, table, table_stop) = (
        service.dynamodb(),
        service.table_name().to_owned(),
        Arc::clone(&stop),
    );
    let table_hub = Arc::clone(&hub);
    threads.push(thread::spawn(move || {
        console::watch_table(table_hub, dynamodb, table, table_stop)
    }));
    let (logs, log_stop) = (Arc::clone(service.logs()), Arc::clone(&stop));
    threads.push(thread::spawn(move || follow_list(&logs, true, &log_stop)));

    // Until Ctrl-C.
    let mut rebuilds = watch::Rebuilds::default();
    loop {
        match signals.try_recv() {
            Ok(()) | Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        // Its files deleted or damaged while it runs, or its processes changed: the lock taken
        // again and running.json written, so that other commands still find it (and the
        // processes it has now) and a second deployment is still refused.
        let said = state::running(&target.name);
        if claim.renew() || said.as_ref() != Some(&service.running(&api_url)) {
            if let Err(error) = service.record(&api_url) {
                eprintln!("{error:#}");
            }
        }
        while let Ok(request) = replays.try_recv() {
            let _ = request.answer.send(service.replay(&request.asked));
        }
        match watcher.as_mut().map(|w| w.next(Duration::from_millis(250))) {
            Some(Ok(Some(change))) => rebuilds.apply(&change, &target, &mut service, &api_url),
            Some(Ok(None)) => {}
            // The service goes on; only the watching stops.
            Some(Err(error)) => {
                say!(
                    "watch: {error:#}. Saves are no longer picked up: restart `cargo xtask \
                     deploy --local --watch` to watch again"
                );
                watcher = None;
            }
            None => thread::sleep(Duration::from_millis(250)),
        }
    }
    eprintln!(
        "\nstopping: the API, the stream (a batch being delivered is answered first), the \
         functions; the table stays in {}",
        state::dir(&target.name).display()
    );
    stop.store(true, Ordering::Relaxed);
    api.stop();
    hub.close();
    console.stop();
    for thread in threads {
        let _ = thread.join();
    }
    drop(service);
    state::remove(&target.name);
    drop(claim);
    Ok(ExitCode::SUCCESS)
}

fn console_port(listener: &TcpListener) -> u16 {
    listener.local_addr().map_or(0, |address| address.port())
}
