//! A minimal HTTP/1.1 client over one keep-alive `TcpStream`: enough for the load test's
//! requests, with nothing between the generator and the socket that could hide latency.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

/// A parsed answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of a (lower-case) header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `name=value` pair of a cookie the answer sets, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .find_map(|(_, v)| {
                v.split(';')
                    .next()
                    .filter(|c| c.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
                    .map(str::to_owned)
            })
    }

    /// The first 200 bytes of the body on one line, for error messages.
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(200)]);
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl Conn {
    /// Connects to `addr`, from the loopback address `from` when given (each simulated client
    /// its own address, as people are; the server's login limit is per address).
    pub async fn open(addr: &str, from: Option<IpAddr>) -> std::io::Result<Self> {
        let stream = match from {
            Some(ip) => {
                let target: SocketAddr = addr
                    .parse()
                    .map_err(|e| bad(format!("bad address {addr:?}: {e}")))?;
                let socket = TcpSocket::new_v4()?;
                socket.bind(SocketAddr::new(ip, 0))?;
                socket.connect(target).await?
            }
            None => TcpStream::connect(addr).await?,
        };
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    /// The address this connection comes from.
    pub fn local_ip(&self) -> Option<IpAddr> {
        self.stream.get_ref().local_addr().ok().map(|a| a.ip())
    }

    /// Sends one request and reads its answer.
    pub async fn send(&mut self, request: &[u8]) -> std::io::Result<Answer> {
        self.stream.get_mut().write_all(request).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(bad("connection closed in the headers".into()));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        if answer
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            answer.body = self.chunked(&mut line).await?;
        } else if let Some(len) = answer.header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| bad(format!("bad content-length {len:?}")))?;
            answer.body.resize(len, 0);
            self.stream.read_exact(&mut answer.body).await?;
        } else if status != 204 && status != 304 && !(100..200).contains(&status) {
            return Err(bad("an answer without a length".into()));
        }
        if answer
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            return Err(bad(format!(
                "the server closed the connection (HTTP {status})"
            )));
        }
        Ok(answer)
    }

    async fn chunked(&mut self, line: &mut String) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            line.clear();
            self.stream.read_line(line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
            let start = body.len();
            body.resize(start + size, 0);
            self.stream.read_exact(&mut body[start..]).await?;
            line.clear();
            self.stream.read_line(line).await?;
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

pub fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

/// A GET; `headers` is zero or more `Name: value\r\n` lines.
pub fn get(path: &str, headers: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n").into_bytes()
}

/// A POST of an urlencoded form.
pub fn post_form(path: &str, headers: &str, form: &[(&str, &str)]) -> Vec<u8> {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", form_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A POST of a multipart form: text fields first, then one file.
pub fn post_multipart(
    path: &str,
    headers: &str,
    fields: &[(&str, &str)],
    file_name: &str,
    file: &[u8],
) -> Vec<u8> {
    const BOUNDARY: &str = "gawahloadboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::with_capacity(file.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

/// Percent-encodes a form or query value.
pub fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the first `<input ... name="NAME" value="...">` in an HTML page.
pub fn hidden_input(html: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(html).ok()?;
    let at = text.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &text[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}
