//! The console's own small HTTP server, on its own port (the API's paths stay API
//! Gateway's): the page's three files, and `/events`, a server-sent event stream. Loopback
//! `Host` names only, GET only, a few pages at a time.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use super::hub::{Hub, Sent};
use super::FILES;
use crate::tools::http::{loopback_host, read_request, respond, Limits};

const LIMITS: Limits = Limits {
    line: 4096,
    headers: 16 * 1024,
    body: 0,
};

/// More open pages than this is a runaway script, not a learner.
const MAX_PAGES: usize = 16;

/// A comment line now and then: a closed page is noticed, and proxies keep the stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Accepts connections until `stop` is set, one thread each.
pub fn serve(listener: TcpListener, hub: Arc<Hub>, stop: Arc<AtomicBool>) {
    let _ = listener.set_nonblocking(true);
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (hub, stop) = (Arc::clone(&hub), Arc::clone(&stop));
                std::thread::spawn(move || connection(stream, &hub, &stop));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn connection(stream: TcpStream, hub: &Arc<Hub>, stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    // A page that stops reading is let go, not waited for.
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while !stop.load(Ordering::Relaxed) {
        let request = match read_request(&mut reader, &LIMITS) {
            Ok(Ok(Some(request))) => request,
            Ok(Ok(None)) | Err(_) => return,
            Ok(Err(refusal)) => {
                let _ = respond(&mut writer, refusal.status(), "", b"");
                return;
            }
        };
        // Only this machine's names, and no other site's page (a browser says
        // `Sec-Fetch-Site: cross-site` for those): the console shows the table's items.
        let cross_site = request
            .header("Sec-Fetch-Site")
            .is_some_and(|site| site.eq_ignore_ascii_case("cross-site"));
        if !loopback_host(request.header("Host")) || cross_site {
            let _ = respond(&mut writer, 403, "", b"");
            return;
        }
        if request.method != "GET" {
            let _ = respond(&mut writer, 405, "Allow: GET\r\n", b"");
            return;
        }
        let path = request.target.split('?').next().unwrap_or_default();
        if path == "/events" {
            if hub.pages_open() >= MAX_PAGES {
                let _ = respond(&mut writer, 503, "Retry-After: 5\r\n", b"");
                return;
            }
            // A page that reconnects says which event it saw last.
            let since = request
                .header("Last-Event-ID")
                .and_then(|id| id.trim().parse().ok())
                .unwrap_or(0);
            let _ = events(&mut writer, hub, since, stop);
            return;
        }
        let sent = match FILES.iter().find(|(file, _, _)| *file == path) {
            Some((_, content_type, body)) => respond(
                &mut writer,
                200,
                &format!(
                    "Content-Type: {content_type}\r\nCache-Control: no-store\r\n\
                     Content-Security-Policy: default-src 'self'\r\nX-Frame-Options: DENY\r\n\
                     X-Content-Type-Options: nosniff\r\n"
                ),
                body.as_bytes(),
            ),
            None => respond(&mut writer, 404, "", b""),
        };
        if sent.is_err() || !request.keep_alive() {
            return;
        }
    }
}

/// The event stream: what happened since `since`, then each event as it comes.
fn events(
    writer: &mut TcpStream,
    hub: &Arc<Hub>,
    since: u64,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    writer.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
          X-Content-Type-Options: nosniff\r\n\r\n",
    )?;
    let page = hub.subscribe(since);
    let mut buffer = Vec::new();
    for sent in &page.past {
        event(&mut buffer, sent);
    }
    writer.write_all(&buffer)?;
    writer.flush()?;
    while !stop.load(Ordering::Relaxed) {
        match page.live.recv_timeout(KEEP_ALIVE) {
            Ok(sent) => {
                buffer.clear();
                event(&mut buffer, &sent);
                // What else is waiting goes in the same write.
                for sent in page.live.try_iter() {
                    event(&mut buffer, &sent);
                }
                writer.write_all(&buffer)?;
            }
            Err(RecvTimeoutError::Timeout) => writer.write_all(b": still here\n\n")?,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        writer.flush()?;
    }
    Ok(())
}

fn event(buffer: &mut Vec<u8>, sent: &Sent) {
    // serde_json writes no line breaks: one `data:` line per event.
    buffer.extend_from_slice(format!("id: {}\ndata: {}\n\n", sent.0, sent.1).as_bytes());
}
