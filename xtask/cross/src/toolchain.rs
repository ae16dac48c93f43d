//! A compiler that builds the standard library for any target: Debian 12's `rustc-web` with
//! `rust-web-src` of the same version (rustup's servers, which have the prebuilt Windows and
//! macOS standard libraries, are out of reach here; no Debian suite ships one for Rust 1.89 or
//! newer). The packages are downloaded and unpacked under `target/cross/toolchain/`, never
//! installed into the system, and run from there with `-Zbuild-std`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use xtask::tools::process;

/// An unpacked rustc-web: its `usr/`.
#[derive(Debug)]
pub struct Toolchain {
    usr: PathBuf,
}

/// Written once the toolchain is unpacked and runs: its version.
const READY: &str = ".ready";

impl Toolchain {
    /// The toolchain under `dir`, downloaded and unpacked first if it is not there yet.
    pub fn ensure(dir: &Path) -> Result<Toolchain> {
        let toolchain = Toolchain {
            usr: dir.join("usr"),
        };
        if let Ok(version) = std::fs::read_to_string(dir.join(READY)) {
            eprintln!("cross toolchain: {} (in {})", version.trim(), dir.display());
            return Ok(toolchain);
        }
        let version = candidate_version("rustc-web")?;
        let source = candidate_version("rust-web-src")?;
        if version != source {
            bail!(
                "Debian offers rustc-web {version} but rust-web-src {source}: the standard \
                 library's source must be the compiler's own; run `apt-get update` (as root)"
            );
        }
        let short = version.split('+').next().unwrap_or(&version);
        let release: Vec<&str> = short.split('.').take(2).collect();
        let minor: u32 = release.get(1).and_then(|m| m.parse().ok()).unwrap_or(0);
        if release.first() != Some(&"1") || minor < 89 {
            bail!(
                "Debian offers rustc-web {version}; the workspace needs 1.89 or newer, which \
                 bookworm-security has: run `apt-get update` (as root) and try again"
            );
        }
        eprintln!(
            "cross toolchain: downloading Debian's rustc-web {version} into {}",
            dir.display()
        );
        let _ = std::fs::remove_dir_all(dir);
        let debs = dir.join("debs");
        std::fs::create_dir_all(&debs).with_context(|| format!("creating {}", debs.display()))?;
        let std_package = format!("libstd-rust-web-{}", release.join("."));
        let mut wanted: Vec<String> = [
            "rustc-web",
            "cargo-web",
            "libstd-rust-web-dev",
            &std_package,
            "rust-web-src",
        ]
        .map(str::to_owned)
        .to_vec();
        // The libraries they need that this system lacks (LLVM's, cargo's git and TLS):
        // downloaded and unpacked beside them too.
        let mut unpacked = Vec::new();
        while !wanted.is_empty() {
            download(&debs, &wanted)?;
            unpacked.append(&mut wanted);
            for deb in debs_in(&debs)? {
                for library in missing_libraries(&deb)? {
                    if !unpacked.contains(&library) && !wanted.contains(&library) {
                        wanted.push(library);
                    }
                }
            }
        }
        for deb in debs_in(&debs)? {
            process::run(
                Command::new("dpkg").arg("-x").arg(&deb).arg(dir),
                &format!("unpacking {}", deb.display()),
            )?;
        }
        toolchain.link_libraries()?;
        let said = process::output(toolchain.rustc().arg("--version"), "running rustc-web")?;
        if !said.status.success() {
            bail!(
                "the unpacked rustc-web does not run: {}",
                String::from_utf8_lossy(&said.stderr)
            );
        }
        let said = String::from_utf8_lossy(&said.stdout).trim().to_owned();
        std::fs::write(dir.join(READY), &said).context("marking the toolchain ready")?;
        eprintln!("cross toolchain: {said}");
        Ok(toolchain)
    }

    /// The libraries unpacked into `usr/lib/<multiarch>/`, linked into `usr/lib/`, where the
    /// compiler's `LD_LIBRARY_PATH` points (hard links: the same files, no copy).
    fn link_libraries(&self) -> Result<()> {
        let lib = self.usr.join("lib");
        for entry in std::fs::read_dir(lib.join("x86_64-linux-gnu"))
            .context("reading the unpacked libraries")?
            .flatten()
        {
            let link = lib.join(entry.file_name());
            if !link.exists() {
                std::fs::hard_link(entry.path(), &link)
                    .with_context(|| format!("linking {}", link.display()))?;
            }
        }
        Ok(())
    }

    fn rustc(&self) -> Command {
        let mut command = Command::new(self.usr.join("bin/rustc"));
        command.env("LD_LIBRARY_PATH", self.usr.join("lib"));
        command
    }

    /// Its cargo, at the workspace root.
    pub fn cargo(&self) -> Command {
        let mut command = Command::new(self.usr.join("bin").join("cargo"));
        self.env(&mut command, &[]);
        command
    }

    /// Runs `command` with this toolchain: its cargo and rustc first on PATH, the standard
    /// library built for the target (`-Zbuild-std`, allowed by `RUSTC_BOOTSTRAP`), rustup's
    /// variables taken away so that nothing falls back to the machine's own toolchain.
    /// `first_on_path`: directories before even the toolchain's.
    pub fn env<'a>(&self, command: &'a mut Command, first_on_path: &[&Path]) -> &'a mut Command {
        let bin = self.usr.join("bin");
        let system_path = std::env::var_os("PATH").unwrap_or_default();
        let dirs = first_on_path
            .iter()
            .map(|dir| dir.to_path_buf())
            .chain([bin.clone()])
            .chain(std::env::split_paths(&system_path));
        let path = std::env::join_paths(dirs).unwrap_or(system_path);
        command
            .current_dir(xtask::project::root())
            .env("PATH", path)
            .env("LD_LIBRARY_PATH", self.usr.join("lib"))
            .env("RUSTC", bin.join("rustc"))
            .env("RUSTDOC", bin.join("rustdoc"))
            .env("RUSTC_BOOTSTRAP", "1")
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO")
            .env_remove("RUSTC_WRAPPER")
            .env_remove("CARGO_BUILD_TARGET")
    }
}

/// The version apt would download (`1.96.0+dfsg1-1~deb12u2`).
fn candidate_version(package: &str) -> Result<String> {
    let output = process::output(
        Command::new("apt-cache").args(["policy", package]),
        "asking apt-cache for Debian's rustc-web",
    )
    .context("the cross toolchain comes from Debian's packages: this needs Debian 12 (apt)")?;
    let said = String::from_utf8_lossy(&output.stdout);
    match said
        .lines()
        .find_map(|line| line.trim().strip_prefix("Candidate: "))
    {
        Some(version) if version != "(none)" => Ok(version.to_owned()),
        _ => bail!(
            "apt knows no {package}: run `apt-get update` (as root) on Debian 12, whose \
             bookworm-security archive has it"
        ),
    }
}

fn download(debs: &Path, packages: &[String]) -> Result<()> {
    process::run(
        Command::new("apt-get")
            .arg("download")
            .args(packages)
            .current_dir(debs),
        &format!("apt-get download {}", packages.join(" ")),
    )
}

fn debs_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut debs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "deb"))
        .collect();
    debs.sort();
    Ok(debs)
}

/// The shared libraries (`lib*` packages, not `-dev` ones: a C compiler brings those) a .deb
/// depends on that this system does not have installed.
fn missing_libraries(deb: &Path) -> Result<Vec<String>> {
    let output = process::output(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(deb)
            .arg("Depends"),
        "reading a package's dependencies",
    )?;
    let depends = String::from_utf8_lossy(&output.stdout);
    let mut missing = Vec::new();
    for dependency in depends.split(',') {
        // The first of alternatives, without its version.
        let name = dependency
            .split('|')
            .next()
            .and_then(|first| first.split_whitespace().next())
            .unwrap_or_default();
        if name.starts_with("lib") && !name.ends_with("-dev") && !installed(name) {
            missing.push(name.to_owned());
        }
    }
    Ok(missing)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Status}", package])
        .output()
        .is_ok_and(|output| {
            String::from_utf8_lossy(&output.stdout).contains("install ok installed")
        })
}
