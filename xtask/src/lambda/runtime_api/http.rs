//! The little HTTP/1.1 the Runtime API speaks: one request read (Content-Length or chunked),
//! one answer written in a single write.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Lambda's limit for a synchronous answer, with room for the JSON around it.
const MAX_BODY: usize = 6 * 1024 * 1024 + 64 * 1024;

/// Reads one request: method, path and body (by Content-Length, or chunked). `None` at the
/// end of the connection.
pub fn read_request(
    reader: &mut BufReader<TcpStream>,
) -> std::io::Result<Option<(String, String, Vec<u8>)>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.eq_ignore_ascii_case("chunked")
        {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if body.len() + size > MAX_BODY {
                return Err(std::io::Error::other("an answer over Lambda's 6 MB limit"));
            }
            let mut chunk = vec![0; size + 2]; // the chunk and its CRLF
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        // A function answers at most Lambda's 6 MB (and no more is kept in memory).
        if length > MAX_BODY {
            return Err(std::io::Error::other(format!(
                "a {length}-byte answer is over Lambda's 6 MB limit"
            )));
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some((method, path, body)))
}

/// The whole answer in one write.
pub fn respond(
    writer: &mut TcpStream,
    status: &str,
    headers: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let mut message = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    message.extend_from_slice(body);
    writer.write_all(&message)?;
    writer.flush()
}
