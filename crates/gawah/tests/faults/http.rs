//! A plain HTTP/1.1 client for the fault tests: one request per connection, binary bodies
//! kept as bytes (downloads are compared byte for byte), chunked answers decoded, and a
//! connection error (the server is gone) told apart from an answer.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// Longest a request may take before the client gives up: a bound, not a wait.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The `error` of a JSON error body, or "".
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `POST /api/v1/evidence`, a multipart form with `case` and `file` (named `name`).
pub fn upload(addr: &str, token: &str, name: &str, bytes: &[u8]) -> io::Result<Answer> {
    let boundary = "gawahfaultsboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\nCASE-FAULTS\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let kind = format!("multipart/form-data; boundary={boundary}");
    request(
        addr,
        "POST",
        "/api/v1/evidence",
        Some(token),
        Some(&kind),
        &body,
    )
}

/// `POST path` with a JSON body and a bearer token.
pub fn post_json(addr: &str, token: &str, path: &str, body: &Value) -> io::Result<Answer> {
    let bytes = body.to_string().into_bytes();
    request(
        addr,
        "POST",
        path,
        Some(token),
        Some("application/json"),
        &bytes,
    )
}

/// `GET path`, with a bearer token if given.
pub fn get(addr: &str, token: Option<&str>, path: &str) -> io::Result<Answer> {
    request(addr, "GET", path, token, None, &[])
}

/// One request on a new connection (`Connection: close`), head and body in one write.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> io::Result<Answer> {
    let to: SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let mut conn = TcpStream::connect_timeout(&to, CONNECT_TIMEOUT)?;
    conn.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(c) = content_type {
        head.push_str(&format!("Content-Type: {c}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    // The body is written on its own thread while the answer is read: a server that
    // refuses an upload half-way (a full disk) answers and closes without reading the rest,
    // and its answer must be read, not lost to the write's broken pipe.
    let mut writer = conn.try_clone()?;
    let mut response = Vec::new();
    let (sent, read) = std::thread::scope(|sc| {
        let sending = sc.spawn(move || writer.write_all(&out));
        let read = conn.read_to_end(&mut response);
        (sending.join(), read)
    });
    match parse(&response) {
        Ok(answer) => Ok(answer),
        Err(e) => match (sent, read) {
            (Ok(Err(w)), _) => Err(w),
            (_, Err(r)) => Err(r),
            _ => Err(e),
        },
    }
}

fn cut(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, msg.into())
}

fn parse(response: &[u8]) -> io::Result<Answer> {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            cut(format!(
                "the connection closed before a whole answer ({} bytes)",
                response.len()
            ))
        })?;
    let head = String::from_utf8_lossy(&response[..end]);
    let payload = &response[end + 4..];
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad head: {head}")))?;
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(payload)?
    } else {
        payload.to_vec()
    };
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if length.is_some_and(|n| body.len() < n) {
        return Err(cut("the body ended before its Content-Length"));
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Decodes a chunked body; a body cut before its last chunk is an error (the server died).
fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| cut("a chunked body ended early"))?;
        let size = std::str::from_utf8(&rest[..eol])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next()?.trim(), 16).ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err(cut("a chunk ended early"));
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
