//! Headless Chromium, driven through the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: JSON messages ended by a NUL byte, commands on the browser's
//! fd 3 and answers on its fd 4), so that no WebSocket client is needed: `sh` maps fd 3 and
//! 4 onto the child's stdin and stdout. For the console's browser test and its screenshots.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use super::process::Owned;

/// What to run, and how to get it when it is missing.
const PROGRAMS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
pub const HOW_TO_GET: &str = "install it: `sudo apt-get install -y chromium` (Debian, Ubuntu), \
     or set CHROMIUM to a Chrome or Chromium binary";

/// One browser with one page, closed when dropped.
#[derive(Debug)]
pub struct Browser {
    process: Owned,
    commands: ChildStdin,
    answers: Receiver<Value>,
    next_id: u64,
    session: Option<String>,
    _profile: TempProfile,
}

/// A throwaway profile directory: the learner's own browser profile is never touched.
#[derive(Debug)]
struct TempProfile(std::path::PathBuf);

impl Drop for TempProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The browser to run: `CHROMIUM`, else the first of [`PROGRAMS`] on the PATH.
pub fn program() -> Result<String> {
    if let Ok(program) = std::env::var("CHROMIUM") {
        return Ok(program);
    }
    PROGRAMS
        .iter()
        .find(|program| {
            Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .map(|program| (*program).to_owned())
        .ok_or_else(|| {
            anyhow!(
                "no Chromium found (tried {}): {HOW_TO_GET}",
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
        // `exec` keeps the pid: the watchdog and Drop stop the browser itself.
        let script = "exec \"$0\" --headless --no-sandbox --disable-gpu --no-first-run \
                      --disable-extensions --hide-scrollbars --remote-debugging-pipe \
                      \"--user-data-dir=$1\" \"--window-size=$2\" about:blank \
                      3<&0 4>&1 </dev/null >/dev/null 2>/dev/null";
        let mut process = Owned::spawn(
            Command::new("sh")
                .args(["-c", script, &program])
                .arg(&profile)
                .arg(format!("{width},{height}"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            &format!("starting {program}"),
        )?;
        let commands = process.take_stdin().context("the browser's command pipe")?;
        let output = process.take_stdout().context("the browser's answer pipe")?;
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        message.pop();
                        if let Ok(value) = serde_json::from_slice(&message) {
                            if sender.send(value).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        let mut browser = Self {
            process,
            commands,
            answers,
            next_id: 0,
            session: None,
            _profile: TempProfile(profile),
        };
        let target = browser
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .with_context(|| format!("talking to {program} (is it a Chromium?)"))?;
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
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .and_then(|()| self.commands.flush())
            .with_context(|| format!("sending {method} to the browser"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok(answer) if answer["id"] == id => {
                    if let Some(error) = answer.get("error") {
                        bail!("the browser refused {method}: {error}");
                    }
                    return Ok(answer["result"].clone());
                }
                Ok(_) => {} // an event, or another command's answer
                Err(RecvTimeoutError::Timeout) => {
                    bail!("the browser did not answer {method} in 30 s")
                }
                Err(RecvTimeoutError::Disconnected) => bail!("the browser stopped"),
            }
        }
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
        self.process.kill();
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
