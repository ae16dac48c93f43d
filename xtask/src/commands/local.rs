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
mod plan;
mod replays;
mod service;
mod summary;
mod table;
mod terminal;
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
use crate::lambda::bus::Bus;
use crate::local_state as state;
use crate::project::Step;
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};
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
    let mut claim = claim(&target)?;
    let yml = ServerlessYml::load(&target.dir)?;
    // The ports first: a second deployment should fail before it builds and starts anything.
    let (server, console_listener) = bind(options.port)?;
    let (signal_sender, signals) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = signal_sender.send(());
    })
    .context("listening for Ctrl-C")?;
    // Watching starts before the build: a save during the first build is not missed.
    let watcher = match options.watch {
        true => Some(StepWatcher::new(&target.dir, options.poll)?),
        false => None,
    };
    let binary = first_build(&target)?;
    let stop = Arc::new(AtomicBool::new(false));
    let hub = console::Hub::new();
    // Everything the local cloud tells goes to the console and the terminal.
    let bus = Bus::new();
    bus.subscribe(Arc::clone(&hub) as _);
    let names: Vec<String> = yml.functions().iter().map(|f| f.name.to_owned()).collect();
    let (terminal, printing) = terminal::Terminal::start(&names, &stop);
    bus.subscribe(terminal);
    let mut service = Service::start(
        &target.name,
        &yml,
        &binary,
        (&hub, &bus),
        &stop,
        options.fresh,
    )?;
    let api_url = format!("http://127.0.0.1:{}", port_of(&server));
    let console_url = format!("http://127.0.0.1:{}", port_of(&console_listener));
    service.serves_at(&api_url, &console_url);
    service.record(&api_url)?;
    let mut api =
        api_gateway::server::serve(server, Arc::clone(service.routes()), Arc::clone(&bus))?;
    let (replay_requests, replays) = replays::channel();
    let mut console = console::serve(console_listener, Arc::clone(&hub), replay_requests)?;
    summary::print(&target, &service, &api_url, &console_url, options.watch);
    let threads = [printing, watch_table(&service, &hub, &stop)];

    serve_until_ctrl_c(Serving {
        target: &target,
        claim: &mut claim,
        service: &mut service,
        api_url: &api_url,
        signals,
        replays,
        watcher,
    });

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

/// The step to this process: two deployments of one step would share its logs and state
/// (running.json), so the second one says where the first runs instead. The claim is a lock
/// the system lets go when this process ends, however it ends.
fn claim(target: &Target) -> Result<state::Claim> {
    state::claim(&target.name).map_err(|_| {
        let where_it_runs = match state::running(&target.name) {
            Some(running) => format!("API at {}, xtask pid {}", running.api_url, running.pid),
            None => "it is starting".to_owned(),
        };
        anyhow!(
            "{} already runs locally ({where_it_runs}): one local deployment of a step at a \
             time. Use that one, or stop it with Ctrl-C in its terminal first",
            target.name
        )
    })
}

/// The API's port (`--port 0` lets the system pick one), and the console's beside it (3001
/// beside 3000), or any free one if that one is taken.
fn bind(port: u16) -> Result<(TcpListener, TcpListener)> {
    let server = TcpListener::bind(("127.0.0.1", port)).map_err(|error| {
        anyhow!(
            "port {port} on 127.0.0.1 is taken ({error}): is another `cargo xtask deploy \
             --local` running? Stop it with Ctrl-C, or pick another port with --port"
        )
    })?;
    let console = port_of(&server)
        .checked_add(1)
        .map_or_else(
            || TcpListener::bind(("127.0.0.1", 0)),
            |next| TcpListener::bind(("127.0.0.1", next)),
        )
        .or_else(|_| TcpListener::bind(("127.0.0.1", 0)))
        .context("opening a port on 127.0.0.1 for the console")?;
    Ok((server, console))
}

/// The step's binary, built for the first time in this run.
fn first_build(target: &Target) -> Result<PathBuf> {
    target.announce_first_build();
    match cargo_build::build_checked(&target.krate, true)? {
        Ok(binary) => Ok(binary),
        Err(BuildErrors(errors)) => anyhow::bail!(
            "{} does not build:\n{errors}\nFix it, then start `cargo xtask deploy --local` again",
            target.name
        ),
    }
}

/// The thread that shows the table to the console until `stop`.
fn watch_table(
    service: &Service,
    hub: &Arc<console::Hub>,
    stop: &Arc<AtomicBool>,
) -> thread::JoinHandle<()> {
    let (dynamodb, table, hub, stop) = (
        service.dynamodb(),
        service.table_name().to_owned(),
        Arc::clone(hub),
        Arc::clone(stop),
    );
    thread::spawn(move || console::watch_table(hub, dynamodb, table, stop))
}

/// What the loop of a running deployment looks after.
struct Serving<'a> {
    target: &'a Target,
    claim: &'a mut state::Claim,
    service: &'a mut Service,
    api_url: &'a str,
    signals: mpsc::Receiver<()>,
    replays: mpsc::Receiver<replays::ReplayRequest>,
    watcher: Option<StepWatcher>,
}

/// Until Ctrl-C: its state kept true, replays answered, saves put in place.
fn serve_until_ctrl_c(mut serving: Serving<'_>) {
    let mut rebuilds = watch::Rebuilds::default();
    loop {
        match serving.signals.try_recv() {
            Ok(()) | Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        // Its files deleted or damaged while it runs, or its processes changed: the lock taken
        // again and running.json written, so that other commands still find it (and the
        // processes it has now) and a second deployment is still refused.
        let said = state::running(&serving.target.name);
        let running = serving.service.running(serving.api_url);
        if serving.claim.renew() || said.as_ref() != Some(&running) {
            if let Err(error) = serving.service.record(serving.api_url) {
                eprintln!("{error:#}");
            }
        }
        while let Ok(request) = serving.replays.try_recv() {
            let _ = request.answer.send(serving.service.replay(&request.asked));
        }
        let change = serving
            .watcher
            .as_mut()
            .map(|w| w.next(Duration::from_millis(250)));
        match change {
            Some(Ok(Some(change))) => {
                rebuilds.apply(&change, serving.target, serving.service, serving.api_url)
            }
            Some(Ok(None)) => {}
            // The service goes on; only the watching stops.
            Some(Err(error)) => {
                say!(
                    "watch: {error:#}. Saves are no longer picked up: restart `cargo xtask \
                     deploy --local --watch` to watch again"
                );
                serving.watcher = None;
            }
            None => thread::sleep(Duration::from_millis(250)),
        }
    }
}

fn port_of(listener: &TcpListener) -> u16 {
    listener.local_addr().map_or(0, |address| address.port())
}
