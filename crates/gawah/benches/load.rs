//! Read-path load test: many concurrent HTTP clients against a running `gawah serve`, on
//! loopback, bounded in requests and in time.
//!
//! Run through `scripts/load.sh`, which builds, makes a data dir with a large synthetic
//! corpus, starts the server and passes its address, or by hand:
//!
//! ```text
//! cargo bench -p gawah --bench load -- --url http://127.0.0.1:PORT --token TOKEN \
//!     [--username U --password-file F] [--pid SERVER_PID] [--data-dir D --org O] \
//!     [--clients 200] [--requests 20000] [--duration 60] [--mix api:1,html:1] \
//!     [--limit 50] [--think-ms 0,1000] [--threads 1] [--seed 1]
//! ```
//!
//! Each phase runs `--clients` clients, each on its own keep-alive connection (opened before
//! the clock starts), until `--requests` requests have been sent or `--duration` seconds have
//! passed. Phases, in the same run and under the same load:
//!
//! 1. `baseline-static`: `GET /log/key`, a trivial route of the same server: what the HTTP
//!    stack, the runtime and the machine cost on their own.
//! 2. `list`: the incident list at random pages, by `--mix`: `api` is
//!    `GET /api/v1/incidents?offset=..&limit=..` with the bearer token, `html` is
//!    `GET /incidents?offset=..` with a session cookie (a login as `--username`), `key` is
//!    `/log/key` again (for mixed soaks). Once per `--think-ms` value: each client waits a
//!    random time between 0 and twice that (mean: that) after each answer, and before its
//!    first request (so paced clients do not all start at once); 0 is a closed loop with no
//!    pause, which measures saturation.
//! 3. `baseline-inproc` (with `--data-dir` and `--org`): the same list query run directly on
//!    the store in this process, one at a time, at the same kind of random offsets.
//!
//! Errors are non-2xx answers, I/O errors and requests slower than 10 s. The server's peak
//! RSS is `VmHWM` from `/proc/PID/status` after the run (the peak over the process's life).
//! Performance is measured and printed, never asserted. Lines starting with `RESULT ` are
//! for scripts.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gawah_store::RecordStore;
use gawah_store::records::IncidentQuery;
use gawah_store::sqlite::OpenMode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Opts {
    addr: String,
    token: Option<String>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    pid: Option<u32>,
    data_dir: Option<PathBuf>,
    org: Option<String>,
    clients: usize,
    requests: u64,
    duration: Duration,
    mix: Vec<(Kind, u32)>,
    limit: u64,
    think_ms: Vec<u64>,
    threads: usize,
    seed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Api,
    Html,
    Key,
}

fn usage(msg: &str) -> ! {
    eprintln!("load: {msg}");
    eprintln!(
        "usage: load --url http://127.0.0.1:PORT --token T [--username U --password-file F] \
         [--pid P] [--data-dir D --org O] [--clients N] [--requests N] [--duration S] \
         [--mix api:1,html:1,key:0] [--limit N] [--think-ms N[,N..]] [--threads N] [--seed N]"
    );
    std::process::exit(2)
}

fn opts() -> Opts {
    let mut o = Opts {
        addr: String::new(),
        token: None,
        username: None,
        password_file: None,
        pid: None,
        data_dir: None,
        org: None,
        clients: 200,
        requests: 20_000,
        duration: Duration::from_secs(60),
        mix: vec![(Kind::Api, 1), (Kind::Html, 1)],
        limit: 50,
        think_ms: vec![0],
        threads: 1,
        seed: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--bench" {
            continue;
        }
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        let number = |v: String| -> u64 {
            v.parse()
                .unwrap_or_else(|_| usage(&format!("bad number {v:?}")))
        };
        match a.as_str() {
            "--url" => {
                let url = value();
                let rest = url
                    .strip_prefix("http://")
                    .unwrap_or_else(|| usage("the URL must start with http://"));
                let host = rest.split('/').next().unwrap_or_default();
                if !host.starts_with("127.0.0.1:") && !host.starts_with("[::1]:") {
                    usage("the server must be on loopback (127.0.0.1)");
                }
                o.addr = host.to_owned();
            }
            "--token" => o.token = Some(value()),
            "--username" => o.username = Some(value()),
            "--password-file" => o.password_file = Some(value().into()),
            "--pid" => o.pid = Some(number(value()) as u32),
            "--data-dir" => o.data_dir = Some(value().into()),
            "--org" => o.org = Some(value()),
            "--clients" => o.clients = number(value()).max(1) as usize,
            "--requests" => o.requests = number(value()),
            "--duration" => o.duration = Duration::from_secs(number(value())),
            "--limit" => o.limit = number(value()).max(1),
            "--threads" => o.threads = number(value()).max(1) as usize,
            "--seed" => o.seed = number(value()),
            "--think-ms" => {
                o.think_ms = value().split(',').map(|v| number(v.to_owned())).collect();
            }
            "--mix" => {
                o.mix = value()
                    .split(',')
                    .map(|part| {
                        let (k, w) = part.split_once(':').unwrap_or((part, "1"));
                        let kind = match k {
                            "api" => Kind::Api,
                            "html" => Kind::Html,
                            "key" => Kind::Key,
                            _ => usage(&format!("unknown request kind {k:?}")),
                        };
                        (kind, number(w.to_owned()) as u32)
                    })
                    .filter(|(_, w)| *w > 0)
                    .collect();
            }
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    if o.addr.is_empty() {
        usage("--url is required");
    }
    if o.mix.is_empty() {
        usage("--mix has no request kind");
    }
    o
}

/// SplitMix64: each client its own deterministic stream of pages.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound.max(1)
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: BufReader<TcpStream>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    async fn send(&mut self, request: &[u8]) -> std::io::Result<Answer> {
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
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let mut body = Vec::new();
        if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..]).await?;
                line.clear();
                self.stream.read_line(&mut line).await?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(len) = header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| bad(format!("bad content-length {len:?}")))?;
            body.resize(len, 0);
            self.stream.read_exact(&mut body).await?;
        } else if status != 204 && status != 304 && !(100..200).contains(&status) {
            return Err(bad("an answer without a length".into()));
        }
        if header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            return Err(bad("the server closed the connection".into()));
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

fn get(path: &str, auth: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n").into_bytes()
}

/// Percent-encodes a form value.
fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs in as `username` through the login form (the double-submit token is ours to
/// choose); returns the session cookie.
async fn login(addr: &str, username: &str, password: &str) -> Result<String, String> {
    let csrf = "loadtestloginform";
    let body = format!(
        "username={}&password={}&csrf={csrf}",
        form_value(username),
        form_value(password)
    );
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: gawah_login_csrf={csrf}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut conn = Conn::open(addr).await.map_err(|e| e.to_string())?;
    let answer = conn
        .send(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    answer
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            v.split(';')
                .next()
                .filter(|c| c.starts_with("gawah_session="))
                .map(str::to_owned)
        })
        .ok_or_else(|| format!("login as {username} failed (HTTP {})", answer.status))
}

/// The list's total, from one API request.
async fn total(addr: &str, auth: &str) -> Result<u64, String> {
    let mut conn = Conn::open(addr).await.map_err(|e| e.to_string())?;
    let answer = conn
        .send(&get("/api/v1/incidents?limit=1", auth))
        .await
        .map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!("GET /api/v1/incidents: HTTP {}", answer.status));
    }
    let v: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
    v["total"]
        .as_u64()
        .ok_or_else(|| "no total in the list".to_owned())
}

/// What one phase measured.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
    by_kind: [u64; 3],
    bytes: u64,
}

struct Plan {
    addr: String,
    api_auth: String,
    html_auth: String,
    mix: Vec<(Kind, u32)>,
    pages: u64,
    limit: u64,
    requests: u64,
    deadline: Duration,
    think_ms: u64,
}

impl Plan {
    fn request(&self, kind: Kind, rng: &mut Rng) -> Vec<u8> {
        let offset = rng.below(self.pages) * self.limit;
        match kind {
            Kind::Api => get(
                &format!("/api/v1/incidents?offset={offset}&limit={}", self.limit),
                &self.api_auth,
            ),
            Kind::Html => get(&format!("/incidents?offset={offset}"), &self.html_auth),
            Kind::Key => get("/log/key", ""),
        }
    }

    fn pick(&self, rng: &mut Rng) -> Kind {
        let sum: u64 = self.mix.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = rng.below(sum);
        for (kind, w) in &self.mix {
            if r < u64::from(*w) {
                return *kind;
            }
            r -= u64::from(*w);
        }
        self.mix[0].0
    }
}

async fn client(
    plan: Arc<Plan>,
    mut conn: Conn,
    mut rng: Rng,
    sent: Arc<AtomicU64>,
    start: Arc<tokio::sync::Barrier>,
    began: Arc<std::sync::OnceLock<Instant>>,
) -> Tally {
    let mut t = Tally::default();
    start.wait().await;
    let began = *began.get_or_init(Instant::now);
    let mut healthy = true;
    if plan.think_ms > 0 {
        // Paced clients start spread over one pause, as people arrive, not all at once.
        let pause = rng.below(2 * plan.think_ms * 1000 + 1);
        tokio::time::sleep(Duration::from_micros(pause)).await;
    }
    loop {
        if sent.fetch_add(1, Ordering::Relaxed) >= plan.requests || began.elapsed() >= plan.deadline
        {
            break;
        }
        let kind = plan.pick(&mut rng);
        let request = plan.request(kind, &mut rng);
        let at = Instant::now();
        if !healthy {
            match Conn::open(&plan.addr).await {
                Ok(c) => {
                    conn = c;
                    healthy = true;
                }
                Err(e) => {
                    t.errors += 1;
                    t.first_error.get_or_insert_with(|| format!("connect: {e}"));
                    continue;
                }
            }
        }
        let result = tokio::time::timeout(REQUEST_TIMEOUT, conn.send(&request)).await;
        let elapsed = at.elapsed();
        if plan.think_ms > 0 {
            // A reader looking at the page before asking for the next one.
            let pause = rng.below(2 * plan.think_ms * 1000 + 1);
            tokio::time::sleep(Duration::from_micros(pause)).await;
        }
        match result {
            Ok(Ok(answer)) if (200..300).contains(&answer.status) => {
                t.latencies_us.push(elapsed.as_micros() as u64);
                t.by_kind[kind as usize] += 1;
                t.bytes += answer.body.len() as u64;
            }
            Ok(Ok(answer)) => {
                t.errors += 1;
                t.first_error.get_or_insert_with(|| {
                    format!(
                        "{kind:?}: HTTP {} {}",
                        answer.status,
                        String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
                    )
                });
            }
            Ok(Err(e)) => {
                t.errors += 1;
                t.first_error
                    .get_or_insert_with(|| format!("{kind:?}: {e}"));
                healthy = false;
            }
            Err(_) => {
                t.errors += 1;
                t.first_error
                    .get_or_insert_with(|| format!("{kind:?}: no answer in {REQUEST_TIMEOUT:?}"));
                healthy = false;
            }
        }
    }
    t
}

/// What a phase printed, for the ratios.
struct Summary {
    p50: f64,
    p99: f64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

async fn phase(
    name: &str,
    plan: Arc<Plan>,
    clients: usize,
    seed: u64,
    pid: Option<u32>,
) -> Summary {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(Conn::open(&plan.addr).await.unwrap_or_else(|e| {
            eprintln!("load: cannot connect to {}: {e}", plan.addr);
            std::process::exit(1)
        }));
    }
    let sent = Arc::new(AtomicU64::new(0));
    let start = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let began = Arc::new(std::sync::OnceLock::new());
    let mut tasks = Vec::with_capacity(clients);
    for (i, conn) in conns.into_iter().enumerate() {
        let rng = Rng(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        tasks.push(tokio::spawn(client(
            plan.clone(),
            conn,
            rng,
            sent.clone(),
            start.clone(),
            began.clone(),
        )));
    }
    start.wait().await;
    let t0 = *began.get_or_init(Instant::now);
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.unwrap_or_default();
        all.latencies_us.extend(t.latencies_us);
        all.errors += t.errors;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
        for k in 0..3 {
            all.by_kind[k] += t.by_kind[k];
        }
        all.bytes += t.bytes;
    }
    let wall = t0.elapsed().as_secs_f64();
    let rss = pid.and_then(|p| status_kib(p, "VmRSS:"));
    let mut lat = all.latencies_us;
    lat.sort_unstable();
    let ok = lat.len() as u64;
    let (p50, p95, p99) = (
        percentile(&lat, 50.0),
        percentile(&lat, 95.0),
        percentile(&lat, 99.0),
    );
    let max = lat.last().map_or(f64::NAN, |v| *v as f64 / 1000.0);
    println!(
        "{name}: {} requests ({ok} ok: api {} html {} key {}), {} errors, {wall:.1} s, {:.0} req/s, {:.1} MB",
        ok + all.errors,
        all.by_kind[0],
        all.by_kind[1],
        all.by_kind[2],
        all.errors,
        ok as f64 / wall,
        all.bytes as f64 / 1e6
    );
    println!("  latency ms: p50 {p50:.2}  p95 {p95:.2}  p99 {p99:.2}  max {max:.2}");
    if let Some(e) = &all.first_error {
        println!("  first error: {e}");
    }
    if let Some(kib) = rss {
        println!(
            "  server RSS at the end of the phase: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    println!(
        "RESULT {name} requests={} errors={} p50_ms={p50:.3} p95_ms={p95:.3} p99_ms={p99:.3} max_ms={max:.3} rps={:.1}",
        ok + all.errors,
        all.errors,
        ok as f64 / wall
    );
    Summary { p50, p99 }
}

/// Reads a `/proc/PID/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The same list query, run on the store in this process, one at a time.
fn in_process(o: &Opts, total: u64, pages: u64) -> Option<Summary> {
    let (dir, org) = (o.data_dir.as_ref()?, o.org.as_ref()?);
    let store = gawah_store::DataDir::open(dir)
        .and_then(|d| d.store(OpenMode::Audit))
        .unwrap_or_else(|e| {
            eprintln!("load: cannot open {}: {e}", dir.display());
            std::process::exit(1)
        });
    let org = match store.org_by_name(org) {
        Ok(Some(found)) => found.id,
        _ => {
            eprintln!("load: no organisation {org:?} in {}", dir.display());
            std::process::exit(1)
        }
    };
    let n = o.requests.clamp(1, 5_000);
    let mut rng = Rng(o.seed ^ 0x5EED);
    let mut lat = Vec::with_capacity(n as usize);
    let t0 = Instant::now();
    for _ in 0..n {
        let q = IncidentQuery {
            province: None,
            offset: rng.below(pages) * o.limit,
            limit: o.limit,
        };
        let at = Instant::now();
        let (rows, count) = store.incidents(&org, &q).unwrap_or_else(|e| {
            eprintln!("load: in-process list failed: {e}");
            std::process::exit(1)
        });
        lat.push(at.elapsed().as_micros() as u64);
        assert!(
            count == total && !rows.is_empty(),
            "in-process list is wrong"
        );
    }
    let wall = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let (p50, p95, p99) = (
        percentile(&lat, 50.0),
        percentile(&lat, 95.0),
        percentile(&lat, 99.0),
    );
    let max = lat.last().map_or(f64::NAN, |v| *v as f64 / 1000.0);
    println!(
        "baseline-inproc: {n} list queries on the store in this process, one at a time, {:.0} queries/s",
        n as f64 / wall
    );
    println!("  latency ms: p50 {p50:.2}  p95 {p95:.2}  p99 {p99:.2}  max {max:.2}");
    println!(
        "RESULT baseline-inproc requests={n} p50_ms={p50:.3} p95_ms={p95:.3} p99_ms={p99:.3} max_ms={max:.3}"
    );
    Some(Summary { p50, p99 })
}

fn main() {
    let o = opts();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.threads)
        .enable_all()
        .build()
        .expect("runtime");
    let (api_auth, html_auth, total) = runtime.block_on(async {
        let api_auth = o
            .token
            .as_ref()
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_else(|| usage("--token is required"));
        let html = o.mix.iter().any(|(k, _)| *k == Kind::Html);
        let html_auth = if html {
            let (Some(user), Some(file)) = (&o.username, &o.password_file) else {
                usage("the html mix needs --username and --password-file")
            };
            let password = std::fs::read_to_string(file)
                .unwrap_or_else(|e| usage(&format!("{}: {e}", file.display())));
            let cookie = login(&o.addr, user, password.trim_end())
                .await
                .unwrap_or_else(|e| usage(&e));
            format!("Cookie: {cookie}\r\n")
        } else {
            String::new()
        };
        let total = total(&o.addr, &api_auth)
            .await
            .unwrap_or_else(|e| usage(&e));
        (api_auth, html_auth, total)
    });
    let pages = total.div_ceil(o.limit).max(1);
    println!(
        "load: {} clients, at most {} requests or {} s per phase, {total} incidents in {pages} pages of {}, generator threads {}",
        o.clients,
        o.requests,
        o.duration.as_secs(),
        o.limit,
        o.threads
    );
    let plan = |mix: Vec<(Kind, u32)>, think_ms: u64| {
        Arc::new(Plan {
            think_ms,
            addr: o.addr.clone(),
            api_auth: api_auth.clone(),
            html_auth: html_auth.clone(),
            mix,
            pages,
            limit: o.limit,
            requests: o.requests,
            deadline: o.duration,
        })
    };
    let (fixed, lists) = runtime.block_on(async {
        let fixed = phase(
            "baseline-static",
            plan(vec![(Kind::Key, 1)], 0),
            o.clients,
            o.seed,
            o.pid,
        )
        .await;
        let mut lists = Vec::new();
        for &think in &o.think_ms {
            let name = format!("list-think-{think}ms");
            let list = phase(&name, plan(o.mix.clone(), think), o.clients, o.seed, o.pid).await;
            lists.push((name, list));
        }
        (fixed, lists)
    });
    drop(runtime);
    let inproc = in_process(&o, total, pages);
    if let Some(pid) = o.pid {
        let hwm = status_kib(pid, "VmHWM:");
        if let Some(kib) = hwm {
            println!("server peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
            println!("RESULT server peak_rss_mib={:.1}", kib as f64 / 1024.0);
        }
    }
    for (name, list) in &lists {
        println!(
            "ratios {name}: p99 / static p99 = {:.2}; p50 / static p50 = {:.2}",
            list.p99 / fixed.p99,
            list.p50 / fixed.p50
        );
        if let Some(b) = &inproc {
            println!(
                "ratios {name}: p50 / in-process query p50 = {:.1}; p99 / in-process p99 = {:.1}",
                list.p50 / b.p50,
                list.p99 / b.p99
            );
        }
    }
}
