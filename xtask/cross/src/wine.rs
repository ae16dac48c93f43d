//! Wine, to run the Windows build: a prefix of its own under `target/cross/` (never the
//! user's `~/.wine`), with the `bcryptprimitives.dll` that Wine 8 lacks and Rust's standard
//! library needs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xtask::tools::process;

const BCRYPTPRIMITIVES_C: &str = include_str!("bcryptprimitives.c");

/// A ready Wine prefix.
#[derive(Debug)]
pub struct Wine {
    prefix: PathBuf,
}

impl Wine {
    /// The prefix under `dir`, made and given its DLL first if needed.
    pub fn ensure(dir: &Path) -> Result<Wine> {
        let wine = Wine {
            prefix: dir.to_owned(),
        };
        let found = process::output(Command::new("wine").arg("--version"), "running wine");
        if !found.is_ok_and(|output| output.status.success()) {
            bail!("Wine runs the Windows build: `apt-get install wine64` (as root)");
        }
        let system32 = dir.join("drive_c/windows/system32");
        if !system32.is_dir() {
            eprintln!("wine: making a prefix in {}", dir.display());
            process::run(
                wine.env(&mut Command::new("wineboot")).arg("-i"),
                "making a Wine prefix (wineboot -i)",
            )?;
        }
        let dll = system32.join("bcryptprimitives.dll");
        let source = dir.join("bcryptprimitives.c");
        if std::fs::read_to_string(&source).ok().as_deref() != Some(BCRYPTPRIMITIVES_C)
            || !dll.is_file()
        {
            std::fs::write(&source, BCRYPTPRIMITIVES_C)
                .with_context(|| format!("writing {}", source.display()))?;
            process::run(
                Command::new(crate::mingw::MINGW_GCC)
                    .args(["-O2", "-shared", "-o"])
                    .arg(&dll)
                    .arg(&source)
                    .arg("-ladvapi32"),
                "building bcryptprimitives.dll for Wine",
            )?;
        }
        Ok(wine)
    }

    /// Points a command at this prefix, with Wine's own debug lines off.
    pub fn env<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
    }

    /// Stops whatever still runs in the prefix (its wineserver lingers a few seconds), and
    /// waits until its server is gone; a server that does not go in 10 s is killed.
    pub fn stop(&self) {
        let _ = self.env(&mut Command::new("wineserver")).arg("-k").status();
        let gone = self
            .env(&mut Command::new("wineserver"))
            .arg("-w")
            .spawn()
            .and_then(|mut waiting| {
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(10) {
                    if waiting.try_wait()?.is_some() {
                        return Ok(true);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                waiting.kill()?;
                waiting.wait().map(|_| false)
            });
        if !gone.unwrap_or(false) {
            let _ = self
                .env(&mut Command::new("wineserver"))
                .arg("-k9")
                .status();
        }
    }
}
