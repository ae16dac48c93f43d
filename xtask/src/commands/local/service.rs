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
use super::plan::Plan;
use super::table::{RunningTable, TableStart};
use crate::lambda::api_gateway::server::RouteTable;
use crate::lambda::bus::Bus;
use crate::lambda::destination::LocalDestination;
use crate::lambda::event_source::resumption::Resumption;
use crate::lambda::function_log::FunctionLog;
use crate::lambda::pool::Recipe;
use crate::lambda::service::{FunctionPlan, LambdaPlan, LambdaService, MappingPlan, StreamSource};
use crate::local_state as state;
use crate::serverless_yml::environment::{function_environment, LocalNames};
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
    lambda: LambdaService,
    table: RunningTable,
    names: Names,
    plan: Plan,
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
        let lambda = LambdaService::start(
            &lambda_plan(&names, yml, &plan, &table, binary)?,
            stream_source(&names, &table).as_ref(),
            bus,
            stop,
        )?;
        let started = Service {
            lambda,
            table,
            names,
            plan,
            hub: Arc::clone(hub),
            bus: Arc::clone(bus),
            api_url: None,
            console_url: String::new(),
            started_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_millis()),
        };
        // The console hears of it once its API's address is known (`serves_at`).
        Ok(started)
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn routes(&self) -> &Arc<RouteTable> {
        self.lambda.routes()
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
        self.lambda.stream_starts()
    }

    /// The names of its functions, in serverless.yml's order.
    pub fn function_names(&self) -> Vec<String> {
        self.lambda.names()
    }

    /// `failures --replay`'s records of a kept message, through this deployment.
    pub fn replay(&self, asked: &super::replays::ReplayAsked) -> super::replays::Replayed {
        let queue = self
            .plan
            .destination(&asked.function)
            .map(|kept| LocalDestination::in_state(&state::dir(&self.names.step), kept));
        super::replays::replay(
            asked,
            self.lambda.function(&asked.function).as_deref(),
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
            children: self.lambda.pids(),
        }
    }

    /// A new build of the binary: every function runs it from its next invocation on.
    pub fn new_code(&mut self, binary: &Path) -> Result<()> {
        self.lambda.new_code(binary)
    }

    /// serverless.yml changed: functions, routes, stream settings and the table's stream take
    /// the new values. Returns each change, and each one that needs a restart.
    pub fn reload(&mut self, yml: &ServerlessYml) -> Result<Vec<Change>> {
        let plan = Plan::of(yml);
        plan.refuse_what_aws_would()?;
        let mut changes = changes::between(&self.plan, &plan);
        changes.extend(self.table.apply(yml)?);
        let wanted = lambda_plan(&self.names, yml, &plan, &self.table, self.lambda.binary())?;
        let stream = stream_source(&self.names, &self.table);
        let met = self.lambda.apply(&wanted, stream.as_ref());
        changes.extend(met.into_iter().map(Change::from));
        self.plan = plan;
        self.hello();
        Ok(changes)
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

/// What the Lambda side runs for `yml`: each function with its handler from the plan, its
/// environment from serverless.yml and its log in the step's state; the plan's routes; the
/// functions that read the stream, with their destinations in the step's state.
fn lambda_plan(
    names: &Names,
    yml: &ServerlessYml,
    plan: &Plan,
    table: &RunningTable,
    binary: &Path,
) -> Result<LambdaPlan> {
    let local = LocalNames {
        service: &names.service,
        stage: STAGE,
        region: &names.region,
        table: (&table.table().logical_id, &table.table().name),
    };
    let functions = yml
        .functions()
        .into_iter()
        .map(|function| {
            let handler = plan
                .functions
                .iter()
                .find(|(name, _)| name == function.name)
                .map_or("", |(_, handler)| handler.as_str());
            Ok(FunctionPlan {
                recipe: Recipe {
                    binary: binary.to_owned(),
                    name: function.name.to_owned(),
                    handler: handler.to_owned(),
                    region: names.region.clone(),
                    aws_endpoint: table.url(),
                    environment: function_environment(yml, &function, &local)?,
                    log: state::function_log(&names.step, function.name),
                    bus: None,
                },
                timeout: plan.timeout(function.name),
            })
        })
        .collect::<Result<_>>()?;
    let mappings = plan
        .pollers
        .iter()
        .map(|(name, settings)| MappingPlan {
            function: name.clone(),
            settings: settings.mapping.clone(),
            destination: plan
                .destination(name)
                .map(|kept| LocalDestination::in_state(&state::dir(&names.step), kept)),
        })
        .collect();
    Ok(LambdaPlan {
        binary: binary.to_owned(),
        functions,
        routes: plan.routes.clone(),
        mappings,
    })
}

/// The table's stream, if it has one, as the pollers read it.
fn stream_source(names: &Names, table: &RunningTable) -> Option<StreamSource> {
    let definition = table.table();
    let stream_arn = definition.stream_arn.clone()?;
    Some(StreamSource {
        streams: table.streams(),
        event_source_arn: definition
            .event_source_arn(&names.region)
            .unwrap_or_else(|| stream_arn.clone()),
        stream_arn,
        region: names.region.clone(),
        function_arn_prefix: format!(
            "arn:aws:lambda:{}:000000000000:function:{}-{STAGE}-",
            names.region, names.service
        ),
        checkpoints: state::dir(&names.step),
    })
}
