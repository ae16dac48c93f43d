//! The running local service: moto with the table, each function's pool of processes, the
//! API's routes and the stream's pollers. Stopped when dropped. `deploy --local --watch`
//! changes it in place ([`Service::new_code`], [`Service::reload`]): the table, its items
//! and the stream's position stay.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use serde_json::{json, Value as Json};

use super::api_server::{Route, RouteTable};
use super::console::Hub;
use super::environment::{self, LocalNames};
use super::plan::{self, Plan};
use super::pool::{FunctionPool, Recipe};
use super::stream_poller::{shard_iterators, Feed, StreamPoller};
use super::table::{self, LocalTable};
use crate::lambda::log_file::Logs;
use crate::lambda::running as state;
use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::LocalDynamoDb;
use crate::tools::moto::MotoServer;

pub const STAGE: &str = "local";

#[derive(Debug)]
pub struct Service {
    /// The name its state and logs are kept under (`target/xtask/local/<name>`).
    pub name: String,
    pub moto: MotoServer,
    dynamodb: LocalDynamoDb,
    region: String,
    service: String,
    pub table: LocalTable,
    /// The stream was turned off and on again: new pollers start after what moto recorded
    /// meanwhile, as a stream turned on again on AWS is a new, empty stream.
    skip_to_latest: bool,
    /// The table's `Properties` as the running table has them.
    table_properties: Json,
    pub plan: Plan,
    binary: PathBuf,
    /// In serverless.yml's order (running.json lists their pids in it).
    functions: Vec<(String, Arc<FunctionPool>, Recipe)>,
    pub routes: Arc<RouteTable>,
    pollers: Vec<(String, Arc<Mutex<Feed>>, JoinHandle<()>)>,
    /// Its functions' logs, for the terminal and the console to follow.
    pub logs: Logs,
    /// Where the console's events go.
    pub hub: Arc<Hub>,
    /// The API's address, once it is known.
    api_url: Option<String>,
    stop: Arc<AtomicBool>,
}

impl Service {
    /// moto with the table, then one process per function; the pollers start too.
    pub fn start(
        name: &str,
        yml: &ServerlessYml,
        binary: &Path,
        hub: &Arc<Hub>,
        stop: &Arc<AtomicBool>,
    ) -> Result<Self> {
        let dir = state::dir(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        eprintln!("starting the local DynamoDB (moto)");
        let moto = MotoServer::start(dir.join("moto.log"))?;
        let region = yml.region().to_owned();
        let service = yml.service().unwrap_or("service").to_owned();
        let dynamodb = LocalDynamoDb::new(moto.endpoint(), &region);
        let table = table::create(yml, &dynamodb, &service, STAGE)?;
        let table_properties = match yml.users_table() {
            Some((_, resource)) => table::properties(resource)?,
            None => Json::Null,
        };
        let mut started = Service {
            name: name.to_owned(),
            moto,
            dynamodb,
            region,
            service,
            skip_to_latest: false,
            table,
            table_properties,
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

    /// Whether the table has a stream as far as the service goes. Once moto has a stream it
    /// keeps it (moto fails every write to a table whose stream was turned off): "off" means
    /// that no record is delivered, and the running table's properties have no
    /// `StreamSpecification`.
    fn stream_on(&self) -> bool {
        self.table_properties.get("StreamSpecification").is_some()
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
                    aws_endpoint: self.moto.endpoint().to_owned(),
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
        let mut children = vec![self.moto.pid()];
        children.extend(self.functions.iter().flat_map(|(_, pool, _)| pool.pids()));
        state::write(
            &self.name,
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
    /// stream), a new one starts, one no longer in the plan ends.
    fn start_pollers(&mut self) {
        let wanted: Vec<(String, Feed)> = match (&self.table.stream_arn, self.stream_on()) {
            (None, _) | (_, false) => Vec::new(),
            (Some(_), true) => self
                .plan
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
                        },
                    ))
                })
                .collect(),
        };
        let mut kept = Vec::new();
        for (name, feed, thread) in self.pollers.drain(..) {
            let new = wanted.iter().find(|(n, _)| *n == name).map(|(_, f)| f);
            let mut current = match feed.lock() {
                Ok(current) => current,
                Err(poisoned) => poisoned.into_inner(),
            };
            match new {
                Some(new) => *current = new.clone(),
                None => current.retired = true,
            }
            drop(current);
            if new.is_some() {
                kept.push((name, feed, thread));
            }
        }
        self.pollers = kept;
        let Some(stream_arn) = self.table.stream_arn.clone() else {
            return;
        };
        for (name, feed) in wanted {
            if self.pollers.iter().any(|(n, _, _)| *n == name) {
                continue;
            }
            // After a stream was turned on again: from its end as it is now, read before the
            // learner is told the stream is on, so that no later write is missed.
            let iterators = match self.skip_to_latest {
                true => shard_iterators(&self.dynamodb, &stream_arn, true).unwrap_or_default(),
                false => Vec::new(),
            };
            let mut feed = feed;
            // Should that read fail, the poller reads the end itself, a moment later.
            feed.settings.from_latest |= self.skip_to_latest;
            let feed = Arc::new(Mutex::new(feed));
            let poller = StreamPoller {
                name: name.clone(),
                hub: Arc::clone(&self.hub),
                dynamodb: self.dynamodb.clone(),
                stream_arn: stream_arn.clone(),
                region: self.region.clone(),
                log: state::function_log(&self.name, &name),
                feed: Arc::clone(&feed),
                iterators,
                stop: Arc::clone(&self.stop),
            };
            let thread = std::thread::spawn(move || poller.run());
            self.pollers.push((name, feed, thread));
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
            if new_plan.stream != self.stream_on() {
                // The table was not changed: its stream is as it was, whatever the plan says.
                lines.retain(|l| !l.starts_with("the table's stream is"));
            }
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

    /// Tells the console what the service is now.
    fn hello(&self) {
        self.hub.publish_hello(json!({
            "type": "hello",
            // A page left open across a restart sees another session, and starts afresh.
            "session": format!("{}-{}", std::process::id(), self.moto.pid()),
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

    /// The table as serverless.yml now describes it: a stream turned on or off is applied
    /// (the items stay); any other change needs a new table, which the learner is told.
    fn reload_table(&mut self, yml: &ServerlessYml) -> Result<Option<String>> {
        let properties = match yml.users_table() {
            Some((_, resource)) => table::properties(resource)?,
            None => Json::Null,
        };
        let without_stream = |properties: &Json| {
            let mut properties = properties.clone();
            if let Some(object) = properties.as_object_mut() {
                object.remove("StreamSpecification");
            }
            properties
        };
        // Compared with the table as it runs, not with the last save: a change undone is no
        // change.
        if without_stream(&self.table_properties) != without_stream(&properties) {
            return Ok(Some(
                "the table's definition differs from the running table's (keys, billing, \
                 name...): the local table keeps its own. Restart `cargo xtask deploy --local \
                 --watch` for a new table (a restart starts with an empty table)"
                    .to_owned(),
            ));
        }
        let before = self.table_properties.get("StreamSpecification").cloned();
        let after = properties.get("StreamSpecification");
        match (&before, after) {
            (None, Some(specification)) => {
                if self.table.stream_arn.is_none() {
                    table::enable_stream(&self.dynamodb, &mut self.table, specification)?;
                } else {
                    self.skip_to_latest = true;
                }
                self.table_properties = properties;
                Ok(None)
            }
            (Some(_), None) => {
                self.table_properties = properties;
                Ok(None)
            }
            (Some(before), Some(after)) if before != after => Ok(Some(
                "the stream's StreamViewType differs from the running stream's: the local \
                 stream keeps its own. Restart `cargo xtask deploy --local --watch` for the \
                 new one (a restart starts with an empty table)"
                    .to_owned(),
            )),
            _ => Ok(None),
        }
    }
}

/// A function new to this deployment: a new log, and its first process.
fn start_pool(recipe: &Recipe) -> Result<Arc<FunctionPool>> {
    let _ = std::fs::remove_file(&recipe.log);
    Ok(Arc::new(FunctionPool::start(recipe.clone())?))
}

impl Drop for Service {
    /// The pollers end with the deployment (`stop` is set before it is dropped).
    fn drop(&mut self) {
        for (_, feed, thread) in self.pollers.drain(..) {
            if let Ok(mut feed) = feed.lock() {
                feed.retired = true;
            }
            let _ = thread.join();
        }
    }
}
