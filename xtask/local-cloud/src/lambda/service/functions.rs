//! The functions of a local deployment: each one's pool of processes, and the recipe it was
//! started from. A new build or a new plan replaces a function's processes between
//! invocations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::lambda::pool::{FunctionPool, Recipe};

/// What applying a plan met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionChange {
    /// A function's environment changed.
    EnvironmentChanged { function: String },
    /// A function could not start its new version.
    DidNotStart { function: String, error: String },
}

#[derive(Debug)]
pub struct Functions {
    /// The step's build they all run.
    binary: PathBuf,
    /// In the plan's order (running.json lists their pids in it).
    running: Vec<RunningFunction>,
}

#[derive(Debug)]
struct RunningFunction {
    name: String,
    pool: Arc<FunctionPool>,
    recipe: Recipe,
}

impl Functions {
    /// One process for each function of `recipes`, all running `binary`.
    pub(super) fn start(binary: &Path, recipes: Vec<Recipe>) -> Result<Self> {
        let mut functions = Self {
            binary: binary.to_owned(),
            running: Vec::new(),
        };
        for recipe in recipes {
            functions.running.push(RunningFunction {
                name: recipe.name.clone(),
                pool: start_pool(&recipe)?,
                recipe,
            });
        }
        Ok(functions)
    }

    /// The build they run.
    pub(super) fn binary(&self) -> &Path {
        &self.binary
    }

    /// A function's log file.
    pub(super) fn log(&self, name: &str) -> Option<&Path> {
        let function = self.running.iter().find(|f| f.name == name)?;
        Some(&function.recipe.log)
    }

    pub(super) fn get(&self, name: &str) -> Option<Arc<FunctionPool>> {
        let function = self.running.iter().find(|f| f.name == name)?;
        Some(Arc::clone(&function.pool))
    }

    /// Their names, in serverless.yml's order.
    pub(super) fn names(&self) -> Vec<String> {
        self.running.iter().map(|f| f.name.clone()).collect()
    }

    /// The pids of their processes, for running.json.
    pub(super) fn pids(&self) -> Vec<u32> {
        self.running.iter().flat_map(|f| f.pool.pids()).collect()
    }

    /// A new build of the binary: every function runs it from its next invocation on.
    pub(super) fn new_code(&mut self, binary: &Path) -> Result<()> {
        self.binary = binary.to_owned();
        let mut failed = Vec::new();
        for function in &mut self.running {
            function.recipe.binary = binary.to_owned();
            // Every function gets the new build, even when one of them cannot start.
            if let Err(error) = function.pool.replace(function.recipe.clone()) {
                failed.push(format!(
                    "function {} did not start with the new build: {error:#}",
                    function.name
                ));
            }
        }
        match failed.is_empty() {
            true => Ok(()),
            false => anyhow::bail!("{}", failed.join("; ")),
        }
    }

    /// The functions of a new serverless.yml: a changed recipe replaces the function's
    /// processes, a new function starts, one no longer there stops once no route or poller
    /// holds it. Returns what it met on the way.
    pub(super) fn apply(&mut self, recipes: Vec<Recipe>) -> Vec<FunctionChange> {
        let mut met = Vec::new();
        let mut kept = Vec::new();
        for recipe in recipes {
            match self.running.iter().position(|f| f.name == recipe.name) {
                Some(index) => {
                    let function = self.running.remove(index);
                    if function.recipe != recipe {
                        if function.recipe.environment != recipe.environment {
                            met.push(FunctionChange::EnvironmentChanged {
                                function: recipe.name.clone(),
                            });
                        }
                        // A function that cannot start says so, and the others go on.
                        if let Err(error) = function.pool.replace(recipe.clone()) {
                            met.push(FunctionChange::DidNotStart {
                                function: recipe.name.clone(),
                                error: format!("{error:#}"),
                            });
                        }
                    }
                    kept.push(RunningFunction { recipe, ..function });
                }
                None => match start_pool(&recipe) {
                    Ok(pool) => kept.push(RunningFunction {
                        name: recipe.name.clone(),
                        pool,
                        recipe,
                    }),
                    Err(error) => met.push(FunctionChange::DidNotStart {
                        function: recipe.name.clone(),
                        error: format!("{error:#}"),
                    }),
                },
            }
        }
        self.running = kept;
        met
    }
}

/// A function new to this deployment: a new log, and its first process.
fn start_pool(recipe: &Recipe) -> Result<Arc<FunctionPool>> {
    let _ = std::fs::remove_file(&recipe.log);
    Ok(Arc::new(FunctionPool::start(recipe.clone())?))
}
