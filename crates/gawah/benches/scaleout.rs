//! Scale-out benchmark: ingest and append throughput of running `gawah serve` processes,
//! measured from concurrent HTTP clients on loopback.
//!
//! Run through `scripts/bench-scaleout.sh`, which builds, starts PostgreSQL and Garage, makes
//! each configuration (SQLite + folder with one server; PostgreSQL + Garage with 1, 2 and 4
//! servers), calls `run` on it, stops the servers, verifies the log and calls `check`, and
//! finally `table`. By hand:
//!
//! ```text
//! scaleout run --config A --label "SQLite + folder" --servers 127.0.0.1:P[,127.0.0.1:Q..] \
//!     --token T --acks FILE --results FILE [--uploads 1000] [--size 64KiB] [--large 16] \
//!     [--large-size 8MiB] [--seconds 15] [--clients 16] [--threads 1] [--floor]
//! scaleout check --acks FILE --data-dir D
//! scaleout table --results FILE
//! ```
//!
//! `run` has three phases, each spread round-robin over the servers (request k to server
//! k mod n) by `--clients` concurrent clients, each client with a keep-alive connection to
//! every server (see `scaleout/drive.rs`):
//!
//! 1. `ingest SIZE`: `--uploads` multipart `POST /api/v1/evidence` of `--size` distinct
//!    random bytes; uploads/s, MB/s, p50/p99;
//! 2. `ingest LARGE-SIZE`: `--large` uploads of `--large-size` (at most `--large` at once);
//! 3. `append`: `POST /api/v1/incidents` for `--seconds`; each creation appends exactly one
//!    log entry, so creations/s are log entries/s.
//!
//! Every 201 is checked (the hash and size the server reports are those sent) and written to
//! `--acks`; `check` then finds each in the data dir, at its log index (`scaleout/acks.rs`).
//! With `--floor`, the time to SHA-256 the first phase's bytes (one thread, before the clock
//! starts) is written too: the machine's floor for touching those bytes once.
//! A failed request is counted, never retried, and makes `run` exit 1; performance is
//! printed, never asserted.

// The keep-alive HTTP client of the load test, shared as it is.
#[path = "scaleout/acks.rs"]
mod acks;
#[path = "scaleout/drive.rs"]
mod drive;
#[path = "load/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "scaleout/report.rs"]
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use drive::{Payload, Target, Work};
use report::{Phase, Tally};

struct RunOpts {
    config: String,
    label: String,
    servers: Vec<String>,
    token: String,
    acks: PathBuf,
    results: PathBuf,
    uploads: u64,
    size: usize,
    large: u64,
    large_size: usize,
    seconds: u64,
    clients: usize,
    threads: usize,
    floor: bool,
}

fn usage(msg: &str) -> ! {
    eprintln!("scaleout: {msg}");
    eprintln!(
        "usage: scaleout run --config C --label L --servers ADDR[,ADDR..] --token T --acks F \
         --results F [--uploads N] [--size S] [--large N] [--large-size S] [--seconds N] \
         [--clients N] [--threads N] [--floor]\n       \
         scaleout check --acks F --data-dir D\n       scaleout table --results F"
    );
    std::process::exit(2)
}

/// `65536`, `64KiB`, `64K`, `8MiB`, `8M`.
fn parse_size(v: &str) -> usize {
    let (digits, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: usize = digits
        .parse()
        .unwrap_or_else(|_| usage(&format!("bad size {v:?}")));
    let times = match unit {
        "" | "B" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        _ => usage(&format!("bad size {v:?} (use 65536, 64KiB or 8MiB)")),
    };
    n * times
}

fn size_name(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

fn loopback(addr: &str) -> String {
    let addr = addr
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    if !addr.starts_with("127.0.0.1:") {
        usage("the servers must be on loopback (127.0.0.1:PORT)");
    }
    addr.to_owned()
}

/// `--name value` pairs (and the `--floor` flag) after the mode.
fn pairs(args: &[String]) -> (Vec<(String, String)>, bool) {
    let mut out = Vec::new();
    let mut floor = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--floor" {
            floor = true;
            continue;
        }
        let v = it
            .next()
            .unwrap_or_else(|| usage(&format!("{a} needs a value")));
        out.push((a.clone(), v.clone()));
    }
    (out, floor)
}

fn required(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| usage(&format!("{name} is required")))
}

fn run_opts(args: &[String]) -> RunOpts {
    let (pairs, floor) = pairs(args);
    let number = |v: &str| -> u64 {
        v.parse()
            .unwrap_or_else(|_| usage(&format!("bad number {v:?}")))
    };
    let mut o = RunOpts {
        config: required(&pairs, "--config"),
        label: required(&pairs, "--label"),
        servers: required(&pairs, "--servers")
            .split(',')
            .map(loopback)
            .collect(),
        token: required(&pairs, "--token"),
        acks: required(&pairs, "--acks").into(),
        results: required(&pairs, "--results").into(),
        uploads: 1000,
        size: 64 << 10,
        large: 16,
        large_size: 8 << 20,
        seconds: 15,
        clients: 16,
        threads: 1,
        floor,
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "--config" | "--label" | "--servers" | "--token" | "--acks" | "--results" => {}
            "--uploads" => o.uploads = number(v),
            "--size" => o.size = parse_size(v),
            "--large" => o.large = number(v),
            "--large-size" => o.large_size = parse_size(v),
            "--seconds" => o.seconds = number(v),
            "--clients" => o.clients = number(v).max(1) as usize,
            "--threads" => o.threads = number(v).max(1) as usize,
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    if o.size < drive::TAG || o.large_size < drive::TAG {
        usage(&format!("an upload has at least {} bytes", drive::TAG));
    }
    o
}

/// Reports a phase's failures (the first few) on stderr; the number of them.
fn failures(name: &str, t: &Tally) -> u64 {
    for e in &t.first_errors {
        eprintln!("scaleout: {name}: FAILED {e}");
    }
    t.errors
}

/// One ingest phase of `count` uploads of `size` bytes; with the time to hash them.
fn ingest(
    rt: &tokio::runtime::Runtime,
    o: &RunOpts,
    target: &Arc<Target>,
    (count, size, clients): (u64, usize, usize),
) -> (Tally, Duration, Duration) {
    let payload = Payload::new(size, 0x5ca1_e0e5_u64 ^ size as u64, &o.config);
    let hashing = Instant::now();
    let digests: Vec<String> = (0..count).map(|k| payload.sha256(k)).collect();
    let hashed = hashing.elapsed();
    let work = Arc::new(Work::Upload {
        payload,
        digests,
        case: "BENCH-SCALEOUT".to_owned(),
    });
    let (tally, wall) = rt.block_on(drive::run(target.clone(), work, clients));
    (tally, wall, hashed)
}

fn run(o: &RunOpts) -> Result<u64, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.threads)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let target = Arc::new(Target {
        servers: o.servers.clone(),
        auth: format!("Authorization: Bearer {}\r\n", o.token),
    });
    let n = o.servers.len();
    let (mut phases, mut acks, mut errors) = (Vec::new(), Vec::new(), 0);
    let mut record = |name: String, mut t: Tally, wall: Duration, phases: &mut Vec<Phase>| {
        let phase = Phase::of(&o.config, &o.label, n, &name, &mut t, wall);
        phase.print();
        errors += failures(&name, &t);
        acks.append(&mut t.acks);
        phases.push(phase);
    };
    for (count, size, clients) in [
        (o.uploads, o.size, o.clients),
        (o.large, o.large_size, o.clients.min(o.large as usize)),
    ] {
        if count == 0 {
            continue;
        }
        let name = format!("ingest {}", size_name(size));
        let (tally, wall, hashed) = ingest(&rt, o, &target, (count, size, clients));
        if o.floor && phases.is_empty() {
            let mut floor = Phase::of(
                "floor",
                "SHA-256 of the same bytes, 1 thread",
                0,
                &name,
                &mut Tally::default(),
                hashed,
            );
            (floor.ok, floor.bytes) = (count, count * size as u64);
            floor.print();
            phases.push(floor);
        }
        record(name, tally, wall, &mut phases);
    }
    if o.seconds > 0 {
        let work = Arc::new(Work::Append {
            until: Instant::now() + Duration::from_secs(o.seconds),
            tag: o.config.clone(),
        });
        let (tally, wall) = rt.block_on(drive::run(target.clone(), work, o.clients));
        record("append".to_owned(), tally, wall, &mut phases);
    }
    acks::append(&o.acks, &acks).map_err(|e| format!("{}: {e}", o.acks.display()))?;
    report::append(&o.results, &phases).map_err(|e| format!("{}: {e}", o.results.display()))?;
    Ok(errors)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some((mode, rest)) = args.split_first() else {
        usage("a mode is required: run, check or table")
    };
    let code = match mode.as_str() {
        "run" => match run(&run_opts(rest)) {
            Ok(0) => 0,
            Ok(n) => {
                eprintln!("scaleout: {n} requests failed");
                1
            }
            Err(e) => {
                eprintln!("scaleout: {e}");
                1
            }
        },
        "check" => {
            let (pairs, _) = pairs(rest);
            let acks = PathBuf::from(required(&pairs, "--acks"));
            match acks::check(&acks, required(&pairs, "--data-dir").as_ref()) {
                Ok(true) => 0,
                Ok(false) => 1,
                Err(e) => {
                    eprintln!("scaleout: {e}");
                    1
                }
            }
        }
        "table" => {
            let (pairs, _) = pairs(rest);
            match report::table(required(&pairs, "--results").as_ref()) {
                Ok(t) => {
                    print!("{t}");
                    0
                }
                Err(e) => {
                    eprintln!("scaleout: {e}");
                    1
                }
            }
        }
        other => usage(&format!("unknown mode {other:?}")),
    };
    std::process::exit(code)
}
