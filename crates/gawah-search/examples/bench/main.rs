//! Search benchmark: gawah-search (tantivy) beside SQLite FTS5, same incidents, same queries,
//! same run. Run through `scripts/bench-search.sh`; alone:
//!
//! ```sh
//! cargo run --release -p gawah-search --example bench -- --incidents 1000000
//! ```
//!
//! Measures: index build (documents per second), faceted queries (text + a province filter +
//! facet counts + the best 20 hits; p50 and p99 over every query of every round), and recall
//! on spelling variants (canonical Dari and Pashto words against the incidents whose text,
//! before variants were applied, holds the word). Nothing is asserted.

mod fts5;

use std::collections::HashSet;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gawah_demo::synthetic::{SyntheticIncident, canonical_incidents, incidents};
use gawah_search::{IncidentDoc, MAX_WINDOW, SearchIndex, SearchQuery};

/// Search texts of the latency set, each run with a province filter.
const QUERIES: [&str; 30] = [
    "school",
    "university students",
    "checkpoint",
    "park",
    "radio",
    "clinic guardian",
    "salon",
    "flogged",
    "\"male guardian\"",
    "protest",
    "مکتب",
    "پوهنتون",
    "محرم",
    "پارک",
    "رادیو",
    "کلینیک",
    "آرایشگاه",
    "بازداشت زنان",
    "شلاق",
    "\"امر به معروف\"",
    "ښوونځي",
    "محصلینې",
    "محرمه",
    "ښځې",
    "راډیو",
    "کلینیک ښځې",
    "سینګارتون",
    "لاریون",
    "جریمه",
    "ښاروالۍ",
];

/// Canonical Dari and Pashto words that the corpus's spelling variants change: ZWNJ (space or
/// dropped), yeh and kaf, heh with hamza, digits.
const VARIANT_WORDS: [&str; 18] = [
    "می‌گوید",
    "مکتب",
    "کارمند",
    "ولسوالی‌های",
    "پارک‌ها",
    "متوسطهٔ",
    "دروازهٔ",
    "کلینیک",
    "یک",
    "بازرسی",
    "نمی‌توانست",
    "2022",
    "کې",
    "ښځینه",
    "سیمه‌ییزې",
    "یوې",
    "چلوونکی",
    "تاییدوي",
];

const ORG: &str = "bench";
const STATUSES: [&str; 3] = ["unverified", "partially_verified", "verified"];

struct Args {
    incidents: usize,
    rounds: usize,
    seed: u64,
    scratch: PathBuf,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        incidents: 1_000_000,
        rounds: 10,
        seed: 2026,
        scratch: std::env::temp_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--incidents" => a.incidents = value.replace(['_', ','], "").parse()?,
            "--rounds" => a.rounds = value.parse()?,
            "--seed" => a.seed = value.parse()?,
            "--scratch" => a.scratch = value.into(),
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(a)
}

fn doc(i: &SyntheticIncident, seq: u64) -> IncidentDoc {
    IncidentDoc {
        id: i.r#ref.clone(),
        org: ORG.to_owned(),
        reference: Some(i.r#ref.clone()),
        title: i.title.clone(),
        description: i.description.clone(),
        date: i.date.clone(),
        province: i.province.clone(),
        violation_types: i.violation_types.clone(),
        perpetrators: vec![i.perpetrator.clone()],
        edicts: i.edicts.clone(),
        verification_status: i.verification_status.to_owned(),
        source_reliability: Some(i.source_reliability.to_string()),
        source_credibility: Some(i.source_credibility),
        seq,
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let a = args()?;
    let scratch = a
        .scratch
        .join(format!("gawah-search-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = run(&a, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run(a: &Args, scratch: &Path) -> Result<(), Box<dyn Error>> {
    let n = a.incidents;
    println!(
        "gawah-search bench: {n} incidents, seed {}, {} rounds",
        a.seed, a.rounds
    );
    let start = Instant::now();
    let docs: Vec<IncidentDoc> = incidents(a.seed, n)
        .enumerate()
        .map(|(i, s)| doc(&s, i as u64 + 1))
        .collect();
    println!("generated in {:.1} s", secs(start.elapsed()));

    let tantivy_dir = scratch.join("tantivy");
    let index = SearchIndex::open(&tantivy_dir)?;
    let start = Instant::now();
    index.rebuild(docs.iter().cloned(), n as u64)?;
    let tantivy_build = start.elapsed();
    let start = Instant::now();
    let conn = fts5::build(&scratch.join("fts5.sqlite"), &docs)?;
    let fts_build = start.elapsed();
    if !fts5::has_fts5(&conn)? {
        return Err("the bundled SQLite lacks FTS5".into());
    }
    let rate = |d: Duration| n as f64 / secs(d);
    println!("\n## Build\n");
    println!("| engine | time | docs/s | size on disk |\n|---|---|---|---|");
    println!(
        "| gawah-search (tantivy) | {:.1} s | {:.0} | {} MiB |",
        secs(tantivy_build),
        rate(tantivy_build),
        size(&tantivy_dir) >> 20
    );
    println!(
        "| SQLite FTS5 | {:.1} s | {:.0} | {} MiB |",
        secs(fts_build),
        rate(fts_build),
        size(&scratch.join("fts5.sqlite")) >> 20
    );
    println!(
        "tantivy/FTS5 build speed: {:.2}x",
        secs(fts_build) / secs(tantivy_build)
    );
    drop(docs);

    latency(a, &index, &conn)?;
    broad(a, &index, &conn)?;
    recall(a, &index, &conn)?;
    Ok(())
}

fn latency(
    a: &Args,
    index: &SearchIndex,
    conn: &rusqlite::Connection,
) -> Result<(), Box<dyn Error>> {
    let provinces: Vec<String> = gawah_demo::provinces()?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let cases: Vec<(&str, String, String)> = QUERIES
        .iter()
        .enumerate()
        .map(|(i, q)| {
            (
                *q,
                fts5::match_expression(q),
                provinces[(i * 7) % provinces.len()].clone(),
            )
        })
        .collect();
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut totals = [0u64; 3];
    let mut pages = [0usize; 3];
    for round in 0..=a.rounds {
        for (text, fts, province) in &cases {
            let q = SearchQuery {
                org: ORG.to_owned(),
                text: (*text).to_owned(),
                province: vec![province.clone()],
                limit: 20,
                ..SearchQuery::default()
            };
            let start = Instant::now();
            let found = index.search(&q)?;
            let t0 = start.elapsed();
            let start = Instant::now();
            let grouped = fts5::search_group_by(conn, fts, province)?;
            let t1 = start.elapsed();
            let start = Instant::now();
            let one_pass = fts5::search_one_pass(conn, fts, Some(province))?;
            let t2 = start.elapsed();
            if round == 0 {
                // Warm-up round: not timed; totals show both engines did comparable work.
                totals[0] += found.total;
                totals[1] += grouped.total;
                totals[2] += one_pass.total;
                pages[0] += found.hits.len();
                pages[1] += grouped.hits.len();
                pages[2] += one_pass.hits.len();
                continue;
            }
            for (k, t) in [t0, t1, t2].into_iter().enumerate() {
                times[k].push(t);
            }
        }
    }
    println!("\n## Faceted queries\n");
    println!(
        "{} texts x 1 province filter, {} rounds after one warm-up; matches per round: \
         tantivy {}, FTS5 {} and {}; hits returned: {:?}",
        cases.len(),
        a.rounds,
        totals[0],
        totals[1],
        totals[2],
        pages
    );
    println!("\n| engine | p50 | p99 | max |\n|---|---|---|---|");
    let names = [
        "gawah-search (tantivy)",
        "FTS5, GROUP BY per facet",
        "FTS5, one pass",
    ];
    let mut stats = Vec::new();
    for (name, samples) in names.iter().zip(times.iter_mut()) {
        samples.sort();
        let (p50, p99) = (percentile(samples, 50.0), percentile(samples, 99.0));
        let max = samples.last().copied().unwrap_or_default();
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(p50),
            ms(p99),
            ms(max)
        );
        stats.push((p50, p99));
    }
    let best = |k: usize| {
        if k == 0 {
            stats[1].0.min(stats[2].0)
        } else {
            stats[1].1.min(stats[2].1)
        }
    };
    println!(
        "\ntantivy vs the faster FTS5 variant: p50 {:.1}x faster, p99 {:.1}x faster",
        secs(best(0)) / secs(stats[0].0),
        secs(best(1)) / secs(stats[0].1)
    );
    Ok(())
}

/// The same texts without a filter: many more matches to count facets over. Not part of the
/// targets; shows the worst case. FTS5 in its faster variant only (the other takes seconds).
fn broad(a: &Args, index: &SearchIndex, conn: &rusqlite::Connection) -> Result<(), Box<dyn Error>> {
    let rounds = (a.rounds / 5).max(1);
    let mut times: [Vec<Duration>; 2] = Default::default();
    let mut totals = [0u64; 2];
    for round in 0..=rounds {
        for text in QUERIES {
            let q = SearchQuery {
                org: ORG.to_owned(),
                text: text.to_owned(),
                limit: 20,
                ..SearchQuery::default()
            };
            let start = Instant::now();
            let found = index.search(&q)?;
            let t0 = start.elapsed();
            let start = Instant::now();
            let one_pass = fts5::search_one_pass(conn, &fts5::match_expression(text), None)?;
            let t1 = start.elapsed();
            if round == 0 {
                totals[0] += found.total;
                totals[1] += one_pass.total;
            } else {
                times[0].push(t0);
                times[1].push(t1);
            }
        }
    }
    println!("\n## Broad queries (no filter; not a target)\n");
    println!(
        "{} texts, {rounds} rounds after one warm-up; matches per round: tantivy {}, FTS5 {}",
        QUERIES.len(),
        totals[0],
        totals[1]
    );
    println!("\n| engine | p50 | p99 | max |\n|---|---|---|---|");
    for (name, samples) in ["gawah-search (tantivy)", "FTS5, one pass"]
        .iter()
        .zip(times.iter_mut())
    {
        samples.sort();
        let max = samples.last().copied().unwrap_or_default();
        let (p50, p99) = (percentile(samples, 50.0), percentile(samples, 99.0));
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
    Ok(())
}

fn recall(
    a: &Args,
    index: &SearchIndex,
    conn: &rusqlite::Connection,
) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let mut truth: Vec<HashSet<u32>> = vec![HashSet::new(); VARIANT_WORDS.len()];
    for (i, incident) in canonical_incidents(a.seed, a.incidents).enumerate() {
        let text = format!("{} {}", incident.title, incident.description);
        let words: HashSet<&str> = text.split(|c: char| !is_word_char(c)).collect();
        for (k, word) in VARIANT_WORDS.iter().enumerate() {
            if words.contains(word) {
                truth[k].insert(i as u32 + 1);
            }
        }
    }
    println!("\n## Recall on spelling variants\n");
    println!(
        "ground truth from the un-varied text in {:.1} s",
        secs(start.elapsed())
    );
    println!(
        "\n| word | incidents with it | tantivy recall | tantivy precision | FTS5 recall | FTS5 precision |"
    );
    println!("|---|---|---|---|---|---|");
    let mut sums = [(0usize, 0usize, 0usize); 2];
    for (k, word) in VARIANT_WORDS.iter().enumerate() {
        let found = [
            all_ids(index, word)?,
            fts5::all_matches(conn, &fts5::match_expression(word))?,
        ];
        let mut cells = Vec::new();
        for (e, f) in found.iter().enumerate() {
            let hit = f.intersection(&truth[k]).count();
            sums[e] = (
                sums[e].0 + hit,
                sums[e].1 + truth[k].len(),
                sums[e].2 + f.len(),
            );
            cells.push(format!(
                "{} | {}",
                pct(hit, truth[k].len()),
                pct(hit, f.len())
            ));
        }
        println!(
            "| {word} | {} | {} | {} |",
            truth[k].len(),
            cells[0],
            cells[1]
        );
    }
    println!(
        "| **all** | {} | {} | {} | {} | {} |",
        sums[0].1,
        pct(sums[0].0, sums[0].1),
        pct(sums[0].0, sums[0].2),
        pct(sums[1].0, sums[1].1),
        pct(sums[1].0, sums[1].2)
    );
    Ok(())
}

/// Every incident matching `text`, paging through province x status (x year) partitions,
/// since one search returns at most `MAX_WINDOW` hits.
fn all_ids(index: &SearchIndex, text: &str) -> Result<HashSet<u32>, Box<dyn Error>> {
    let mut ids = HashSet::new();
    for province in gawah_demo::provinces()? {
        for status in STATUSES {
            let q = SearchQuery {
                org: ORG.to_owned(),
                text: text.to_owned(),
                province: vec![province.code.clone()],
                status: vec![status.to_owned()],
                limit: MAX_WINDOW,
                ..SearchQuery::default()
            };
            let results = index.search(&q)?;
            let parts = if results.total as usize <= MAX_WINDOW {
                vec![results]
            } else {
                (2021..=2025)
                    .map(|y| {
                        let year = Some(y.to_string());
                        let q = SearchQuery {
                            from: year.clone(),
                            to: year,
                            ..q.clone()
                        };
                        index.search(&q)
                    })
                    .collect::<Result<_, _>>()?
            };
            for part in parts {
                if part.total as usize > part.hits.len() {
                    return Err(format!("{text}: a partition has over {MAX_WINDOW} hits").into());
                }
                ids.extend(
                    part.hits
                        .iter()
                        .filter_map(|h| h.id.strip_prefix("SYN-")?.parse::<u32>().ok()),
                );
            }
        }
    }
    Ok(ids)
}

/// Letters, digits, ZWNJ and Arabic marks make words in the ground truth's split.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '\u{200C}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "n/a".to_owned();
    }
    format!("{:.1} %", 100.0 * part as f64 / whole as f64)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Bytes under `path` (a file or a folder).
fn size(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| size(&e.path())).sum())
            .unwrap_or(0)
    } else {
        let wal = path.with_extension("sqlite-wal");
        let own = std::fs::metadata(path).map_or(0, |m| m.len());
        own + std::fs::metadata(wal).map_or(0, |m| m.len())
    }
}
