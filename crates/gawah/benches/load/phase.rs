//! One phase: `clients` clients, each on its own keep-alive connection from its own loopback
//! address, sending operations drawn from the mix until the phase's request count or
//! deadline is reached.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::http::Conn;
use crate::kinds::{Plan, Rng};
use crate::rss::{Sampler, Samples};
use crate::tally::{Percentiles, Tally, print_kinds};

/// What a phase measured.
pub struct Measured {
    pub tally: Tally,
    pub wall: f64,
    pub p50: f64,
    pub p99: f64,
    pub rss: Samples,
}

/// The loopback address of client `i`: 127.0.1.1, 127.0.1.2, ... (never 127.0.0.1, which
/// the generator's own set-up requests use).
fn source(addr: &str, i: usize) -> Option<IpAddr> {
    addr.starts_with("127.").then(|| {
        IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            1 + (i / 250) as u8,
            1 + (i % 250) as u8,
        ))
    })
}

/// Connects from `from`, or from any address if binding to it fails.
async fn connect(addr: &str, from: Option<IpAddr>) -> std::io::Result<Conn> {
    match Conn::open(addr, from).await {
        Ok(c) => Ok(c),
        Err(_) if from.is_some() => Conn::open(addr, None).await,
        Err(e) => Err(e),
    }
}

struct Shared {
    sent: AtomicU64,
    start: tokio::sync::Barrier,
    began: OnceLock<Instant>,
}

async fn client(plan: Arc<Plan>, mut conn: Conn, mut rng: Rng, i: usize, sh: Arc<Shared>) -> Tally {
    let mut t = Tally::default();
    let from = source(&plan.addr, i);
    let ip = conn.local_ip();
    sh.start.wait().await;
    let began = *sh.began.get_or_init(Instant::now);
    let mut healthy = true;
    if plan.think_ms > 0 {
        // Paced clients start spread over one pause, as people arrive, not all at once.
        let pause = rng.below(2 * plan.think_ms * 1000 + 1);
        tokio::time::sleep(Duration::from_micros(pause)).await;
    }
    loop {
        let n = sh.sent.fetch_add(1, Ordering::Relaxed);
        if (plan.requests > 0 && n >= plan.requests) || began.elapsed() >= plan.deadline {
            break;
        }
        let kind = plan.choose(&mut rng, ip, &mut t.logins_deferred);
        let at = Instant::now();
        if !healthy {
            match connect(&plan.addr, from).await {
                Ok(c) => {
                    conn = c;
                    healthy = true;
                }
                Err(e) => {
                    let outcome = crate::tally::Outcome::Io(format!("connect: {e}"));
                    t.record(kind, at.elapsed(), outcome);
                    continue;
                }
            }
        }
        let outcome = plan.run(kind, &mut conn, &mut rng, i).await;
        let elapsed = at.elapsed();
        if matches!(outcome, crate::tally::Outcome::Io(_)) {
            healthy = false;
        }
        t.record(kind, elapsed, outcome);
        if plan.think_ms > 0 {
            // A person reading the answer before the next request.
            let pause = rng.below(2 * plan.think_ms * 1000 + 1);
            tokio::time::sleep(Duration::from_micros(pause)).await;
        }
    }
    t
}

/// Runs one phase and prints what it measured. With `pid` and `rss_every`, the server's RSS
/// is sampled throughout.
pub async fn phase(
    name: &str,
    plan: Arc<Plan>,
    clients: usize,
    seed: u64,
    pid: Option<u32>,
    rss_every: Option<Duration>,
) -> Measured {
    let mut conns = Vec::with_capacity(clients);
    for i in 0..clients {
        conns.push(
            connect(&plan.addr, source(&plan.addr, i))
                .await
                .unwrap_or_else(|e| {
                    eprintln!("load: cannot connect to {}: {e}", plan.addr);
                    std::process::exit(1)
                }),
        );
    }
    let sh = Arc::new(Shared {
        sent: AtomicU64::new(0),
        start: tokio::sync::Barrier::new(clients + 1),
        began: OnceLock::new(),
    });
    let mut tasks = Vec::with_capacity(clients);
    for (i, conn) in conns.into_iter().enumerate() {
        let rng = Rng(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        tasks.push(tokio::spawn(client(plan.clone(), conn, rng, i, sh.clone())));
    }
    let sampler = pid.zip(rss_every).map(|(p, e)| Sampler::start(p, e));
    sh.start.wait().await;
    let t0 = *sh.began.get_or_init(Instant::now);
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.unwrap_or_default());
    }
    let wall = t0.elapsed().as_secs_f64();
    let rss = sampler.map(Sampler::finish).unwrap_or_default();
    let mut all = tally.total();
    let ok = all.latencies_us.len() as u64;
    let errors = all.errors();
    let p = Percentiles::of(&mut all.latencies_us);
    println!(
        "{name}: {} operations ({ok} ok), {errors} errors ({} 5xx, {} I/O), {wall:.1} s, {:.0} ops/s, {:.1} MB",
        ok + errors,
        all.s5xx,
        all.io,
        ok as f64 / wall,
        all.bytes as f64 / 1e6
    );
    println!(
        "  latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        p.p50, p.p95, p.p99, p.max
    );
    if tally.logins_deferred > 0 {
        println!(
            "  logins deferred to stay under the server's per-address limit: {}",
            tally.logins_deferred
        );
    }
    print_kinds(name, &mut tally, wall);
    if let Some(kib) = pid.and_then(|p| crate::rss::status_kib(p, "VmRSS:")) {
        println!(
            "  server RSS at the end of the phase: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    println!(
        "RESULT {name} requests={} errors={errors} s4xx={} s5xx={} io={} bad={} p50_ms={:.3} p95_ms={:.3} p99_ms={:.3} max_ms={:.3} rps={:.1} uploads_acknowledged={}",
        ok + errors,
        all.s4xx,
        all.s5xx,
        all.io,
        all.bad,
        p.p50,
        p.p95,
        p.p99,
        p.max,
        ok as f64 / wall,
        tally.acks.len()
    );
    Measured {
        tally,
        wall,
        p50: p.p50,
        p99: p.p99,
        rss,
    }
}
