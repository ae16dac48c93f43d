//! A function's execution environments. Lambda runs concurrent invocations of a function in
//! separate environments, starting more as requests arrive (up to its concurrency); so does
//! the pool, up to [`MAX_ENVIRONMENTS`] processes per function, each with its own Runtime API.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Result};

use crate::lambda::bus::Bus;
use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::lambda::runtime_api::Outcome;

/// Enough for a room of curl users and a load test on a laptop, few enough for its memory.
pub const MAX_ENVIRONMENTS: usize = 8;

/// The API's requests that may wait for one of a function's environments; more are throttled
/// at once (Lambda throttles every request beyond its concurrency; waiting a little is kinder
/// to a learner's burst, and bounded, so that a hung function holds few connections).
pub const MAX_WAITING: usize = 64;

/// How to start one more environment of the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    pub binary: PathBuf,
    pub name: String,
    pub handler: String,
    pub region: String,
    pub aws_endpoint: String,
    pub environment: Vec<(String, String)>,
    pub log: PathBuf,
    /// Where its log lines are told.
    pub bus: Option<Arc<Bus>>,
}

impl Recipe {
    fn start(&self) -> Result<LocalFunction> {
        LocalFunction::start(FunctionSpec {
            binary: &self.binary,
            arguments: Vec::new(),
            name: &self.name,
            handler: &self.handler,
            region: &self.region,
            aws_endpoint: Some(&self.aws_endpoint),
            environment: self.environment.clone(),
            log: self.log.clone(),
            bus: self.bus.clone(),
        })
    }
}

/// One execution environment: its process, whether an invocation has it, and the version of
/// the code it was started with.
#[derive(Debug)]
struct Slot {
    id: u64,
    function: Arc<Mutex<LocalFunction>>,
    busy: bool,
    version: u64,
}

#[derive(Debug)]
struct Environments {
    recipe: Recipe,
    /// Bumped by [`FunctionPool::replace`]: a slot of an older version is not used again.
    version: u64,
    next_id: u64,
    slots: Vec<Slot>,
}

impl Environments {
    fn add(&mut self, busy: bool) -> Result<Arc<Mutex<LocalFunction>>> {
        let function = Arc::new(Mutex::new(self.recipe.start()?));
        self.next_id += 1;
        self.slots.push(Slot {
            id: self.next_id,
            function: Arc::clone(&function),
            busy,
            version: self.version,
        });
        Ok(function)
    }
}

#[derive(Debug)]
pub struct FunctionPool {
    name: String,
    environments: Mutex<Environments>,
    released: Condvar,
    /// The API's requests wait here for an environment, without a thread each: a hung
    /// function and hundreds of requests cost memory, not the threads others need.
    admission: Arc<tokio::sync::Semaphore>,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// A place among the requests waiting for an environment; given back when dropped.
#[derive(Debug)]
pub struct Waiting(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl FunctionPool {
    /// The pool with its first environment started.
    pub fn start(recipe: Recipe) -> Result<Self> {
        let mut environments = Environments {
            recipe,
            version: 0,
            next_id: 0,
            slots: Vec::new(),
        };
        environments.add(false)?;
        Ok(Self {
            name: environments.recipe.name.clone(),
            environments: Mutex::new(environments),
            released: Condvar::new(),
            admission: Arc::new(tokio::sync::Semaphore::new(MAX_ENVIRONMENTS)),
            waiting: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        })
    }

    /// A place to wait for an environment, unless [`MAX_WAITING`] requests already wait.
    pub fn wait_in_line(&self) -> Option<Waiting> {
        use std::sync::atomic::Ordering;
        let before = self.waiting.fetch_add(1, Ordering::Relaxed);
        let place = Waiting(Arc::clone(&self.waiting));
        (before < MAX_WAITING + MAX_ENVIRONMENTS).then_some(place)
    }

    /// A turn for one of the API's invocations: as many as the function has environments.
    pub fn admission(&self) -> Arc<tokio::sync::Semaphore> {
        Arc::clone(&self.admission)
    }

    /// New code or settings: idle environments stop now, busy ones when their invocation
    /// ends (none is cut off), and one environment of the new version starts (its process
    /// spawned, so that a binary that cannot be run is an error here; a handler that fails
    /// at init shows in the function's log at its first invocation).
    pub fn replace(&self, recipe: Recipe) -> Result<()> {
        let mut environments = self.environments.lock().map_err(|_| self.gone())?;
        environments.recipe = recipe;
        environments.version += 1;
        // Dropping a slot's function stops its process.
        environments.slots.retain(|slot| slot.busy);
        let started = environments.add(false).map(drop);
        drop(environments);
        // Waiters may start environments of the new version now, whatever became of this one.
        self.released.notify_all();
        started
    }

    /// The process ids of its idle environments (for running.json; a busy one holds its
    /// lock until its invocation ends, and is left out).
    pub fn pids(&self) -> Vec<u32> {
        let Ok(environments) = self.environments.lock() else {
            return Vec::new();
        };
        environments
            .slots
            .iter()
            .filter_map(|slot| slot.function.try_lock().ok().map(|f| f.pid()))
            .collect()
    }

    /// One invocation, in an idle environment, a new one, or the next to be free; its
    /// outcome, and its request id when it reached a function.
    pub fn invoke(&self, payload: &[u8], timeout: Duration) -> (Result<Outcome>, Option<String>) {
        let (id, environment) = match self.acquire() {
            Ok(acquired) => acquired,
            Err(error) => return (Err(error), None),
        };
        let (outcome, request_id) = match environment.lock() {
            Ok(mut function) => {
                let outcome = function.invoke(payload, timeout);
                (outcome, function.last_request_id())
            }
            Err(_) => (Err(self.gone()), None),
        };
        if let Ok(mut environments) = self.environments.lock() {
            let version = environments.version;
            // An environment of older code goes once its invocation is over.
            environments
                .slots
                .retain(|slot| slot.id != id || slot.version == version);
            if let Some(slot) = environments.slots.iter_mut().find(|slot| slot.id == id) {
                slot.busy = false;
            }
        }
        self.released.notify_one();
        (outcome, request_id)
    }

    fn gone(&self) -> anyhow::Error {
        anyhow!("function {} is gone", self.name)
    }

    fn acquire(&self) -> Result<(u64, Arc<Mutex<LocalFunction>>)> {
        let mut environments = self.environments.lock().map_err(|_| self.gone())?;
        loop {
            let version = environments.version;
            if let Some(slot) = environments
                .slots
                .iter_mut()
                .find(|slot| !slot.busy && slot.version == version)
            {
                slot.busy = true;
                return Ok((slot.id, Arc::clone(&slot.function)));
            }
            if environments.slots.len() < MAX_ENVIRONMENTS {
                return match environments.add(true) {
                    Ok(function) => Ok((environments.next_id, function)),
                    Err(error) => {
                        // The wake-up this waiter took is passed on, not lost with it.
                        drop(environments);
                        self.released.notify_one();
                        Err(error)
                    }
                };
            }
            environments = self.released.wait(environments).map_err(|_| self.gone())?;
        }
    }
}
