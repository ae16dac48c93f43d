//! A function's execution environments. Lambda runs concurrent invocations of a function in
//! separate environments, starting more as requests arrive (up to its concurrency); so does
//! the pool, up to [`MAX_ENVIRONMENTS`] processes per function, each with its own Runtime API.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Result};

use crate::lambda::function::{FunctionSpec, LocalFunction};
use crate::lambda::runtime_api::Outcome;

/// Enough for a room of curl users and a load test on a laptop, few enough for its memory.
pub const MAX_ENVIRONMENTS: usize = 8;

/// How to start one more environment of the function.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub binary: PathBuf,
    pub name: String,
    pub handler: String,
    pub region: String,
    pub aws_endpoint: String,
    pub environment: Vec<(String, String)>,
    pub log: PathBuf,
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
        })
    }
}

#[derive(Debug)]
pub struct FunctionPool {
    recipe: Recipe,
    /// Each environment, and whether an invocation has it.
    environments: Mutex<Vec<(Arc<Mutex<LocalFunction>>, bool)>>,
    released: Condvar,
}

impl FunctionPool {
    /// The pool with its first environment started.
    pub fn start(recipe: Recipe) -> Result<Self> {
        let first = Arc::new(Mutex::new(recipe.start()?));
        Ok(Self {
            recipe,
            environments: Mutex::new(vec![(first, false)]),
            released: Condvar::new(),
        })
    }

    /// The process ids of its environments (for running.json). Read at start, before any
    /// invocation: an environment in use holds its lock until the invocation ends.
    pub fn pids(&self) -> Vec<u32> {
        let Ok(environments) = self.environments.lock() else {
            return Vec::new();
        };
        environments
            .iter()
            .filter_map(|(environment, _)| environment.lock().ok().map(|f| f.pid()))
            .collect()
    }

    /// One invocation, in an idle environment, a new one, or the next to be free.
    pub fn invoke(&self, payload: &[u8], timeout: Duration) -> Result<Outcome> {
        let (index, environment) = self.acquire()?;
        let outcome = match environment.lock() {
            Ok(mut function) => function.invoke(payload, timeout),
            Err(_) => Err(anyhow!("function {} is gone", self.recipe.name)),
        };
        if let Ok(mut environments) = self.environments.lock() {
            if let Some(slot) = environments.get_mut(index) {
                slot.1 = false;
            }
        }
        self.released.notify_one();
        outcome
    }

    fn acquire(&self) -> Result<(usize, Arc<Mutex<LocalFunction>>)> {
        let gone = || anyhow!("function {} is gone", self.recipe.name);
        let mut environments = self.environments.lock().map_err(|_| gone())?;
        loop {
            if let Some(index) = environments.iter().position(|(_, busy)| !busy) {
                environments[index].1 = true;
                return Ok((index, Arc::clone(&environments[index].0)));
            }
            if environments.len() < MAX_ENVIRONMENTS {
                let started = Arc::new(Mutex::new(self.recipe.start()?));
                environments.push((Arc::clone(&started), true));
                return Ok((environments.len() - 1, started));
            }
            environments = self.released.wait(environments).map_err(|_| gone())?;
        }
    }
}
