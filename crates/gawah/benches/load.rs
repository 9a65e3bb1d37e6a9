//! Load test: many concurrent HTTP clients against a running `gawah serve`, on loopback,
//! bounded in requests and in time.
//!
//! Run through `scripts/load.sh` (the read path) or `scripts/soak.sh` (a mixed workload for
//! a long time, with memory watched and every upload checked), which build, make a data dir,
//! start the server and pass its address; or by hand:
//!
//! ```text
//! cargo bench -p gawah --bench load -- --url http://127.0.0.1:PORT --token TOKEN \
//!     [--username U --password-file F] [--pid SERVER_PID] [--data-dir D --org O] \
//!     [--clients 200] [--requests 20000] [--duration 60] [--mix api:1,html:1] \
//!     [--limit 50] [--think-ms 0,1000] [--threads 1] [--seed 1] \
//!     [--soak] [--upload-token T] [--login-accounts F] [--acks F] [--rss-every S]
//! cargo bench -p gawah --bench load -- --check-uploads ACKS --data-dir D
//! ```
//!
//! Each client has its own keep-alive connection (opened before the clock starts) from its
//! own loopback address (127.0.1.1, 127.0.1.2, ...), as each person has theirs. A phase runs
//! until `--requests` operations have been sent (0: no limit) or `--duration` seconds have
//! passed. Operations are drawn from `--mix`, `kind:weight,...` (see `load/kinds.rs`):
//! `api`, `html` (incident lists at random pages, by token or session), `key` (`/log/key`, a
//! trivial route), `search`, `search-html` (corpus words, sometimes a province filter),
//! `upload` (a few KiB of random bytes, half linked to an incident, checked against the
//! answer) and `login` (the HTML sign-in, landing page, sign-out; at most 8 a minute per
//! address, under the server's limit of 10).
//!
//! Without `--soak`, the read-path phases, in the same run and under the same load:
//!
//! 1. `baseline-static`: `GET /log/key`: what the HTTP stack, the runtime and the machine
//!    cost on their own.
//! 2. `list-think-Nms`: the mix, once per `--think-ms` value: each client waits a random time
//!    between 0 and twice that (mean: that) after each answer and before its first request
//!    (paced clients do not all start at once); 0 is a closed loop, which measures saturation.
//! 3. `baseline-inproc` (with `--data-dir` and `--org`): the same list query run directly on
//!    the store in this process, one at a time.
//!
//! With `--soak`, one phase, `mixed`, paced by the first `--think-ms`, while the server's RSS
//! (with `--pid`) is sampled every `--rss-every` seconds; growth from after the warm-up to the
//! end is printed (see `load/rss.rs`); acknowledged uploads are written to `--acks`.
//! `--check-uploads ACKS --data-dir D`, once the server has stopped, checks each of them in
//! the data dir and exits 1 if one is missing or different.
//!
//! Errors are unexpected statuses (counted as 4xx, 5xx, other), I/O errors (including
//! answers slower than 10 s) and wrong answers (a 2xx whose content is not what was asked).
//! Performance is measured and printed, never asserted; lines starting with `RESULT ` are for
//! scripts, which decide.

// The modules live in `load/` (the bench's root file is `load.rs`, so say where).
#[path = "load/acks.rs"]
mod acks;
#[path = "load/flows.rs"]
mod flows;
#[path = "load/http.rs"]
mod http;
#[path = "load/inproc.rs"]
mod inproc;
#[path = "load/kinds.rs"]
mod kinds;
#[path = "load/phase.rs"]
mod phase;
#[path = "load/rss.rs"]
mod rss;
#[path = "load/tally.rs"]
mod tally;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{Conn, get, post_form};
use kinds::{Kind, Plan};

#[derive(Clone)]
struct Opts {
    addr: String,
    token: Option<String>,
    upload_token: Option<String>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    login_accounts: Option<PathBuf>,
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
    corpus_seed: u64,
    soak: bool,
    acks: Option<PathBuf>,
    rss_every: Duration,
    check_uploads: Option<PathBuf>,
}

fn usage(msg: &str) -> ! {
    eprintln!("load: {msg}");
    eprintln!(
        "usage: load --url http://127.0.0.1:PORT --token T [--username U --password-file F] \
         [--pid P] [--data-dir D --org O] [--clients N] [--requests N] [--duration S] \
         [--mix api:1,html:1,key:0,search:0,search-html:0,upload:0,login:0] [--limit N] \
         [--think-ms N[,N..]] [--threads N] [--seed N] [--corpus-seed N] [--soak] \
         [--upload-token T] [--login-accounts FILE] [--acks FILE] [--rss-every S]\n       \
         load --check-uploads ACKS --data-dir D"
    );
    std::process::exit(2)
}

fn parse_mix(v: &str) -> Vec<(Kind, u32)> {
    v.split(',')
        .map(|part| {
            let (k, w) = part.split_once(':').unwrap_or((part, "1"));
            let kind =
                Kind::parse(k).unwrap_or_else(|| usage(&format!("unknown request kind {k:?}")));
            let w = w
                .parse()
                .unwrap_or_else(|_| usage(&format!("bad weight {w:?}")));
            (kind, w)
        })
        .filter(|(_, w)| *w > 0)
        .collect()
}

fn loopback(url: &str) -> String {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| usage("the URL must start with http://"));
    let host = rest.split('/').next().unwrap_or_default();
    if !host.starts_with("127.0.0.1:") && !host.starts_with("[::1]:") {
        usage("the server must be on loopback (127.0.0.1)");
    }
    host.to_owned()
}

fn opts() -> Opts {
    let mut o = Opts {
        addr: String::new(),
        token: None,
        upload_token: None,
        username: None,
        password_file: None,
        login_accounts: None,
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
        corpus_seed: 2021,
        soak: false,
        acks: None,
        rss_every: Duration::from_secs(2),
        check_uploads: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--bench" {
            continue;
        }
        if a == "--soak" {
            o.soak = true;
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
            "--url" => o.addr = loopback(&value()),
            "--token" => o.token = Some(value()),
            "--upload-token" => o.upload_token = Some(value()),
            "--username" => o.username = Some(value()),
            "--password-file" => o.password_file = Some(value().into()),
            "--login-accounts" => o.login_accounts = Some(value().into()),
            "--pid" => o.pid = Some(number(value()) as u32),
            "--data-dir" => o.data_dir = Some(value().into()),
            "--org" => o.org = Some(value()),
            "--clients" => o.clients = number(value()).max(1) as usize,
            "--requests" => o.requests = number(value()),
            "--duration" => o.duration = Duration::from_secs(number(value())),
            "--limit" => o.limit = number(value()).max(1),
            "--threads" => o.threads = number(value()).max(1) as usize,
            "--seed" => o.seed = number(value()),
            "--corpus-seed" => o.corpus_seed = number(value()),
            "--acks" => o.acks = Some(value().into()),
            "--rss-every" => o.rss_every = Duration::from_secs(number(value()).max(1)),
            "--check-uploads" => o.check_uploads = Some(value().into()),
            "--think-ms" => {
                o.think_ms = value().split(',').map(|v| number(v.to_owned())).collect();
            }
            "--mix" => o.mix = parse_mix(&value()),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    if o.check_uploads.is_none() && o.addr.is_empty() {
        usage("--url is required");
    }
    if o.mix.is_empty() {
        usage("--mix has no request kind");
    }
    o
}

/// Signs in as `username` through the login form (the double-submit token is ours to
/// choose); returns the session cookie.
async fn login(addr: &str, username: &str, password: &str) -> Result<String, String> {
    let csrf = "loadtestloginform";
    let request = post_form(
        "/login",
        &format!("Cookie: gawah_login_csrf={csrf}\r\n"),
        &[
            ("username", username),
            ("password", password),
            ("csrf", csrf),
        ],
    );
    let mut conn = Conn::open(addr, None).await.map_err(|e| e.to_string())?;
    let answer = conn.send(&request).await.map_err(|e| e.to_string())?;
    answer
        .set_cookie("gawah_session")
        .ok_or_else(|| format!("login as {username} failed (HTTP {})", answer.status))
}

/// The list's total and the ids of its first page, from one API request.
async fn first_page(addr: &str, auth: &str, limit: u64) -> Result<(u64, Vec<String>), String> {
    let mut conn = Conn::open(addr, None).await.map_err(|e| e.to_string())?;
    let answer = conn
        .send(&get(&format!("/api/v1/incidents?limit={limit}"), auth))
        .await
        .map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!("GET /api/v1/incidents: HTTP {}", answer.status));
    }
    let v: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
    let total = v["total"]
        .as_u64()
        .ok_or_else(|| "no total in the list".to_owned())?;
    let ids = v["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((total, ids))
}

/// `username password` per line.
fn accounts(path: &PathBuf) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| usage(&format!("{}: {e}", path.display())));
    text.lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(u, p)| (u.to_owned(), p.trim().to_owned()))
        .collect()
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

/// What every phase's plan shares, found out before the first phase.
struct Setup {
    api_auth: String,
    upload_auth: String,
    html_auth: String,
    total: u64,
    incidents: Vec<String>,
    accounts: Vec<(String, String)>,
}

async fn setup(o: &Opts) -> Setup {
    let token = o
        .token
        .as_ref()
        .unwrap_or_else(|| usage("--token is required"));
    let api_auth = bearer(token);
    let upload_auth = bearer(o.upload_token.as_ref().unwrap_or(token));
    let uses = |k: Kind| o.mix.iter().any(|(m, _)| *m == k);
    let html_auth = if uses(Kind::Html) || uses(Kind::SearchHtml) {
        let (Some(user), Some(file)) = (&o.username, &o.password_file) else {
            usage("the html and search-html kinds need --username and --password-file")
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
    let (total, _) = first_page(&o.addr, &api_auth, 1)
        .await
        .unwrap_or_else(|e| usage(&e));
    let incidents = if uses(Kind::Upload) {
        first_page(&o.addr, &upload_auth, 200)
            .await
            .unwrap_or_else(|e| usage(&e))
            .1
    } else {
        Vec::new()
    };
    let accounts = match (&o.login_accounts, uses(Kind::Login)) {
        (Some(path), true) => accounts(path),
        (None, true) => usage("the login kind needs --login-accounts"),
        _ => Vec::new(),
    };
    if uses(Kind::Login) && accounts.is_empty() {
        usage("--login-accounts lists no account");
    }
    Setup {
        api_auth,
        upload_auth,
        html_auth,
        total,
        incidents,
        accounts,
    }
}

fn main() {
    let o = opts();
    if let Some(acks) = &o.check_uploads {
        let dir = o
            .data_dir
            .as_ref()
            .unwrap_or_else(|| usage("--check-uploads needs --data-dir"));
        match acks::check(acks, dir) {
            Ok(true) => return,
            Ok(false) => std::process::exit(1),
            Err(e) => {
                eprintln!("load: {e}");
                std::process::exit(2)
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.threads)
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("load: no async runtime: {e}");
            std::process::exit(1)
        });
    let s = runtime.block_on(setup(&o));
    let pages = s.total.div_ceil(o.limit).max(1);
    let (words, provinces) = kinds::corpus_words(o.corpus_seed);
    println!(
        "load: {} clients, at most {} operations or {} s per phase, {} incidents in {pages} pages of {}, {} search words, generator threads {}",
        o.clients,
        if o.requests == 0 {
            "unlimited".to_owned()
        } else {
            o.requests.to_string()
        },
        o.duration.as_secs(),
        s.total,
        o.limit,
        words.len(),
        o.threads
    );
    let plan = |mix: Vec<(Kind, u32)>, think_ms: u64| {
        Arc::new(Plan {
            think_ms,
            addr: o.addr.clone(),
            api_auth: s.api_auth.clone(),
            upload_auth: s.upload_auth.clone(),
            html_auth: s.html_auth.clone(),
            mix,
            pages,
            limit: o.limit,
            requests: o.requests,
            deadline: o.duration,
            words: words.clone(),
            provinces: provinces.clone(),
            incidents: s.incidents.clone(),
            accounts: s.accounts.clone(),
            logins: flows::LoginBudget::default(),
        })
    };
    if o.soak {
        soak(&o, &runtime, plan(o.mix.clone(), o.think_ms[0]));
    } else {
        read_path(&o, &runtime, &plan, s.total, pages);
    }
}

/// The soak: one long mixed phase, RSS watched, acknowledged uploads kept.
fn soak(o: &Opts, runtime: &tokio::runtime::Runtime, plan: Arc<Plan>) {
    let m = runtime.block_on(phase::phase(
        "mixed",
        plan,
        o.clients,
        o.seed,
        o.pid,
        Some(o.rss_every),
    ));
    if o.pid.is_some() {
        rss::report(&m.rss, m.wall);
    }
    println!("RESULT uploads acknowledged={}", m.tally.acks.len());
    if let Some(path) = &o.acks
        && let Err(e) = acks::write(path, &m.tally.acks)
    {
        eprintln!("load: writing {}: {e}", path.display());
        std::process::exit(1)
    }
}

/// The read-path phases and their ratios to the baselines.
fn read_path(
    o: &Opts,
    runtime: &tokio::runtime::Runtime,
    plan: &dyn Fn(Vec<(Kind, u32)>, u64) -> Arc<Plan>,
    total: u64,
    pages: u64,
) {
    let (fixed, lists) = runtime.block_on(async {
        let key = plan(vec![(Kind::Key, 1)], 0);
        let fixed = phase::phase("baseline-static", key, o.clients, o.seed, o.pid, None).await;
        let mut lists = Vec::new();
        for &think in &o.think_ms {
            let name = format!("list-think-{think}ms");
            let p = plan(o.mix.clone(), think);
            let list = phase::phase(&name, p, o.clients, o.seed, o.pid, None).await;
            lists.push((name, list));
        }
        (fixed, lists)
    });
    let inproc = match (&o.data_dir, &o.org) {
        (Some(dir), Some(org)) => Some(inproc::run(
            dir, org, o.requests, o.limit, total, pages, o.seed,
        )),
        _ => None,
    };
    if let Some(kib) = o.pid.and_then(|p| rss::status_kib(p, "VmHWM:")) {
        println!("server peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
        println!("RESULT server peak_rss_mib={:.1}", kib as f64 / 1024.0);
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
