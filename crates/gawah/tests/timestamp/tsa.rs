//! A real RFC 3161 timestamp authority on 127.0.0.1: `openssl ts -reply` behind a tiny HTTP
//! server, with its own CA and TSA certificate (extendedKeyUsage critical timeStamping) made
//! with `openssl req` / `openssl x509` in a temporary folder. Its [`Mode`] makes it answer
//! wrongly in the ways a client must refuse.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How the authority answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A granted token over the query.
    Good,
    /// Bytes that are not DER.
    Garbage,
    /// A real rejection from openssl (its policy accepts SHA-512 digests only).
    Reject,
    /// A granted token over the same digest, but for another query (another nonce).
    WrongNonce,
    /// A granted token over other data.
    WrongImprint,
    /// HTTP 500.
    ServerError,
}

const CONFIG: &str = "\
[ tsa ]
default_tsa = tsa_good
[ tsa_good ]
serial = SERIAL
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ tsa_reject ]
serial = SERIAL
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha512
[ tsa_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
";

/// The running authority; stops when dropped (its thread ends with the test process).
pub struct Tsa {
    pub dir: tempfile::TempDir,
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    served: Arc<AtomicUsize>,
}

/// Runs `openssl` with `args` in `dir`; panics with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Tsa {
    /// Makes the CA and the TSA certificate and starts serving on a free port.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let serial = d.join("serial");
        std::fs::write(&serial, "01\n").unwrap();
        let config = CONFIG.replace("SERIAL", serial.to_str().unwrap());
        std::fs::write(d.join("tsa.cnf"), config).unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=gawah test CA",
            "-days",
            "2",
        ]);
        openssl(d, &ca);
        let mut csr = vec!["req", "-new"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=gawah test TSA",
        ]);
        openssl(d, &csr);
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "2",
                "-days",
                "2",
                "-extfile",
                "tsa.cnf",
                "-extensions",
                "tsa_ext",
                "-out",
                "tsa.pem",
            ],
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        let mode = Arc::new(Mutex::new(Mode::Good));
        let served = Arc::new(AtomicUsize::new(0));
        let work = d.to_owned();
        let (m, n) = (mode.clone(), served.clone());
        std::thread::spawn(move || {
            // One request at a time: `openssl ts -reply` updates its serial file.
            for stream in listener.incoming().flatten() {
                let mode = *m.lock().unwrap();
                n.fetch_add(1, Ordering::SeqCst);
                let _ = serve(stream, &work, mode);
            }
        });
        Self {
            dir,
            url,
            mode,
            served,
        }
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Requests answered so far.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tsa.pem")
    }

    /// `openssl ts -verify -data DATA -in RESPONSE -CAfile ca.pem -untrusted tsa.pem`:
    /// whether it succeeded, and what it printed.
    pub fn verify(&self, data: &Path, response: &Path) -> (bool, String) {
        let out = Command::new("openssl")
            .args(["ts", "-verify", "-data"])
            .arg(data)
            .arg("-in")
            .arg(response)
            .arg("-CAfile")
            .arg(self.ca())
            .arg("-untrusted")
            .arg(self.cert())
            .output()
            .expect("openssl runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.status.success() && text.contains("Verification: OK"),
            text,
        )
    }
}

/// Reads one HTTP request, answers it as `mode` says, and closes.
fn serve(stream: TcpStream, dir: &Path, mode: Mode) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (mut length, mut content_type) = (0usize, String::new());
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let post = line.starts_with("POST ");
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0).min(1 << 16);
        }
        if let Some(v) = lower.strip_prefix("content-type:") {
            content_type = v.trim().to_owned();
        }
    }
    let mut query = vec![0u8; length];
    reader.read_exact(&mut query)?;
    let (status, body) = if !post || content_type != "application/timestamp-query" {
        ("415 Unsupported Media Type", Vec::new())
    } else {
        answer(dir, &query, mode)
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(&body)?;
    out.flush()
}

fn answer(dir: &Path, query: &[u8], mode: Mode) -> (&'static str, Vec<u8>) {
    let q = dir.join("query.tsq");
    std::fs::write(&q, query).unwrap();
    let reply = |queryfile: &str, section: &str| {
        let out = dir.join("reply.tsr");
        let _ = std::fs::remove_file(&out);
        openssl(
            dir,
            &[
                "ts",
                "-reply",
                "-queryfile",
                queryfile,
                "-config",
                "tsa.cnf",
                "-section",
                section,
                "-inkey",
                "tsa.key",
                "-signer",
                "tsa.pem",
                "-out",
                "reply.tsr",
            ],
        );
        std::fs::read(&out).unwrap()
    };
    let ok = "200 OK";
    match mode {
        Mode::Good => (ok, reply("query.tsq", "tsa_good")),
        Mode::Reject => (ok, reply("query.tsq", "tsa_reject")),
        Mode::Garbage => (ok, b"this is not a time-stamp response".to_vec()),
        Mode::ServerError => ("500 Internal Server Error", Vec::new()),
        Mode::WrongNonce => {
            // gawah's query puts the 32-byte SHA-256 digest at bytes 24..56.
            let digest = hex(&query[24..56]);
            openssl(
                dir,
                &[
                    "ts",
                    "-query",
                    "-digest",
                    &digest,
                    "-sha256",
                    "-cert",
                    "-out",
                    "other.tsq",
                ],
            );
            (ok, reply("other.tsq", "tsa_good"))
        }
        Mode::WrongImprint => {
            std::fs::write(dir.join("other.txt"), b"another text\n").unwrap();
            openssl(
                dir,
                &[
                    "ts",
                    "-query",
                    "-data",
                    "other.txt",
                    "-sha256",
                    "-cert",
                    "-out",
                    "other.tsq",
                ],
            );
            (ok, reply("other.tsq", "tsa_good"))
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
