//! `baseline-inproc`: the list query run directly on the store in this process, one at a
//! time, at the same kind of random offsets as the HTTP list phase: what the query costs
//! without HTTP, authentication or rendering.

use std::path::Path;
use std::time::Instant;

use gawah_store::RecordStore;
use gawah_store::records::IncidentQuery;
use gawah_store::sqlite::OpenMode;

use crate::kinds::Rng;
use crate::tally::Percentiles;

/// p50 and p99 in ms.
pub struct Baseline {
    pub p50: f64,
    pub p99: f64,
}

/// Runs `n` list queries of `limit` rows at random pages of `pages` in organisation `org`.
pub fn run(
    dir: &Path,
    org: &str,
    n: u64,
    limit: u64,
    total: u64,
    pages: u64,
    seed: u64,
) -> Baseline {
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
    let n = n.clamp(1, 5_000);
    let mut rng = Rng(seed ^ 0x5EED);
    let mut lat = Vec::with_capacity(n as usize);
    let t0 = Instant::now();
    for _ in 0..n {
        let q = IncidentQuery {
            province: None,
            offset: rng.below(pages) * limit,
            limit,
            // As the API list asks (the HTML list reads the index alone: less work).
            content: true,
        };
        let at = Instant::now();
        let (rows, count) = store.incidents(&org, &q).unwrap_or_else(|e| {
            eprintln!("load: in-process list failed: {e}");
            std::process::exit(1)
        });
        lat.push(at.elapsed().as_micros() as u64);
        if count != total || rows.is_empty() {
            eprintln!(
                "load: the in-process list is wrong ({count} of {total}, {} rows)",
                rows.len()
            );
            std::process::exit(1)
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let p = Percentiles::of(&mut lat);
    println!(
        "baseline-inproc: {n} list queries on the store in this process, one at a time, {:.0} queries/s",
        n as f64 / wall
    );
    println!(
        "  latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        p.p50, p.p95, p.p99, p.max
    );
    println!(
        "RESULT baseline-inproc requests={n} p50_ms={:.3} p95_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        p.p50, p.p95, p.p99, p.max
    );
    Baseline {
        p50: p.p50,
        p99: p.p99,
    }
}
