//! moto's server on a free port of 127.0.0.1, stopped when dropped: an emulated AWS account
//! (CloudFormation, S3, Lambda, IAM, DynamoDB, CloudWatch Logs...) that the repository's
//! AWS-path test deploys into. Never the local cloud's DynamoDB: once a stack has an event
//! source mapping, moto invokes it itself and empties the stream.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use xtask::tools::process::{last_lines, Owned};
use xtask::tools::python::{self, PythonTool};
use xtask::tools::server::free_port;

/// moto, pinned: the repository's tests install it into xtask's venv, as the tools a learner
/// needs are.
const MOTO: PythonTool = PythonTool {
    requirement: "moto[server]==5.2.5",
    command: "moto_server",
    what: "moto 5.2.5, the emulated AWS account of the repository's tests (about 20 s)",
};

#[derive(Debug)]
pub struct MotoServer {
    child: Owned,
    endpoint: String,
}

impl MotoServer {
    /// Installs moto if needed and starts it; its output goes to `log`.
    pub fn start(log: PathBuf) -> Result<Self> {
        let moto_server = python::ensure(MOTO)?;
        let port = free_port()?;
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let output = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Owned::spawn(
            Command::new(&moto_server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // moto answers any Origin with permissive CORS headers by default: a web
                // page that found the port could read and write the table.
                .env("MOTO_DISABLE_GLOBAL_CORS", "true")
                .stdin(Stdio::null())
                .stdout(output.try_clone().context("sharing moto's log file")?)
                .stderr(output),
            "starting moto, the emulated AWS account",
        )?;
        let mut server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_ready(port, &log)?;
        Ok(server)
    }

    /// How it ended, if it has (killed, crashed).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_DYNAMODB` and friends.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn wait_until_ready(&mut self, port: u16, log: &PathBuf) -> Result<()> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.try_wait()? {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                bail!(
                    "moto stopped at start ({status}):\n{}",
                    last_lines(&output, 15)
                );
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "moto did not listen on port {port} within 30 s; its log: {}",
            log.display()
        )
    }
}
