//! The running local service: the local DynamoDB with the table, each function's pool of
//! processes, the API's routes and the stream's pollers. Stopped when dropped. `deploy --local
//! --watch` changes it in place ([`Service::new_code`], [`Service::reload`]): the table, its
//! items and the stream's position stay; a restart finds them again in the step's state.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use serde_json::json;

use super::console::Hub;
use super::plan::{self, Plan};
use super::table::{self, Definition, LocalTable, TableFiles, TableStart};
use crate::lambda::api_gateway::server::{Route, RouteTable};
use crate::lambda::destination::LocalQueue;
use crate::lambda::event_source::checkpoint::CheckpointFile;
use crate::lambda::event_source::poller::{resume, Feed, Resumption, StreamPoller};
use crate::lambda::function_environment::{self as environment, LocalNames};
use crate::lambda::log_file::Logs;
use crate::lambda::observer::Observer;
use crate::lambda::pool::{FunctionPool, Recipe};
use crate::local_state as state;
use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::endpoint::{LocalDynamoDbEndpoint, Storage};
use crate::tools::local_dynamodb::LocalDynamoDb;

pub const STAGE: &str = "local";

#[derive(Debug)]
pub struct Service {
    /// The name its state and logs are kept under (`target/xtask/local/<name>`).
    pub name: String,
    /// The local DynamoDB, serving the table from the step's state.
    endpoint: LocalDynamoDbEndpoint,
    dynamodb: LocalDynamoDb,
    region: String,
    service: String,
    pub table: LocalTable,
    /// What became of the last run's table.
    pub table_start: TableStart,
    /// The table as it runs (its definition in serverless.yml when it was made, and its
    /// stream as now).
    definition: Definition,
    files: TableFiles,
    /// Where each stream function's mapping started reading, for the summary.
    pub stream_starts: Vec<(String, Resumption)>,
    /// When it started, in ms since the epoch: the console tells sessions apart by it.
    started_at: u128,
    pub plan: Plan,
    binary: PathBuf,
    /// In serverless.yml's order (running.json lists their pids in it).
    functions: Vec<(String, Arc<FunctionPool>, Recipe)>,
    pub routes: Arc<RouteTable>,
    pollers: Vec<RunningPoller>,
    /// Its functions' logs, for the terminal and the console to follow.
    pub logs: Logs,
    /// Where the console's events go.
    pub hub: Arc<Hub>,
    /// The API's address, once it is known.
    api_url: Option<String>,
    stop: Arc<AtomicBool>,
}

impl Service {
    /// The local DynamoDB with the table (the last run's, unless `fresh`), then one process
    /// per function; the pollers start too.
    pub fn start(
        name: &str,
        yml: &ServerlessYml,
        binary: &Path,
        hub: &Arc<Hub>,
        stop: &Arc<AtomicBool>,
        fresh: bool,
    ) -> Result<Self> {
        let dir = state::dir(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let region = yml.region().to_owned();
        let service = yml.service().unwrap_or("service").to_owned();
        let definition = Definition::of(yml, &service, STAGE)?;
        let files = TableFiles::in_dir(&dir);
        let (earlier, mut table_start) = files.make_room(&definition, fresh)?;
        let endpoint = LocalDynamoDbEndpoint::start(&Storage::File(files.database()))?;
        let dynamodb = LocalDynamoDb::new(&endpoint.url(), &region);
        let (table, items) = table::open(&dynamodb, &definition, earlier.as_ref())?;
        if let Some(items) = items {
            table_start = TableStart::Kept { items };
        }
        files.remember(&definition)?;
        let started_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let mut started = Service {
            name: name.to_owned(),
            endpoint,
            dynamodb,
            region,
            service,
            table,
            table_start,
            definition,
            files,
            stream_starts: Vec::new(),
            started_at,
            plan: Plan::of(yml),
            binary: binary.to_owned(),
            functions: Vec::new(),
            routes: Arc::new(RouteTable::new(Vec::new())),
            pollers: Vec::new(),
            logs: Logs::default(),
            hub: Arc::clone(hub),
            api_url: None,
            stop: Arc::clone(stop),
        };
        for (name, recipe) in started.recipes(yml)? {
            let pool = start_pool(&recipe)?;
            started.functions.push((name, pool, recipe));
        }
        started.routes.replace(started.route_list());
        started.start_pollers();
        started.list_logs();
        // The console hears of it once its API's address is known (`serves_at`).
        Ok(started)
    }

    /// The local DynamoDB's address.
    pub fn dynamodb_url(&self) -> String {
        self.endpoint.url()
    }

    /// How to start each function of `yml`, in its order.
    fn recipes(&self, yml: &ServerlessYml) -> Result<Vec<(String, Recipe)>> {
        let names = LocalNames {
            service: &self.service,
            stage: STAGE,
            region: &self.region,
            table: (&self.table.logical_id, &self.table.name),
        };
        let plan = Plan::of(yml);
        yml.functions()
            .into_iter()
            .map(|function| {
                let handler = plan
                    .functions
                    .iter()
                    .find(|(name, _)| name == function.name)
                    .map_or("", |(_, handler)| handler.as_str());
                let recipe = Recipe {
                    binary: self.binary.clone(),
                    name: function.name.to_owned(),
                    handler: handler.to_owned(),
                    region: self.region.clone(),
                    aws_endpoint: self.endpoint.url(),
                    environment: environment::function_environment(yml, &function, &names)?,
                    log: state::function_log(&self.name, function.name),
                };
                Ok((function.name.to_owned(), recipe))
            })
            .collect()
    }

    fn function(&self, name: &str) -> Option<Arc<FunctionPool>> {
        let (_, function, _) = self.functions.iter().find(|(n, _, _)| n == name)?;
        Some(Arc::clone(function))
    }

    /// The names of its functions, in serverless.yml's order.
    pub fn function_names(&self) -> Vec<String> {
        self.functions
            .iter()
            .map(|(name, _, _)| name.clone())
            .collect()
    }

    /// The API's address, for the console.
    pub fn serves_at(&mut self, api_url: &str) {
        self.api_url = Some(api_url.to_owned());
        self.hello();
    }

    /// running.json: how `logs`, `put-item` and the tests find this deployment.
    pub fn record(&self, api_url: &str) -> Result<()> {
        let children = self
            .functions
            .iter()
            .flat_map(|(_, pool, _)| pool.pids())
            .collect();
        state::write(
            &self.name,
            &state::Running {
                pid: std::process::id(),
                api_url: api_url.to_owned(),
                dynamodb_endpoint: self.endpoint.url(),
                table: self.table.name.clone(),
                region: self.region.clone(),
                children,
            },
        )
    }

    fn route_list(&self) -> Vec<Route> {
        self.plan
            .routes
            .iter()
            .filter_map(|spec| {
                Some(Route {
                    timeout: self.plan.timeout(&spec.function),
                    spec: spec.clone(),
                    function: self.function(&spec.function)?,
                })
            })
            .collect()
    }

    /// The plan's feeds: a running poller gets its new settings (and keeps its place in the
    /// stream), a new one starts where its checkpoint says, one no longer in the plan ends.
    fn start_pollers(&mut self) {
        let wanted: Vec<(String, Feed)> = match &self.table.stream_arn {
            None => Vec::new(),
            Some(_) => {
                self.plan
                    .pollers
                    .iter()
                    .filter_map(|(name, settings)| {
                        Some((
                            name.clone(),
                            Feed {
                                function: self.function(name)?,
                                settings: settings.clone(),
                                timeout: self.plan.timeout(name),
                                retired: false,
                                destination: self.plan.destination(name).map(|queue| {
                                    LocalQueue::in_state(&state::dir(&self.name), queue)
                                }),
                            },
                        ))
                    })
                    .collect()
            }
        };
        let mut kept = Vec::new();
        for poller in self.pollers.drain(..) {
            let RunningPoller {
                function: name,
                stream_arn,
                feed,
                thread,
            } = poller;
            let new = wanted.iter().find(|(n, _)| *n == name).map(|(_, f)| f);
            // A stream turned off and on is another stream: its poller starts anew.
            let same_stream = self.table.stream_arn.as_deref() == Some(stream_arn.as_str());
            let mut current = match feed.lock() {
                Ok(current) => current,
                Err(poisoned) => poisoned.into_inner(),
            };
            match new {
                Some(new) if same_stream => *current = new.clone(),
                _ => current.retired = true,
            }
            drop(current);
            match new.is_some() && same_stream {
                true => kept.push(RunningPoller {
                    function: name,
                    stream_arn,
                    feed,
                    thread,
                }),
                // Its last invocation ends before another poller takes the function.
                false => {
                    let _ = thread.join();
                }
            }
        }
        self.pollers = kept;
        let Some(stream_arn) = self.table.stream_arn.clone() else {
            return;
        };
        let event_source_arn = self
            .table
            .event_source_arn(&self.region)
            .unwrap_or_else(|| stream_arn.clone());
        for (name, feed) in wanted {
            if self.pollers.iter().any(|poller| poller.function == name) {
                continue;
            }
            let checkpoint = CheckpointFile::of(&state::dir(&self.name), &name);
            // Where it starts is known before the learner is told the stream is on; should
            // that read fail, the poller reads it itself, a moment later.
            let start = resume(
                &self.dynamodb,
                &stream_arn,
                &checkpoint,
                feed.settings.from_latest,
            )
            .ok();
            if let Some(start) = &start {
                self.stream_starts.retain(|(n, _)| *n != name);
                self.stream_starts.push((name.clone(), start.how.clone()));
            }
            let feed = Arc::new(Mutex::new(feed));
            let poller = StreamPoller {
                name: name.clone(),
                observer: Arc::clone(&self.hub) as Arc<dyn Observer>,
                dynamodb: self.dynamodb.clone(),
                stream_arn: stream_arn.clone(),
                event_source_arn: event_source_arn.clone(),
                function_arn: format!(
                    "arn:aws:lambda:{}:000000000000:function:{}-{STAGE}-{name}",
                    self.region, self.service
                ),
                region: self.region.clone(),
                log: state::function_log(&self.name, &name),
                feed: Arc::clone(&feed),
                start,
                checkpoint,
                kept: None,
                stop: Arc::clone(&self.stop),
            };
            let thread = std::thread::spawn(move || poller.run());
            self.pollers.push(RunningPoller {
                function: name,
                stream_arn: stream_arn.clone(),
                feed,
                thread,
            });
        }
    }

    /// A new build of the binary: every function runs it from its next invocation on.
    pub fn new_code(&mut self, binary: &Path) -> Result<()> {
        self.binary = binary.to_owned();
        let mut failed = Vec::new();
        for (name, pool, recipe) in &mut self.functions {
            recipe.binary = binary.to_owned();
            // Every function gets the new build, even when one of them cannot start.
            if let Err(error) = pool.replace(recipe.clone()) {
                failed.push(format!(
                    "function {name} did not start with the new build: {error:#}"
                ));
            }
        }
        match failed.is_empty() {
            true => Ok(()),
            false => anyhow::bail!("{}", failed.join("; ")),
        }
    }

    /// serverless.yml changed: functions, routes, stream settings and the table's stream take
    /// the new values. Returns a line for each change, and for each one that needs a restart.
    pub fn reload(&mut self, yml: &ServerlessYml) -> Result<Vec<String>> {
        let new_plan = Plan::of(yml);
        let mut lines = plan::changes(&self.plan, &new_plan);
        if let Some(line) = self.reload_table(yml)? {
            lines.push(line);
        }
        let recipes = self.recipes(yml)?;
        let mut functions = Vec::new();
        for (name, recipe) in recipes {
            match self.functions.iter().position(|(n, _, _)| *n == name) {
                Some(index) => {
                    let (name, pool, old) = self.functions.remove(index);
                    if old != recipe {
                        if old.environment != recipe.environment {
                            lines.push(format!("function {name}: its environment changed"));
                        }
                        // A function that cannot start says so, and the others go on.
                        if let Err(error) = pool.replace(recipe.clone()) {
                            lines.push(format!("function {name}: {error:#}"));
                        }
                    }
                    functions.push((name, pool, recipe));
                }
                None => match start_pool(&recipe) {
                    Ok(pool) => functions.push((name, pool, recipe)),
                    Err(error) => lines.push(format!("function {name}: {error:#}")),
                },
            }
        }
        // The functions no longer in serverless.yml stop once no route or poller holds them.
        self.functions = functions;
        self.plan = new_plan;
        self.routes.replace(self.route_list());
        self.start_pollers();
        self.list_logs();
        self.hello();
        Ok(lines)
    }

    /// Tells the console what the service is now, and what its queues keep.
    fn hello(&self) {
        for (_, queue) in &self.plan.destinations {
            let queue = LocalQueue::in_state(&state::dir(&self.name), queue);
            self.hub.publish_queue(json!({
                "type": "queue",
                "queue": queue.name,
                "messages": queue.messages().iter().map(|m| m.body.clone()).collect::<Vec<_>>(),
            }));
        }
        self.hub.publish_hello(json!({
            "type": "hello",
            // A page left open across a restart sees another session, and starts afresh.
            "session": format!("{}-{}", std::process::id(), self.started_at),
            "step": self.name,
            "api": self.api_url,
            "routes": self.plan.routes.iter().map(|route| json!({
                "route": route.describe(),
                "function": route.function,
            })).collect::<Vec<_>>(),
            "functions": self.function_names(),
            "table": self.table.name,
            "stream": self.plan.stream_summary(),
        }));
    }

    /// The local DynamoDB, for the console's view of the table.
    pub fn dynamodb(&self) -> LocalDynamoDb {
        self.dynamodb.clone()
    }

    /// Adds the logs of functions it did not have yet (a removed function's log stays listed:
    /// it may still finish an invocation).
    fn list_logs(&self) {
        let mut logs = match self.logs.lock() {
            Ok(logs) => logs,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (name, _, recipe) in &self.functions {
            if !logs.iter().any(|(listed, _)| listed == name) {
                logs.push((name.clone(), recipe.log.clone()));
            }
        }
    }

    /// The table as serverless.yml now describes it: a stream turned on, off or to another
    /// view type is applied (the items stay; a stream on again is a new stream, as on AWS);
    /// any other change needs a new table, which the learner is told.
    fn reload_table(&mut self, yml: &ServerlessYml) -> Result<Option<String>> {
        let wanted = Definition::of(yml, &self.service, STAGE)?;
        if wanted.stream() != self.definition.stream() {
            table::set_stream(&self.dynamodb, &mut self.table, wanted.stream())?;
            match wanted.stream() {
                Some(stream) => self.definition.properties["StreamSpecification"] = stream.clone(),
                None => {
                    if let Some(properties) = self.definition.properties.as_object_mut() {
                        properties.remove("StreamSpecification");
                    }
                }
            }
            self.files.remember(&self.definition)?;
        }
        // Compared with the table as it runs, not with the last save: a change undone is no
        // change.
        Ok((!wanted.same_table(&self.definition)).then(|| {
            "the table's definition differs from the running table's (keys, billing, name...): \
             the local table keeps its own. Restart `cargo xtask deploy --local --watch` for a \
             new table (the running table's items are then kept aside)"
                .to_owned()
        }))
    }
}

/// A poller's thread, and what it reads for whom.
#[derive(Debug)]
struct RunningPoller {
    function: String,
    /// The stream it reads: a stream turned off and on again is another one.
    stream_arn: String,
    feed: Arc<Mutex<Feed>>,
    thread: JoinHandle<()>,
}

/// A function new to this deployment: a new log, and its first process.
fn start_pool(recipe: &Recipe) -> Result<Arc<FunctionPool>> {
    let _ = std::fs::remove_file(&recipe.log);
    Ok(Arc::new(FunctionPool::start(recipe.clone())?))
}

impl Drop for Service {
    /// The pollers end with the deployment (`stop` is set before it is dropped).
    fn drop(&mut self) {
        for poller in self.pollers.drain(..) {
            if let Ok(mut feed) = poller.feed.lock() {
                feed.retired = true;
            }
            let _ = poller.thread.join();
        }
    }
}
