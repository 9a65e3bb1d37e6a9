//! The server's resident memory over a run: `VmRSS` from `/proc/PID/status`, sampled on a
//! thread of its own every few seconds (so a busy generator does not delay the samples).
//!
//! Growth compares two windows rather than two single samples: right after each request the
//! server holds its buffers, and a login holds Argon2's 19 MiB for a moment, so one sample can
//! land on a peak. The *warm-up* window starts once the warm-up is over (20 % of the run, at
//! least 30 s, at most half of it); the *end* window is the run's last stretch. Each window
//! is max(10 s, 5 % of the run) long and is summed up by its median. A leak moves both the
//! median and the last sample; both are printed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `(seconds since the start, KiB)`.
pub type Samples = Vec<(f64, u64)>;

pub struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Samples>>,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Samples `pid` every `every`, starting now.
    pub fn start(pid: u32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (s, out) = (stop.clone(), samples.clone());
        let thread = std::thread::spawn(move || {
            let t0 = Instant::now();
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = status_kib(pid, "VmRSS:") {
                    let mut v = out.lock().unwrap_or_else(|p| p.into_inner());
                    v.push((t0.elapsed().as_secs_f64(), kib));
                }
                // The sampling period, not a wait for readiness.
                std::thread::park_timeout(every);
            }
        });
        Self {
            stop,
            samples,
            thread: Some(thread),
        }
    }

    /// Stops sampling (after one last sample) and returns the samples.
    pub fn finish(mut self) -> Samples {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Reads a `/proc/PID/status` field in KiB.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What the samples say about growth.
pub struct Growth {
    pub warmup_s: f64,
    pub window_s: f64,
    pub warm_kib: u64,
    pub end_kib: u64,
    pub last_kib: u64,
    pub peak_kib: u64,
    pub growth_pct: f64,
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Growth from the warm-up window to the end window of a run of `run_s` seconds.
pub fn growth(samples: &Samples, run_s: f64) -> Option<Growth> {
    let warmup_s = (run_s * 0.2).max(30.0).min(run_s / 2.0);
    let window_s = (run_s * 0.05).max(10.0);
    let within = |from: f64, to: f64| {
        samples
            .iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .map(|(_, k)| *k)
            .collect::<Vec<_>>()
    };
    let warm_kib = median(within(warmup_s, warmup_s + window_s))?;
    let end_kib = median(within(run_s - window_s, run_s + 1.0))?;
    let last_kib = samples.last()?.1;
    let peak_kib = samples.iter().map(|(_, k)| *k).max()?;
    Some(Growth {
        warmup_s,
        window_s,
        warm_kib,
        end_kib,
        last_kib,
        peak_kib,
        growth_pct: (end_kib as f64 - warm_kib as f64) * 100.0 / warm_kib as f64,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Prints the samples' summary and a `RESULT rss` line.
pub fn report(samples: &Samples, run_s: f64) {
    let Some(g) = growth(samples, run_s) else {
        println!("server RSS: too few samples ({})", samples.len());
        return;
    };
    println!(
        "server RSS: {:.1} MiB after the warm-up (median of {:.0}-{:.0} s), {:.1} MiB at the end \
         (median of the last {:.0} s; last sample {:.1} MiB), peak {:.1} MiB; growth {:+.1} % \
         ({} samples)",
        mib(g.warm_kib),
        g.warmup_s,
        g.warmup_s + g.window_s,
        mib(g.end_kib),
        g.window_s,
        mib(g.last_kib),
        mib(g.peak_kib),
        g.growth_pct,
        samples.len()
    );
    // A coarse curve, ten points, to see a trend by eye.
    let step = (samples.len() / 10).max(1);
    let curve: Vec<String> = samples
        .iter()
        .step_by(step)
        .map(|(t, k)| format!("{t:.0}s:{:.0}", mib(*k)))
        .collect();
    println!("  RSS MiB over time: {}", curve.join(" "));
    println!(
        "RESULT rss warm_mib={:.1} end_mib={:.1} last_mib={:.1} peak_mib={:.1} growth_pct={:.2} warmup_s={:.0} samples={}",
        mib(g.warm_kib),
        mib(g.end_kib),
        mib(g.last_kib),
        mib(g.peak_kib),
        g.growth_pct,
        g.warmup_s,
        samples.len()
    );
}
