//! The limit for `cargo xtask bench`: the reference stream handler's work with nothing spared.
//! A Lambda Runtime API client on one kept-alive `TcpStream`, each event parsed by serde_json
//! into borrowed structs (a string without escapes is not copied), the user's two strings
//! read straight from DynamoDB's typed JSON, and each batch's lines written with one write.
//! It logs the reference's line for each record (keys included, the request id in front)
//! and reports the records that are not users, as the reference does. A yardstick, not a way
//! to write a handler: no tracing, no error types, one shape of item.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde::Deserialize;

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<Record<'a>>,
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "eventName", borrow)]
    event_name: Cow<'a, str>,
    #[serde(borrow)]
    dynamodb: Change<'a>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(rename = "Keys", borrow, default)]
    keys: Option<Image<'a>>,
    #[serde(rename = "NewImage", borrow, default)]
    new_image: Option<Image<'a>>,
    #[serde(rename = "OldImage", borrow, default)]
    old_image: Option<Image<'a>>,
    #[serde(rename = "SequenceNumber", borrow, default)]
    sequence_number: Option<Cow<'a, str>>,
}

/// The attributes a user has, as DynamoDB types them; any other attribute is skipped.
#[derive(Deserialize)]
struct Image<'a> {
    #[serde(borrow, default)]
    id: Option<Typed<'a>>,
    #[serde(borrow, default)]
    name: Option<Typed<'a>>,
}

#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(rename = "S", borrow, default)]
    s: Option<Cow<'a, str>>,
}

fn string<'b>(value: &'b Option<Typed<'_>>) -> Option<&'b str> {
    value.as_ref()?.s.as_deref()
}

fn main() {
    let address = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    let Ok(connection) = TcpStream::connect(&address) else {
        eprintln!("cannot reach the Runtime API at {address:?}");
        std::process::exit(1);
    };
    let _ = connection.set_nodelay(true);
    let Ok(writer) = connection.try_clone() else {
        std::process::exit(1);
    };
    let mut api = Api {
        reader: BufReader::new(connection),
        writer,
        host: address,
    };
    let stdout = std::io::stdout();
    let mut lines = Vec::with_capacity(1 << 20);
    let mut answer = Vec::with_capacity(1 << 12);
    loop {
        let Some((request_id, body)) = api.next() else {
            return;
        };
        lines.clear();
        answer.clear();
        answer.extend_from_slice(b"{\"batchItemFailures\":[");
        let mut failures = 0;
        match serde_json::from_slice::<Event>(&body) {
            Ok(event) => {
                for record in &event.records {
                    if !describe(record, &request_id, &mut lines) {
                        let sequence = record.dynamodb.sequence_number.as_deref().unwrap_or("");
                        lines.extend_from_slice(
                            format!(
                                "{request_id}\tERROR\t{} record {sequence} is not a user (string \"id\" and \"name\")\n",
                                record.event_name
                            )
                            .as_bytes(),
                        );
                        if failures > 0 {
                            answer.push(b',');
                        }
                        failures += 1;
                        answer.extend_from_slice(b"{\"itemIdentifier\":");
                        let _ = serde_json::to_writer(&mut answer, sequence);
                        answer.push(b'}');
                    }
                }
            }
            Err(error) => {
                let message =
                    serde_json::json!({"errorType": "Parse", "errorMessage": error.to_string()});
                api.post(
                    &format!("/invocation/{request_id}/error"),
                    message.to_string().as_bytes(),
                );
                continue;
            }
        }
        answer.extend_from_slice(b"]}");
        let _ = stdout.lock().write_all(&lines);
        api.post(&format!("/invocation/{request_id}/response"), &answer);
    }
}

/// The reference's line for a record, into `out`: `INSERT {"id":"1"}: value is now {...}`.
/// False when the record is not a user.
fn describe(record: &Record, request_id: &str, out: &mut Vec<u8>) -> bool {
    let change = &record.dynamodb;
    let (state, image) = match &*record.event_name {
        "REMOVE" => ("was", &change.old_image),
        _ => ("is now", &change.new_image),
    };
    let key = change.keys.as_ref().and_then(|keys| string(&keys.id));
    let user = image
        .as_ref()
        .and_then(|image| Some((string(&image.id)?, string(&image.name)?)));
    let (Some(key), Some((id, name))) = (key, user) else {
        return false;
    };
    out.extend_from_slice(request_id.as_bytes());
    out.extend_from_slice(b"\tINFO\t");
    out.extend_from_slice(record.event_name.as_bytes());
    out.extend_from_slice(b" {\"id\":");
    let _ = serde_json::to_writer(&mut *out, key);
    out.extend_from_slice(b"}: value ");
    out.extend_from_slice(state.as_bytes());
    out.extend_from_slice(b" {\"id\":");
    let _ = serde_json::to_writer(&mut *out, id);
    out.extend_from_slice(b",\"name\":");
    let _ = serde_json::to_writer(&mut *out, name);
    out.extend_from_slice(b"}\n");
    true
}

/// A response's header lines (lower-cased names) and its body.
type Response = (Vec<(String, String)>, Vec<u8>);

/// The Runtime API over one connection: HTTP/1.1, kept alive.
struct Api {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// The Runtime API's address, sent as the Host: it answers loopback names only.
    host: String,
}

impl Api {
    /// The next invocation: its request id and event.
    fn next(&mut self) -> Option<(String, Vec<u8>)> {
        let head = format!(
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.host
        );
        self.writer.write_all(head.as_bytes()).ok()?;
        let (headers, body) = self.response()?;
        let request_id = header(&headers, "lambda-runtime-aws-request-id")?;
        Some((request_id, body))
    }

    fn post(&mut self, path: &str, body: &[u8]) {
        let head = format!(
            "POST /2018-06-01/runtime{path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let sent = self
            .writer
            .write_all(head.as_bytes())
            .and_then(|()| self.writer.write_all(body));
        if sent.is_err() || self.response().is_none() {
            std::process::exit(1);
        }
    }

    fn response(&mut self) -> Option<Response> {
        let mut headers = Vec::new();
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        // A refusal is said, not taken for the end of the run.
        if !line.starts_with("HTTP/1.1 2") {
            eprintln!("the Runtime API answered {}", line.trim_end());
            std::process::exit(1);
        }
        loop {
            line.clear();
            if self.reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length: usize = header(&headers, "content-length")?.parse().ok()?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).ok()?;
        Some((headers, body))
    }
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}
