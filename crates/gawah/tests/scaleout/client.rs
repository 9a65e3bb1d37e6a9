//! A plain HTTP/1.1 client for the scale-out tests: one multipart upload or one GET per
//! connection, telling a connection error (the server is gone: try another) from an answer.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Longest a request may take before the client gives up (a bound, not a wait: a healthy
/// server answers in milliseconds, one retrying an unreachable backend within seconds).
const READ_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body, as JSON (`Null` if it was not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
}

/// An upload the server acknowledged with 201: the item, as the answer named it.
#[derive(Debug, Clone)]
pub struct Ack {
    /// The item's id.
    pub item: String,
    /// Hex SHA-256 of the bytes sent (checked against the answer's).
    pub sha256: String,
    /// The log index the answer gave.
    pub log_index: u64,
    /// Which server acknowledged it.
    pub server: usize,
}

/// Distinct content for upload `n` of client `client` in test `tag`.
pub fn content(tag: &str, client: usize, n: usize) -> Vec<u8> {
    format!("scale-out test {tag}: client {client}, upload {n}\n").into_bytes()
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `POST /api/v1/evidence` with `bytes` as the file. `Err` is a connection error: refused,
/// reset, or closed before a whole status line came back (the server died).
pub fn upload(addr: &str, token: &str, case: &str, bytes: &[u8]) -> io::Result<Answer> {
    let boundary = "gawahscaleoutboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\n{case}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let headers = [
        format!("Authorization: Bearer {token}"),
        format!("Content-Type: multipart/form-data; boundary={boundary}"),
    ];
    request(addr, "POST", "/api/v1/evidence", &headers, &body)
}

/// `GET path` without credentials.
pub fn get(addr: &str, path: &str) -> io::Result<Answer> {
    request(addr, "GET", path, &[], &[])
}

/// An upload answered 201 as an [`Ack`], checked against what was sent; `None` for any
/// other status.
pub fn ack_of(answer: &Answer, sent: &[u8], server: usize) -> Option<Ack> {
    if answer.status != 201 {
        return None;
    }
    let j = &answer.json;
    let ack = Ack {
        item: j["item"].as_str().expect("201 names the item").to_owned(),
        sha256: sha256_hex(sent),
        log_index: j["log_index"].as_u64().expect("201 gives the log index"),
        server,
    };
    assert_eq!(
        j["sha256"], ack.sha256,
        "the server hashed other bytes: {j}"
    );
    assert_eq!(j["bytes"], sent.len() as u64, "{j}");
    Some(ack)
}

/// One request on a new connection (`Connection: close`); the head and body go in one write,
/// so a server answering before it reads the body (a 401, a 503) has read it all anyway.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[String],
    body: &[u8],
) -> io::Result<Answer> {
    let to: SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let mut conn = TcpStream::connect_timeout(&to, CONNECT_TIMEOUT)?;
    conn.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    conn.write_all(&bytes)?;
    let mut response = Vec::new();
    conn.read_to_end(&mut response)?;
    parse(&response)
}

fn parse(response: &[u8]) -> io::Result<Answer> {
    let text = String::from_utf8_lossy(response);
    let Some((head, payload)) = text.split_once("\r\n\r\n") else {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the connection closed before a whole answer ({} bytes)",
                response.len()
            ),
        ));
    };
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad head: {head}")))?;
    let retry_after = head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("retry-after")
            .then(|| value.trim().to_owned())
    });
    Ok(Answer {
        status,
        retry_after,
        json: serde_json::from_str(payload).unwrap_or(Value::Null),
        text: payload.to_owned(),
    })
}
