//! The running local service, wired from its parts: the table ([`RunningTable`]), the
//! functions ([`Functions`]), the event source mappings ([`Mappings`]) and the API's routes,
//! all from one [`Plan`] of serverless.yml. Stopped when dropped. `deploy --local --watch`
//! changes it in place ([`Service::new_code`], [`Service::reload`]): the table, its items and
//! the stream's position stay; a restart finds them again in the step's state.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::json;

use super::changes::{self, Change};
use super::console::Hub;
use super::functions::{self, Functions};
use super::mappings::{Mappings, Stream};
use super::plan::Plan;
use super::table::{RunningTable, TableStart};
use crate::lambda::api_gateway::server::{Route, RouteTable};
use crate::lambda::bus::Bus;
use crate::lambda::destination::LocalDestination;
use crate::lambda::event_source::poller::Feed;
use crate::lambda::event_source::resumption::Resumption;
use crate::lambda::function_log::FunctionLog;
use crate::lambda::pool::Recipe;
use crate::local_state as state;
use crate::serverless_yml::environment::LocalNames;
use crate::serverless_yml::ServerlessYml;
use crate::tools::local_dynamodb::LocalDynamoDb;

pub const STAGE: &str = "local";

/// What a deployment is called: fixed when it starts.
#[derive(Debug)]
struct Names {
    /// The name its state and logs are kept under (`target/xtask/local/<step>`).
    step: String,
    /// serverless.yml's service and region.
    service: String,
    region: String,
}

#[derive(Debug)]
pub struct Service {
    // Dropped in this order: the pollers end (their last batch answered) while the functions
    // and the table are still there.
    mappings: Mappings,
    functions: Functions,
    table: RunningTable,
    names: Names,
    plan: Plan,
    routes: Arc<RouteTable>,
    /// Where the console's own events go (what the service is, its table).
    hub: Arc<Hub>,
    /// Where everything the local cloud tells goes.
    bus: Arc<Bus>,
    /// The API's address, once it is known.
    api_url: Option<String>,
    /// The console's address, once it is known.
    console_url: String,
    /// When it started, in ms since the epoch: the console tells sessions apart by it.
    started_at: u128,
}

impl Service {
    /// The local DynamoDB with the table (the last run's, unless `fresh`), then one process
    /// per function; the pollers start too.
    pub fn start(
        name: &str,
        yml: &ServerlessYml,
        binary: &Path,
        (hub, bus): (&Arc<Hub>, &Arc<Bus>),
        stop: &Arc<AtomicBool>,
        fresh: bool,
    ) -> Result<Self> {
        let dir = state::dir(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let names = Names {
            step: name.to_owned(),
            service: yml.service().unwrap_or("service").to_owned(),
            region: yml.region().to_owned(),
        };
        let plan = Plan::of(yml);
        plan.refuse_what_aws_would()?;
        let table = RunningTable::start(&dir, yml, (&names.service, STAGE), fresh)?;
        let recipes = recipes(&names, yml, &plan, &table, binary, bus)?;
        let mut started = Service {
            mappings: Mappings::new(Arc::clone(bus), stop),
            functions: Functions::start(binary, recipes)?,
            table,
            names,
            plan,
            routes: Arc::new(RouteTable::new(Vec::new())),
            hub: Arc::clone(hub),
            bus: Arc::clone(bus),
            api_url: None,
            console_url: String::new(),
            started_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_millis()),
        };
        started.routes.replace(started.route_list());
        started.start_mappings();
        // The console hears of it once its API's address is known (`serves_at`).
        Ok(started)
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn routes(&self) -> &Arc<RouteTable> {
        &self.routes
    }

    /// The local DynamoDB's address.
    pub fn dynamodb_url(&self) -> String {
        self.table.url()
    }

    /// The local DynamoDB, for the console's view of the table.
    pub fn dynamodb(&self) -> LocalDynamoDb {
        self.table.dynamodb().clone()
    }

    pub fn table_name(&self) -> &str {
        &self.table.table().name
    }

    /// What became of the last run's table.
    pub fn table_start(&self) -> &TableStart {
        self.table.how_it_started()
    }

    /// Where each stream function's mapping started reading.
    pub fn stream_starts(&self) -> &[(String, Resumption)] {
        self.mappings.starts()
    }

    /// The names of its functions, in serverless.yml's order.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.names()
    }

    /// `failures --replay`'s records of a kept message, through this deployment.
    pub fn replay(&self, asked: &super::replays::ReplayAsked) -> super::replays::Replayed {
        let queue = self
            .plan
            .destination(&asked.function)
            .map(|kept| LocalDestination::in_state(&state::dir(&self.names.step), kept));
        super::replays::replay(
            asked,
            self.functions.get(&asked.function).as_deref(),
            self.plan.timeout(&asked.function),
            queue.as_ref(),
            &FunctionLog::new(
                &asked.function,
                state::function_log(&self.names.step, &asked.function),
                Some(Arc::clone(&self.bus)),
            ),
        )
    }

    /// The API's address, for the console.
    pub fn serves_at(&mut self, api_url: &str, console_url: &str) {
        self.api_url = Some(api_url.to_owned());
        self.console_url = console_url.to_owned();
        self.hello();
    }

    /// running.json: how `logs`, `put-item` and the tests find this deployment.
    pub fn record(&self, api_url: &str) -> Result<()> {
        state::write(&self.names.step, &self.running(api_url))
    }

    /// What running.json should say now (its functions' processes change as they restart).
    pub fn running(&self, api_url: &str) -> state::Running {
        state::Running {
            pid: std::process::id(),
            api_url: api_url.to_owned(),
            console_url: self.console_url.clone(),
            dynamodb_endpoint: self.table.url(),
            table: self.table.table().name.clone(),
            region: self.names.region.clone(),
            children: self.functions.pids(),
        }
    }

    /// A new build of the binary: every function runs it from its next invocation on.
    pub fn new_code(&mut self, binary: &Path) -> Result<()> {
        self.functions.new_code(binary)
    }

    /// serverless.yml changed: functions, routes, stream settings and the table's stream take
    /// the new values. Returns each change, and each one that needs a restart.
    pub fn reload(&mut self, yml: &ServerlessYml) -> Result<Vec<Change>> {
        let plan = Plan::of(yml);
        plan.refuse_what_aws_would()?;
        let mut changes = changes::between(&self.plan, &plan);
        changes.extend(self.table.apply(yml)?);
        let recipes = recipes(
            &self.names,
            yml,
            &plan,
            &self.table,
            self.functions.binary(),
            &self.bus,
        )?;
        changes.extend(self.functions.apply(recipes));
        self.plan = plan;
        self.routes.replace(self.route_list());
        self.start_mappings();
        self.hello();
        Ok(changes)
    }

    fn route_list(&self) -> Vec<Route> {
        self.plan
            .routes
            .iter()
            .filter_map(|spec| {
                Some(Route {
                    timeout: self.plan.timeout(&spec.function),
                    spec: spec.clone(),
                    function: self.functions.get(&spec.function)?,
                })
            })
            .collect()
    }

    /// The plan's feeds of the table's stream, if it has one.
    fn start_mappings(&mut self) {
        let table = self.table.table();
        let Some(stream_arn) = table.stream_arn.as_deref() else {
            self.mappings.apply(Vec::new(), None);
            return;
        };
        let wanted = self
            .plan
            .pollers
            .iter()
            .filter_map(|(name, settings)| {
                let feed = Feed {
                    function: self.functions.get(name)?,
                    settings: settings.mapping.clone(),
                    timeout: self.plan.timeout(name),
                    retired: false,
                    destination: self.plan.destination(name).map(|kept| {
                        LocalDestination::in_state(&state::dir(&self.names.step), kept)
                    }),
                };
                Some((name.clone(), feed))
            })
            .collect();
        let stream = Stream {
            step: &self.names.step,
            dynamodb: self.table.dynamodb(),
            stream_arn,
            event_source_arn: table
                .event_source_arn(&self.names.region)
                .unwrap_or_else(|| stream_arn.to_owned()),
            region: &self.names.region,
            service: &self.names.service,
            stage: STAGE,
        };
        self.mappings.apply(wanted, Some(&stream));
    }

    /// Tells the console what the service is now, and what its queues keep.
    fn hello(&self) {
        for (_, kept) in &self.plan.destinations {
            let queue = LocalDestination::in_state(&state::dir(&self.names.step), kept);
            self.hub.publish_queue(json!({
                "type": "queue",
                "queue": queue.label,
                "messages": queue.messages().iter().map(|m| m.body.clone()).collect::<Vec<_>>(),
            }));
        }
        self.hub.publish_hello(json!({
            "type": "hello",
            // A page left open across a restart sees another session, and starts afresh.
            "session": format!("{}-{}", std::process::id(), self.started_at),
            "step": self.names.step,
            "api": self.api_url,
            "routes": self.plan.routes.iter().map(|route| json!({
                "route": route.describe(),
                "function": route.function,
            })).collect::<Vec<_>>(),
            "functions": self.function_names(),
            "table": self.table_name(),
            "stream": self.plan.stream_summary(),
        }));
    }
}

/// How to start each function of `yml`, with the names its environment is made of.
fn recipes(
    names: &Names,
    yml: &ServerlessYml,
    plan: &Plan,
    table: &RunningTable,
    binary: &Path,
    bus: &Arc<Bus>,
) -> Result<Vec<Recipe>> {
    let local = LocalNames {
        service: &names.service,
        stage: STAGE,
        region: &names.region,
        table: (&table.table().logical_id, &table.table().name),
    };
    let recipes = functions::recipes(yml, plan, &local, &names.step, &table.url(), binary)?;
    // Their log lines are told on the deployment's bus.
    Ok(recipes
        .into_iter()
        .map(|recipe| Recipe {
            bus: Some(Arc::clone(bus)),
            ..recipe
        })
        .collect())
}
