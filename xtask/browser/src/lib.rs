//! Headless Chromium, driven through the DevTools protocol on its WebSocket
//! (`--remote-debugging-port=0`: the browser says which port on stderr). For the authors'
//! tools: the console's browser tests, their screenshots and the bench's load with the console
//! open; never compiled into a learner's `cargo xtask`. The same code on every system: the
//! browser is found on the PATH or where macOS and Windows install it.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// What to run, and how to get it when it is missing.
const PROGRAMS: [&str; 4] = ["chromium", "chromium-browser", "google-chrome", "chrome"];
/// Where macOS and Windows install Chrome, Chromium and Edge (all speak DevTools).
const INSTALLED: [&str; 6] = [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
];
pub const HOW_TO_GET: &str = "install it: `sudo apt-get install -y chromium` (Debian, Ubuntu), \
     Google Chrome (macOS, Windows), or set CHROMIUM to a Chrome or Chromium binary";

/// One browser with one page, closed when dropped.
#[derive(Debug)]
pub struct Browser {
    _process: Process,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    session: Option<String>,
    _profile: TempProfile,
}

/// The browser's process, stopped when dropped (a start that fails half-way leaves none).
#[derive(Debug)]
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A throwaway profile directory: the learner's own browser profile is never touched.
#[derive(Debug)]
struct TempProfile(PathBuf);

impl Drop for TempProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The browser to run: `CHROMIUM`, else the first of [`PROGRAMS`] on the PATH, else one
/// installed where macOS or Windows put it.
pub fn program() -> Result<PathBuf> {
    if let Some(program) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(program));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).find_map(|dir| {
            PROGRAMS.iter().find_map(|program| {
                [dir.join(program), dir.join(format!("{program}.exe"))]
                    .into_iter()
                    .find(|candidate| candidate.is_file())
            })
        })
    });
    on_path
        .or_else(|| {
            INSTALLED
                .iter()
                .map(PathBuf::from)
                .find(|path| path.is_file())
        })
        .ok_or_else(|| {
            anyhow!(
                "no Chromium found (tried {} on the PATH, and Chrome's and Edge's usual places): \
                 {HOW_TO_GET}",
                PROGRAMS.join(", ")
            )
        })
}

impl Browser {
    /// Starts a headless browser with a page of `width` x `height` CSS pixels.
    pub fn start(width: u32, height: u32) -> Result<Self> {
        let program = program()?;
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "xtask-chromium-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&profile).context("creating a browser profile directory")?;
        let mut process = Command::new(&program)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map(Process)
            .with_context(|| format!("starting {}", program.display()))?;
        let stderr = process.0.stderr.take().context("the browser's stderr")?;
        let (found, url) = mpsc::channel();
        // The browser names its endpoint on stderr; the rest of what it says is read away.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://") {
                    let _ = found.send(line[at..].trim().to_owned());
                }
            }
        });
        let url = url
            .recv_timeout(Duration::from_secs(30))
            .with_context(|| format!("{} said no DevTools address in 30 s", program.display()))?;
        let address = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let stream = TcpStream::connect(&address)
            .with_context(|| format!("connecting to the browser at {address}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .context("setting a timeout on the browser's socket")?;
        let (socket, _) = tungstenite::client(url.as_str(), stream)
            .map_err(|error| anyhow!("opening the browser's DevTools socket: {error}"))?;
        let mut browser = Self {
            _process: process,
            socket,
            next_id: 0,
            session: None,
            _profile: TempProfile(profile),
        };
        let target = browser
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .with_context(|| format!("talking to {} (is it a Chromium?)", program.display()))?;
        let target_id = target["targetId"]
            .as_str()
            .context("a page without an id")?;
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        browser.session = attached["sessionId"].as_str().map(str::to_owned);
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(browser)
    }

    /// Sends one command (to the page, once attached) and waits for its answer.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = Value::from(session.as_str());
        }
        self.socket
            .send(Message::text(message.to_string()))
            .with_context(|| format!("sending {method} to the browser"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let text = match self.socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(error) => bail!("the browser stopped answering {method}: {error}"),
            };
            let Ok(answer) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            // An event, or another command's answer, is not this one's.
            if answer["id"] == id {
                if let Some(error) = answer.get("error") {
                    bail!("the browser refused {method}: {error}");
                }
                return Ok(answer["result"].clone());
            }
        }
        bail!("the browser did not answer {method} in 30 s")
    }

    pub fn navigate(&mut self, url: &str) -> Result<()> {
        self.call("Page.navigate", json!({"url": url}))?;
        Ok(())
    }

    /// The value of a JavaScript expression in the page.
    pub fn evaluate(&mut self, expression: &str) -> Result<Value> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("{expression} failed in the page: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Waits until `expression` is true in the page; its last value otherwise.
    pub fn wait_for(&mut self, expression: &str, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        // Not there yet (the page still loading) is not an error, only a reason to wait.
        let guarded = format!(
            "(() => {{ try {{ return ({expression}) === true }} catch (e) {{ return false }} }})()"
        );
        loop {
            if self.evaluate(&guarded)? == Value::Bool(true) {
                return Ok(());
            }
            if started.elapsed() > timeout {
                let page = self.evaluate("document.body.innerText")?;
                bail!(
                    "waited {timeout:?} for `{expression}` in the page; it shows:\n{}",
                    page.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the page as it is now, the whole page when `full` (not just the window).
    pub fn screenshot(&mut self, path: &Path, full: bool) -> Result<()> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": full}),
        )?;
        let data = shot["data"].as_str().context("a screenshot without data")?;
        let png = base64_decode(data).context("decoding the screenshot")?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.session = None;
        let _ = self.call("Browser.close", json!({}));
    }
}

/// Standard base64 (the protocol's binary data), padding optional.
fn base64_decode(text: &str) -> Result<Vec<u8>> {
    let value = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("{:?} is not base64", c as char),
        } as u32)
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * i);
        }
        let decoded = bits.to_be_bytes();
        out.extend_from_slice(&decoded[1..chunk.len()]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert!(base64_decode("a$==").is_err());
    }
}
