//! What a phase measured, per request kind: latencies of the answers that were right, and
//! every other outcome counted by class (4xx, 5xx, I/O, wrong content).

use std::time::Duration;

use crate::kinds::Kind;

/// How one operation ended.
pub enum Outcome {
    /// The expected answer: its body bytes, and an upload's acknowledgement.
    Ok { bytes: u64, ack: Option<Ack> },
    /// An unexpected HTTP status.
    Status(u16, String),
    /// A connection error, a malformed answer or no answer in time: the connection is dropped.
    Io(String),
    /// The expected status with wrong content (a missing field, a hash that differs).
    Bad(String),
}

/// An upload the server acknowledged with 201: what it said it stored.
#[derive(Clone, Debug)]
pub struct Ack {
    pub item: String,
    pub sha256: String,
    pub bytes: u64,
    pub log_index: u64,
}

/// One kind's counts.
#[derive(Default)]
pub struct KindTally {
    pub latencies_us: Vec<u64>,
    pub s4xx: u64,
    pub s5xx: u64,
    pub other_status: u64,
    pub io: u64,
    pub bad: u64,
    pub bytes: u64,
    pub first_error: Option<String>,
}

impl KindTally {
    pub fn errors(&self) -> u64 {
        self.s4xx + self.s5xx + self.other_status + self.io + self.bad
    }

    fn merge(&mut self, other: KindTally) {
        self.latencies_us.extend(other.latencies_us);
        self.s4xx += other.s4xx;
        self.s5xx += other.s5xx;
        self.other_status += other.other_status;
        self.io += other.io;
        self.bad += other.bad;
        self.bytes += other.bytes;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// A phase's counts, by kind.
#[derive(Default)]
pub struct Tally {
    pub kinds: [KindTally; Kind::ALL.len()],
    pub acks: Vec<Ack>,
    /// Logins replaced by another kind to keep under the server's per-address limit.
    pub logins_deferred: u64,
}

impl Tally {
    /// Counts one finished operation.
    pub fn record(&mut self, kind: Kind, elapsed: Duration, outcome: Outcome) {
        let t = &mut self.kinds[kind as usize];
        let error = match outcome {
            Outcome::Ok { bytes, ack } => {
                t.latencies_us.push(elapsed.as_micros() as u64);
                t.bytes += bytes;
                self.acks.extend(ack);
                return;
            }
            Outcome::Status(status, what) => {
                match status {
                    400..=499 => t.s4xx += 1,
                    500..=599 => t.s5xx += 1,
                    _ => t.other_status += 1,
                }
                format!("HTTP {status} {what}")
            }
            Outcome::Io(e) => {
                t.io += 1;
                e
            }
            Outcome::Bad(e) => {
                t.bad += 1;
                format!("wrong answer: {e}")
            }
        };
        t.first_error
            .get_or_insert_with(|| format!("{}: {error}", kind.name()));
    }

    pub fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.kinds.iter_mut().zip(other.kinds) {
            mine.merge(theirs);
        }
        self.acks.extend(other.acks);
        self.logins_deferred += other.logins_deferred;
    }

    /// Every kind together.
    pub fn total(&self) -> KindTally {
        let mut all = KindTally::default();
        for t in &self.kinds {
            all.latencies_us.extend_from_slice(&t.latencies_us);
            all.s4xx += t.s4xx;
            all.s5xx += t.s5xx;
            all.other_status += t.other_status;
            all.io += t.io;
            all.bad += t.bad;
            all.bytes += t.bytes;
            if all.first_error.is_none() {
                all.first_error.clone_from(&t.first_error);
            }
        }
        all
    }
}

/// Latency percentiles in milliseconds.
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Sorts `latencies_us` and reads the percentiles (NaN when empty).
    pub fn of(latencies_us: &mut [u64]) -> Self {
        latencies_us.sort_unstable();
        Self {
            p50: percentile(latencies_us, 50.0),
            p95: percentile(latencies_us, 95.0),
            p99: percentile(latencies_us, 99.0),
            max: latencies_us.last().map_or(f64::NAN, |v| *v as f64 / 1000.0),
        }
    }
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Prints one line and one `RESULT` line per kind that ran.
pub fn print_kinds(phase: &str, tally: &mut Tally, wall: f64) {
    println!(
        "  {:<12} {:>8} {:>6} {:>5} {:>5} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "kind",
        "ok",
        "4xx",
        "5xx",
        "io",
        "bad",
        "other",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "ok/s"
    );
    let mut results = Vec::new();
    for kind in Kind::ALL {
        let t = &mut tally.kinds[kind as usize];
        if t.latencies_us.is_empty() && t.errors() == 0 {
            continue;
        }
        let ok = t.latencies_us.len() as u64;
        let p = Percentiles::of(&mut t.latencies_us);
        println!(
            "  {:<12} {ok:>8} {:>6} {:>5} {:>5} {:>5} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8.1}",
            kind.name(),
            t.s4xx,
            t.s5xx,
            t.io,
            t.bad,
            t.other_status,
            p.p50,
            p.p95,
            p.p99,
            p.max,
            ok as f64 / wall
        );
        results.push(format!(
            "RESULT {phase}.{} ok={ok} s4xx={} s5xx={} io={} bad={} other={} p50_ms={:.3} p95_ms={:.3} p99_ms={:.3} max_ms={:.3}",
            kind.name(),
            t.s4xx,
            t.s5xx,
            t.io,
            t.bad,
            t.other_status,
            p.p50,
            p.p95,
            p.p99,
            p.max
        ));
    }
    for kind in Kind::ALL {
        if let Some(e) = &tally.kinds[kind as usize].first_error {
            println!("  first error: {e}");
        }
    }
    for line in results {
        println!("{line}");
    }
}
