//! What the phases measured: per phase one line of a results file (tab-separated, appended
//! by each configuration's run), and at the end one table of every configuration with its
//! ratio to the first configuration of the file, the baseline measured in the same run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::acks::Ack;

/// What the clients of one phase saw.
#[derive(Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub acks: Vec<Ack>,
    pub errors: u64,
    pub first_errors: Vec<String>,
}

impl Tally {
    pub fn ok(&mut self, latency: Duration, ack: Ack) {
        self.latencies.push(latency);
        self.acks.push(ack);
    }

    pub fn fail(&mut self, why: String) {
        self.errors += 1;
        if self.first_errors.len() < 5 {
            self.first_errors.push(why);
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.acks.extend(other.acks);
        self.errors += other.errors;
        for e in other.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(e);
            }
        }
    }
}

/// One measured phase of one configuration (or the machine floor).
pub struct Phase {
    /// `A`, `B1`, ... (`floor` for the machine floor).
    pub config: String,
    /// What the configuration is, for people.
    pub label: String,
    pub servers: usize,
    /// `ingest 64 KiB`, `append`, ...
    pub name: String,
    pub ok: u64,
    pub errors: u64,
    /// Payload bytes acknowledged (0 for appends).
    pub bytes: u64,
    pub secs: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Phase {
    /// A phase's line from what its clients saw over `wall`.
    pub fn of(
        config: &str,
        label: &str,
        servers: usize,
        name: &str,
        t: &mut Tally,
        wall: Duration,
    ) -> Self {
        t.latencies.sort_unstable();
        Self {
            config: config.to_owned(),
            label: label.to_owned(),
            servers,
            name: name.to_owned(),
            ok: t.acks.len() as u64,
            errors: t.errors,
            bytes: t.acks.iter().map(|a| a.bytes).sum(),
            secs: wall.as_secs_f64(),
            p50_ms: percentile_ms(&t.latencies, 50.0),
            p99_ms: percentile_ms(&t.latencies, 99.0),
        }
    }

    pub fn ops_per_s(&self) -> f64 {
        self.ok as f64 / self.secs
    }

    /// Decimal megabytes (10^6 bytes) per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.secs
    }

    fn tsv(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.6}\t{:.3}\t{:.3}",
            self.config,
            self.label,
            self.servers,
            self.name,
            self.ok,
            self.errors,
            self.bytes,
            self.secs,
            self.p50_ms,
            self.p99_ms
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.split('\t').collect();
        let [
            config,
            label,
            servers,
            name,
            ok,
            errors,
            bytes,
            secs,
            p50,
            p99,
        ] = f.as_slice()
        else {
            return None;
        };
        Some(Self {
            config: (*config).to_owned(),
            label: (*label).to_owned(),
            servers: servers.parse().ok()?,
            name: (*name).to_owned(),
            ok: ok.parse().ok()?,
            errors: errors.parse().ok()?,
            bytes: bytes.parse().ok()?,
            secs: secs.parse().ok()?,
            p50_ms: p50.parse().ok()?,
            p99_ms: p99.parse().ok()?,
        })
    }

    /// Prints the phase and its `RESULT` line for scripts.
    pub fn print(&self) {
        println!(
            "RESULT config={} servers={} phase={:?} ok={} errors={} secs={:.2} ops_per_s={:.1} \
             mb_per_s={:.2} p50_ms={:.2} p99_ms={:.2}",
            self.config,
            self.servers,
            self.name,
            self.ok,
            self.errors,
            self.secs,
            self.ops_per_s(),
            self.mb_per_s(),
            self.p50_ms,
            self.p99_ms
        );
    }
}

/// Nearest-rank percentile in milliseconds of sorted latencies (NaN when empty).
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Appends `phases` to the results file.
pub fn append(path: &Path, phases: &[Phase]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for p in phases {
        writeln!(f, "{}", p.tsv())?;
    }
    Ok(())
}

/// The results file as two Markdown tables: every phase of every configuration with its
/// throughput ÷ the baseline's (the first configuration in the file) for the same phase;
/// then the ratios alone, one row per phase.
pub fn table(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let phases: Vec<Phase> = text
        .lines()
        .map(|l| Phase::parse(l).ok_or_else(|| format!("bad line {l:?} in {}", path.display())))
        .collect::<Result<_, _>>()?;
    let runs: Vec<&Phase> = phases.iter().filter(|p| p.config != "floor").collect();
    let base = runs.first().map(|p| p.config.clone()).unwrap_or_default();
    let baseline = |name: &str| {
        runs.iter()
            .find(|p| p.config == base && p.name == name)
            .map(|p| p.ops_per_s())
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| configuration | servers | phase | ok | errors | time s | ops/s | MB/s | p50 ms | p99 ms | ops/s ÷ {base} |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    for p in &phases {
        let ratio = match (p.config.as_str(), baseline(&p.name)) {
            ("floor", _) | (_, None) => String::new(),
            (_, Some(b)) => format!("{:.2}×", p.ops_per_s() / b),
        };
        let _ = writeln!(
            out,
            "| {}: {} | {} | {} | {} | {} | {:.2} | {:.1} | {} | {} | {} | {ratio} |",
            p.config,
            p.label,
            dash(p.servers > 0, p.servers),
            p.name,
            p.ok,
            p.errors,
            p.secs,
            p.ops_per_s(),
            dash(p.bytes > 0, format!("{:.1}", p.mb_per_s())),
            dash(!p.p50_ms.is_nan(), format!("{:.2}", p.p50_ms)),
            dash(!p.p99_ms.is_nan(), format!("{:.2}", p.p99_ms)),
        );
    }
    ratios(&mut out, &runs, &base, baseline);
    Ok(out)
}

/// `value`, or a dash where it means nothing (no servers, no bytes, no latency).
fn dash(meaningful: bool, value: impl std::fmt::Display) -> String {
    if meaningful {
        value.to_string()
    } else {
        "–".to_owned()
    }
}

/// The ratios alone: one row per phase, one column per configuration.
fn ratios(out: &mut String, runs: &[&Phase], base: &str, baseline: impl Fn(&str) -> Option<f64>) {
    let mut configs: Vec<(&str, usize)> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for p in runs {
        if !configs.iter().any(|(c, _)| *c == p.config) {
            configs.push((&p.config, p.servers));
        }
        if !names.contains(&p.name.as_str()) {
            names.push(&p.name);
        }
    }
    let head: Vec<String> = configs.iter().map(|(c, n)| format!("{c} ({n})")).collect();
    let _ = writeln!(
        out,
        "\nThroughput ÷ {base} (same phase, same run):\n\n| phase | {} |\n|---|{}",
        head.join(" | "),
        "---|".repeat(configs.len())
    );
    for name in names {
        let cells: Vec<String> = configs
            .iter()
            .map(|(c, _)| {
                let p = runs.iter().find(|p| p.config == *c && p.name == name);
                match (p, baseline(name)) {
                    (Some(p), Some(b)) => format!("{:.2}×", p.ops_per_s() / b),
                    _ => "–".to_owned(),
                }
            })
            .collect();
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
}
