//! The HTTP/1.1 both local servers speak (API Gateway's and the Lambda Runtime API): requests
//! read one at a time from a connection, within limits that no declared length can raise;
//! each answer written in one write (a split one meets the client's delayed ACK).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// How much of a request is read at most.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub line: usize,
    pub headers: usize,
    pub body: usize,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A header's value, its name matched as HTTP matches it (without case).
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the client keeps the connection for another request.
    pub fn keep_alive(&self) -> bool {
        let close = self
            .header("Connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        !close && self.version != "HTTP/1.0"
    }
}

/// A request refused before it is read whole: its status, and the connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    UriTooLong,
    HeadersTooLarge,
    BodyTooLarge,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Refusal::Malformed => 400,
            Refusal::UriTooLong => 414,
            Refusal::HeadersTooLarge => 431,
            Refusal::BodyTooLarge => 413,
        }
    }
}

/// Reads the next request; `Ok(None)` when the client closed the connection.
pub fn read_request(
    reader: &mut BufReader<TcpStream>,
    limits: &Limits,
) -> io::Result<Result<Option<Request>, Refusal>> {
    let line = match read_line(reader, limits.line)? {
        Ok(Some(line)) => line,
        Ok(None) => return Ok(Ok(None)),
        Err(()) => return Ok(Err(Refusal::UriTooLong)),
    };
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(Err(Refusal::Malformed));
    };
    let (method, target, version) = (method.to_owned(), target.to_owned(), version.to_owned());
    let mut headers = Vec::new();
    let mut header_bytes = 0;
    loop {
        let header = match read_line(reader, limits.headers)? {
            Ok(Some(header)) => header,
            Ok(None) => return Ok(Err(Refusal::Malformed)),
            Err(()) => return Ok(Err(Refusal::HeadersTooLarge)),
        };
        header_bytes += header.len();
        if header_bytes > limits.headers {
            return Ok(Err(Refusal::HeadersTooLarge));
        }
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Ok(Err(Refusal::Malformed));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut request = Request {
        method,
        target,
        version,
        headers,
        body: Vec::new(),
    };
    let chunked = request
        .header("Transfer-Encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            let size = match read_line(reader, 1024)? {
                Ok(Some(size)) => size,
                _ => return Ok(Err(Refusal::Malformed)),
            };
            let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            else {
                return Ok(Err(Refusal::Malformed));
            };
            if request.body.len() + size > limits.body {
                return Ok(Err(Refusal::BodyTooLarge));
            }
            read_exactly(reader, &mut request.body, size)?;
            let _ = read_line(reader, 2)?; // the chunk's CRLF
            if size == 0 {
                break;
            }
        }
    } else if let Some(length) = request.header("Content-Length") {
        let Ok(length) = length.parse::<u64>() else {
            return Ok(Err(Refusal::Malformed));
        };
        // The declared length is checked, never allocated: the body grows as it arrives.
        if length > limits.body as u64 {
            return Ok(Err(Refusal::BodyTooLarge));
        }
        read_exactly(reader, &mut request.body, length as usize)?;
    }
    Ok(Ok(Some(request)))
}

/// One line without its CRLF; `Err(())` past `max` bytes, `Ok(None)` at the end.
fn read_line(
    reader: &mut BufReader<TcpStream>,
    max: usize,
) -> io::Result<Result<Option<String>, ()>> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(Ok(
                (!line.is_empty()).then(|| String::from_utf8_lossy(&line).into_owned())
            ));
        }
        let (taken, done) = match available.iter().position(|b| *b == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if line.len() > max + 2 {
            return Ok(Err(()));
        }
        if done {
            while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                line.pop();
            }
            return Ok(Ok(Some(String::from_utf8_lossy(&line).into_owned())));
        }
    }
}

/// `count` more bytes into `body`, read in pieces as they come.
fn read_exactly(
    reader: &mut BufReader<TcpStream>,
    body: &mut Vec<u8>,
    count: usize,
) -> io::Result<()> {
    let mut buffer = [0u8; 64 * 1024];
    let mut left = count;
    while left > 0 {
        let piece = left.min(buffer.len());
        let read = reader.read(&mut buffer[..piece])?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the body ended early",
            ));
        }
        body.extend_from_slice(&buffer[..read]);
        left -= read;
    }
    Ok(())
}

/// The whole answer in one write. `headers` are whole lines (`Name: value\r\n`).
pub fn respond(writer: &mut TcpStream, status: u16, headers: &str, body: &[u8]) -> io::Result<()> {
    let mut message = format!(
        "HTTP/1.1 {status} {}\r\n{headers}Content-Length: {}\r\n\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    message.extend_from_slice(body);
    writer.write_all(&message)?;
    writer.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

pub use crate::tools::server::loopback_host;
