//! The Lambda side of a local deployment behind one narrow door: a [`LambdaPlan`] goes in
//! (each function with how to start it, the API's routes, the stream's mappings), a running
//! [`LambdaService`] comes out. What happens is told on its [`Bus`]; a new build
//! ([`LambdaService::new_code`]) or a new plan ([`LambdaService::apply`]) is put in place
//! between invocations; dropping it stops it, the pollers first (their last batch answered),
//! then the functions.

mod functions;
mod mappings;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::lambda::api_gateway::routes::RouteSpec;
use crate::lambda::api_gateway::server::{Route, RouteTable};
use crate::lambda::bus::Bus;
use crate::lambda::destination::LocalDestination;
use crate::lambda::event_source::poller::Feed;
use crate::lambda::event_source::resumption::Resumption;
use crate::lambda::event_source::MappingSettings;
use crate::lambda::pool::{FunctionPool, Recipe};
use functions::Functions;
use mappings::Mappings;

pub use crate::lambda::event_source::StreamSource;
pub use functions::FunctionChange;

/// What the Lambda side runs: owned values, nothing of serverless.yml.
#[derive(Debug, Clone, Default)]
pub struct LambdaPlan {
    /// The build every function runs (a function added later runs it too).
    pub binary: PathBuf,
    pub functions: Vec<FunctionPlan>,
    pub routes: Vec<RouteSpec>,
    pub mappings: Vec<MappingPlan>,
}

#[derive(Debug, Clone)]
pub struct FunctionPlan {
    /// How to start one of its processes (its log lines are told on the service's bus).
    pub recipe: Recipe,
    /// Lambda stops an invocation that runs longer.
    pub timeout: Duration,
}

/// A function that reads the table's stream.
#[derive(Debug, Clone)]
pub struct MappingPlan {
    pub function: String,
    pub settings: MappingSettings,
    /// Its on-failure destination, if it has one Lambda can send to here.
    pub destination: Option<LocalDestination>,
}

#[derive(Debug)]
pub struct LambdaService {
    // Dropped in this order: the pollers end while the functions are still there.
    mappings: Mappings,
    functions: Functions,
    routes: Arc<RouteTable>,
    bus: Arc<Bus>,
}

impl LambdaService {
    /// One process for each function, the routes, and a poller for each mapping of `stream`.
    pub fn start(
        plan: &LambdaPlan,
        stream: Option<&StreamSource>,
        bus: &Arc<Bus>,
        stop: &Arc<AtomicBool>,
    ) -> Result<Self> {
        let mut service = Self {
            mappings: Mappings::new(stop),
            functions: Functions::start(&plan.binary, told_on(&plan.functions, bus))?,
            routes: Arc::new(RouteTable::new(Vec::new())),
            bus: Arc::clone(bus),
        };
        service.wire(plan, stream);
        Ok(service)
    }

    /// A new plan: a changed function's processes are replaced, a new one starts, one no
    /// longer there stops once nothing holds it; the routes and the mappings follow (a
    /// running poller keeps its place in the stream). Returns what it met on the way.
    pub fn apply(
        &mut self,
        plan: &LambdaPlan,
        stream: Option<&StreamSource>,
    ) -> Vec<FunctionChange> {
        let met = self.functions.apply(told_on(&plan.functions, &self.bus));
        self.wire(plan, stream);
        met
    }

    /// A new build of the binary: every function runs it from its next invocation on.
    pub fn new_code(&mut self, binary: &Path) -> Result<()> {
        self.functions.new_code(binary)
    }

    /// The routes being served, for API Gateway's server.
    pub fn routes(&self) -> &Arc<RouteTable> {
        &self.routes
    }

    pub fn function(&self, name: &str) -> Option<Arc<FunctionPool>> {
        self.functions.get(name)
    }

    /// The build its functions run.
    pub fn binary(&self) -> &Path {
        self.functions.binary()
    }

    /// The functions' names, in the plan's order.
    pub fn names(&self) -> Vec<String> {
        self.functions.names()
    }

    /// The pids of the functions' processes.
    pub fn pids(&self) -> Vec<u32> {
        self.functions.pids()
    }

    /// Where each stream function's mapping started reading.
    pub fn stream_starts(&self) -> &[(String, Resumption)] {
        self.mappings.starts()
    }

    /// The routes and the mappings of `plan`, on the functions running now.
    fn wire(&mut self, plan: &LambdaPlan, stream: Option<&StreamSource>) {
        let timeout = |name: &str| {
            plan.functions
                .iter()
                .find(|f| f.recipe.name == name)
                .map_or(Duration::from_secs(6), |f| f.timeout)
        };
        let routes = plan
            .routes
            .iter()
            .filter_map(|spec| {
                Some(Route {
                    timeout: timeout(&spec.function),
                    spec: spec.clone(),
                    function: self.functions.get(&spec.function)?,
                })
            })
            .collect();
        self.routes.replace(routes);
        let feeds = plan
            .mappings
            .iter()
            .filter_map(|mapping| {
                let feed = Feed {
                    function: self.functions.get(&mapping.function)?,
                    settings: mapping.settings.clone(),
                    timeout: timeout(&mapping.function),
                    retired: false,
                    destination: mapping.destination.clone(),
                };
                Some((mapping.function.clone(), feed))
            })
            .collect();
        let stream = stream.map(|stream| (stream, &self.bus));
        self.mappings.apply(feeds, stream, &self.functions);
    }
}

/// The recipes of `functions`, each telling its log lines on `bus`.
fn told_on(functions: &[FunctionPlan], bus: &Arc<Bus>) -> Vec<Recipe> {
    functions
        .iter()
        .map(|function| Recipe {
            bus: Some(Arc::clone(bus)),
            ..function.recipe.clone()
        })
        .collect()
}
