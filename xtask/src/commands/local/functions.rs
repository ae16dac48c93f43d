//! The functions of a local deployment: each one's pool of processes, and the recipe it was
//! started from. A new build or a new serverless.yml replaces a function's processes between
//! invocations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use super::changes::Change;
use super::plan::Plan;
use crate::lambda::pool::{FunctionPool, Recipe};
use crate::local_state as state;
use crate::serverless_yml::environment::{function_environment, LocalNames};
use crate::serverless_yml::ServerlessYml;

#[derive(Debug)]
pub struct Functions {
    /// The step's build they all run.
    binary: PathBuf,
    /// In serverless.yml's order (running.json lists their pids in it).
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
    pub fn start(binary: &Path, recipes: Vec<Recipe>) -> Result<Self> {
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

    /// The build a new recipe runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    pub fn get(&self, name: &str) -> Option<Arc<FunctionPool>> {
        let function = self.running.iter().find(|f| f.name == name)?;
        Some(Arc::clone(&function.pool))
    }

    /// Their names, in serverless.yml's order.
    pub fn names(&self) -> Vec<String> {
        self.running.iter().map(|f| f.name.clone()).collect()
    }

    /// The pids of their processes, for running.json.
    pub fn pids(&self) -> Vec<u32> {
        self.running.iter().flat_map(|f| f.pool.pids()).collect()
    }

    /// A new build of the binary: every function runs it from its next invocation on.
    pub fn new_code(&mut self, binary: &Path) -> Result<()> {
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
    pub fn apply(&mut self, recipes: Vec<Recipe>) -> Vec<Change> {
        let mut met = Vec::new();
        let mut kept = Vec::new();
        for recipe in recipes {
            match self.running.iter().position(|f| f.name == recipe.name) {
                Some(index) => {
                    let function = self.running.remove(index);
                    if function.recipe != recipe {
                        if function.recipe.environment != recipe.environment {
                            met.push(Change::EnvironmentChanged {
                                function: recipe.name.clone(),
                            });
                        }
                        // A function that cannot start says so, and the others go on.
                        if let Err(error) = function.pool.replace(recipe.clone()) {
                            met.push(Change::DidNotStart {
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
                    Err(error) => met.push(Change::DidNotStart {
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

/// How to start each function of `yml`, in its order: its handler from the plan, its
/// environment from serverless.yml with `names`, its log in the state of `step`.
pub fn recipes(
    yml: &ServerlessYml,
    plan: &Plan,
    names: &LocalNames,
    step: &str,
    aws_endpoint: &str,
    binary: &Path,
) -> Result<Vec<Recipe>> {
    yml.functions()
        .into_iter()
        .map(|function| {
            let handler = plan
                .functions
                .iter()
                .find(|(name, _)| name == function.name)
                .map_or("", |(_, handler)| handler.as_str());
            Ok(Recipe {
                binary: binary.to_owned(),
                name: function.name.to_owned(),
                handler: handler.to_owned(),
                region: names.region.to_owned(),
                aws_endpoint: aws_endpoint.to_owned(),
                environment: function_environment(yml, &function, names)?,
                log: state::function_log(step, function.name),
                bus: None,
            })
        })
        .collect()
}
