//! The measured phases: uploads of one size, and incident creations, from concurrent clients
//! spread round-robin over the servers (request k goes to server k mod n, as a round-robin
//! load balancer would send it). Each client has one keep-alive connection to every server,
//! opened before the clock starts, so the time measured is the requests', not the handshakes'.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::acks::{Ack, Kind};
use crate::http::{Answer, Conn, post_multipart};
use crate::report::Tally;

/// Longest one request may take before it counts as failed (a bound, not a wait: a healthy
/// server answers an 8 MiB upload in well under a second).
const TIMEOUT: Duration = Duration::from_secs(120);

/// How many leading bytes of an upload name it (and so make it distinct).
pub const TAG: usize = 64;

/// Where the requests go and as whom.
pub struct Target {
    /// `127.0.0.1:PORT` of each server.
    pub servers: Vec<String>,
    /// The `Authorization: Bearer ...\r\n` header line.
    pub auth: String,
}

/// The bytes of one phase's uploads: one buffer of random bytes, each upload with its first
/// [`TAG`] bytes replaced by a tag naming it. Every upload is distinct (blobs are
/// content-addressed: identical bytes would be stored once and measure nothing) and none costs
/// the client time to generate.
pub struct Payload {
    base: Vec<u8>,
    tag: String,
}

impl Payload {
    /// `size` bytes (at least [`TAG`]) from a fixed-seed generator; `tag` names the phase.
    pub fn new(size: usize, seed: u64, tag: &str) -> Self {
        let mut state = seed;
        let mut base = Vec::with_capacity(size + 8);
        while base.len() < size {
            base.extend_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        base.truncate(size);
        Self {
            base,
            tag: tag.to_owned(),
        }
    }

    pub fn len(&self) -> usize {
        self.base.len()
    }

    fn head(&self, k: u64) -> [u8; TAG] {
        let mut head = [b' '; TAG];
        let name = format!("gawah scale-out {} upload {k}\n", self.tag);
        let n = name.len().min(TAG);
        head[..n].copy_from_slice(&name.as_bytes()[..n]);
        head
    }

    /// The bytes of upload `k`.
    pub fn bytes(&self, k: u64) -> Vec<u8> {
        let mut b = self.base.clone();
        b[..TAG].copy_from_slice(&self.head(k));
        b
    }

    /// Hex SHA-256 of upload `k`, computed without copying it.
    pub fn sha256(&self, k: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.head(k));
        h.update(&self.base[TAG..]);
        hex::encode(h.finalize())
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one phase sends, and how it knows it is over.
pub enum Work {
    /// `count` uploads of `payload`, whose hashes (`digests[k]`) were computed beforehand.
    Upload {
        payload: Payload,
        digests: Vec<String>,
        case: String,
    },
    /// Incident creations until `until`; `tag` keeps the references distinct.
    Append { until: Instant, tag: String },
}

impl Work {
    fn over(&self, k: u64) -> bool {
        match self {
            Work::Upload { digests, .. } => k >= digests.len() as u64,
            Work::Append { until, .. } => Instant::now() >= *until,
        }
    }

    fn request(&self, k: u64, auth: &str) -> Vec<u8> {
        match self {
            Work::Upload { payload, case, .. } => post_multipart(
                "/api/v1/evidence",
                auth,
                &[("case", case)],
                "bench.bin",
                &payload.bytes(k),
            ),
            Work::Append { tag, .. } => {
                let body = serde_json::json!({
                    "ref": format!("BENCH-{tag}-{k}"),
                    "title": format!("Scale-out benchmark incident {k}"),
                    "date": "2023-03-23",
                    "province": "AF-KAB",
                    "violation_types": ["education"],
                })
                .to_string();
                format!(
                    "POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
        }
    }

    /// The acknowledgement in a 201, checked against what was sent; why not, otherwise.
    fn judge(&self, k: u64, answer: &Answer) -> Result<Ack, String> {
        if answer.status != 201 {
            return Err(format!("HTTP {}: {}", answer.status, answer.snippet()));
        }
        let j: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("201 without JSON ({e}): {}", answer.snippet()))?;
        let log_index = j["log_index"]
            .as_u64()
            .ok_or_else(|| format!("201 without a log index: {j}"))?;
        match self {
            Work::Upload {
                payload, digests, ..
            } => {
                let sha256 = &digests[k as usize];
                if j["sha256"].as_str() != Some(sha256) || j["bytes"] != payload.len() as u64 {
                    return Err(format!("the server stored other bytes: {j}"));
                }
                let item = j["item"].as_str().ok_or_else(|| format!("no item: {j}"))?;
                Ok(Ack {
                    kind: Kind::Upload,
                    id: item.to_owned(),
                    sha256: sha256.clone(),
                    bytes: payload.len() as u64,
                    log_index,
                })
            }
            Work::Append { .. } => {
                let id = j["id"].as_str().ok_or_else(|| format!("no id: {j}"))?;
                Ok(Ack {
                    kind: Kind::Incident,
                    id: id.to_owned(),
                    sha256: "-".to_owned(),
                    bytes: 0,
                    log_index,
                })
            }
        }
    }
}

/// Runs `work` with `clients` concurrent clients; what they measured, and the wall time from
/// the first request to the last answer. Every failure is counted, none retried.
pub async fn run(target: Arc<Target>, work: Arc<Work>, clients: usize) -> (Tally, Duration) {
    let mut connected = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut conns = Vec::with_capacity(target.servers.len());
        for addr in &target.servers {
            conns.push(Conn::open(addr, None).await.ok());
        }
        connected.push(conns);
    }
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = connected
        .into_iter()
        .map(|conns| {
            let (target, work, next) = (target.clone(), work.clone(), next.clone());
            tokio::spawn(client(target, work, next, conns))
        })
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        match t.await {
            Ok(one) => tally.merge(one),
            Err(e) => tally.fail(format!("a client task failed: {e}")),
        }
    }
    (tally, started.elapsed())
}

async fn client(
    target: Arc<Target>,
    work: Arc<Work>,
    next: Arc<AtomicU64>,
    mut conns: Vec<Option<Conn>>,
) -> Tally {
    let mut tally = Tally::default();
    loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        if work.over(k) {
            return tally;
        }
        let server = (k % target.servers.len() as u64) as usize;
        let request = work.request(k, &target.auth);
        let started = Instant::now();
        let answer = send(conns[server].as_mut(), &request).await;
        let latency = started.elapsed();
        match answer.and_then(|a| work.judge(k, &a)) {
            Ok(ack) => tally.ok(latency, ack),
            Err(e) => {
                tally.fail(format!("server {server}, request {k}: {e}"));
                // The connection may be half-way through an answer: start a clean one.
                conns[server] = Conn::open(&target.servers[server], None).await.ok();
            }
        }
    }
}

async fn send(conn: Option<&mut Conn>, request: &[u8]) -> Result<Answer, String> {
    let conn = conn.ok_or_else(|| "could not connect".to_owned())?;
    match tokio::time::timeout(TIMEOUT, conn.send(request)).await {
        Ok(answer) => answer.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer in {} s", TIMEOUT.as_secs())),
    }
}
