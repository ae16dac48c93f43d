//! `deploy --local --watch`: a save rebuilds the step and puts the new code in place between
//! invocations; a saved serverless.yml is read again. A build that fails leaves the running
//! version serving. Each change is told in one `watch:` line.

use std::time::Instant;

use super::service::Service;
use crate::serverless_yml::ServerlessYml;
use crate::target::Target;
use crate::tools::cargo_build::{self, BuildErrors};
use crate::tools::terminal::say;
use crate::tools::watch::Change;

/// What the watch remembers between saves.
#[derive(Debug, Default)]
pub struct Rebuilds {
    /// The last build's errors: the same errors are not printed twice.
    last_errors: Option<String>,
    /// serverless.yml was saved with code that does not build: it is read once the code
    /// builds (it may name a handler only the new code has).
    yml_waiting: bool,
    /// The learner was told that the file system sends no change events.
    told_no_events: bool,
}

impl Rebuilds {
    /// Applies one burst of saves to the running service: new code first, then
    /// serverless.yml (which may name a handler only the new code has).
    pub fn apply(
        &mut self,
        change: &Change,
        target: &Target,
        service: &mut Service,
        api_url: &str,
    ) {
        say(&format!("{} saved", change.files.join(", ")));
        if change.unannounced && !self.told_no_events {
            self.told_no_events = true;
            say(crate::tools::watch::NO_EVENTS_HINT);
        }
        self.yml_waiting |= change.serverless_yml;
        if change.code && !self.rebuild(target, service) {
            if self.yml_waiting {
                say("serverless.yml is read again once the code builds");
            }
            return;
        }
        if std::mem::take(&mut self.yml_waiting) {
            self.reload(target, service);
        }
        if let Err(error) = service.record(api_url) {
            say(&format!("{error:#}"));
        }
    }

    /// Builds the step; on success every function gets the new code. Whether it built.
    fn rebuild(&mut self, target: &Target, service: &mut Service) -> bool {
        let started = Instant::now();
        say(&format!("building {}", target.name));
        let built = match cargo_build::build_checked(&target.krate, false) {
            Ok(built) => built,
            Err(error) => {
                say(&format!("building failed: {error:#}"));
                return false;
            }
        };
        match built {
            Ok(binary) => {
                self.last_errors = None;
                match service.new_code(&binary) {
                    Ok(()) => say(&format!(
                        "built in {:.1} s: {} run the new code from their next invocation",
                        started.elapsed().as_secs_f64(),
                        service.function_names().join(", ")
                    )),
                    Err(error) => say(&format!("{error:#}")),
                }
                true
            }
            Err(BuildErrors(errors)) => {
                if self.last_errors.as_ref() == Some(&errors) {
                    say("it still does not build (same errors as above); the running version keeps serving");
                } else {
                    say(&format!(
                        "it does not build; the running version keeps serving. cargo's first \
                         errors:\n{}",
                        errors.trim_end()
                    ));
                    self.last_errors = Some(errors);
                }
                false
            }
        }
    }

    fn reload(&mut self, target: &Target, service: &mut Service) {
        let yml = match ServerlessYml::load(&target.dir) {
            Ok(yml) => yml,
            Err(error) => {
                say(&format!("{error:#}"));
                say("the running deployment keeps serverless.yml as it was before this save");
                return;
            }
        };
        match service.reload(&yml) {
            Ok(changes) if changes.is_empty() => say(
                "serverless.yml: nothing the local deployment runs has changed (a setting \
                     written with its default value, such as batchSize: 10, changes nothing)",
            ),
            Ok(changes) => changes.iter().for_each(|change| say(&change.to_string())),
            Err(error) => say(&format!("serverless.yml: {error:#}")),
        }
    }
}

/// One line of the watch, among the functions' log lines.
fn say(line: &str) {
    say!("watch: {line}");
}
