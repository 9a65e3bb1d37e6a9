//! The baseline: SQLite FTS5 over the same title and description, with facet columns.
//!
//! Tokenizer `porter unicode61 remove_diacritics 2`: English stemming and Latin diacritics
//! folding, the best FTS5 offers out of the box. No Arabic-script folding exists in FTS5.
//! Facets are single-valued columns (the first violation type and perpetrator), seven in all:
//! less work than the tantivy side's eight facets, three of them multi-valued.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use gawah_search::IncidentDoc;
use rusqlite::{Connection, params};

/// Facet columns of the `incidents` table.
pub const FACETS: [&str; 7] = [
    "province",
    "vtype",
    "perpetrator",
    "status",
    "reliability",
    "language",
    "year",
];

/// The result of one faceted search, for comparing the amount of work.
#[derive(Debug, Default)]
pub struct Found {
    pub total: u64,
    pub hits: Vec<(i64, String)>,
}

/// Build the database at `path` from `docs`; the row id is the position in `docs` plus one.
pub fn build(path: &Path, docs: &[IncidentDoc]) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;
         CREATE TABLE incidents(id INTEGER PRIMARY KEY, province TEXT, vtype TEXT,
             perpetrator TEXT, status TEXT, reliability TEXT, language TEXT, year TEXT);
         CREATE VIRTUAL TABLE fts USING fts5(title, description,
             tokenize='porter unicode61 remove_diacritics 2');",
    )?;
    let tx = conn.unchecked_transaction()?;
    {
        let mut row = tx.prepare(
            "INSERT INTO incidents(id, province, vtype, perpetrator, status, reliability,
             language, year) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut text =
            tx.prepare("INSERT INTO fts(rowid, title, description) VALUES (?1, ?2, ?3)")?;
        for (i, d) in docs.iter().enumerate() {
            let id = i as i64 + 1;
            let language = gawah_search::detect_language(&format!("{} {}", d.title, d.description));
            row.execute(params![
                id,
                d.province,
                d.violation_types.first(),
                d.perpetrators.first(),
                d.verification_status,
                d.source_reliability,
                language,
                d.date.get(..4),
            ])?;
            text.execute(params![id, d.title, d.description])?;
        }
    }
    tx.commit()?;
    conn.execute("INSERT INTO fts(fts) VALUES('optimize')", [])?;
    Ok(conn)
}

/// FTS5 is compiled into the bundled SQLite.
pub fn has_fts5(conn: &Connection) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare("PRAGMA compile_options")?;
    let options: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(options.iter().any(|o| o == "ENABLE_FTS5"))
}

/// As the brief describes it: one MATCH for the page (best 20 by bm25), then one MATCH with
/// GROUP BY per facet column; the total is the sum of the province counts.
pub fn search_group_by(conn: &Connection, fts: &str, province: &str) -> rusqlite::Result<Found> {
    let mut page = conn.prepare_cached(
        "SELECT fts.rowid, fts.title FROM fts JOIN incidents i ON i.id = fts.rowid
         WHERE fts MATCH ?1 AND i.province = ?2 ORDER BY bm25(fts) LIMIT 20",
    )?;
    let hits = page
        .query_map(params![fts, province], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut total = 0;
    for facet in FACETS {
        let sql = format!(
            "SELECT i.{facet}, count(*) FROM fts JOIN incidents i ON i.id = fts.rowid
             WHERE fts MATCH ?1 AND i.province = ?2 GROUP BY i.{facet}"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut counts = BTreeMap::new();
        let mut rows = stmt.query(params![fts, province])?;
        while let Some(r) = rows.next()? {
            counts.insert(r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)? as u64);
        }
        if facet == "province" {
            total = counts.values().sum();
        }
    }
    Ok(Found { total, hits })
}

/// The fastest way found: one MATCH reading every match's facet columns and bm25, counted in
/// Rust, keeping the best 20, whose titles are read afterwards.
/// Without a province, no filter.
pub fn search_one_pass(
    conn: &Connection,
    fts: &str,
    province: Option<&str>,
) -> rusqlite::Result<Found> {
    let mut stmt = conn.prepare_cached(
        "SELECT fts.rowid, bm25(fts), i.province, i.vtype, i.perpetrator, i.status,
             i.reliability, i.language, i.year
         FROM fts JOIN incidents i ON i.id = fts.rowid
         WHERE fts MATCH ?1 AND (?2 IS NULL OR i.province = ?2)",
    )?;
    let mut counts: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); FACETS.len()];
    let mut best: Vec<(f64, i64)> = Vec::with_capacity(21);
    let mut total = 0;
    let mut rows = stmt.query(params![fts, province])?;
    while let Some(r) = rows.next()? {
        total += 1;
        let (rowid, score): (i64, f64) = (r.get(0)?, r.get(1)?);
        for (k, count) in counts.iter_mut().enumerate() {
            if let Some(value) = r.get_ref(k + 2)?.as_str_or_null()? {
                *count.entry(value.to_owned()).or_default() += 1;
            }
        }
        // bm25() is smaller for better matches.
        if best.len() < 20 || score < best[best.len() - 1].0 {
            let at = best.partition_point(|b| b.0 <= score);
            best.insert(at, (score, rowid));
            best.truncate(20);
        }
    }
    let mut title = conn.prepare_cached("SELECT title FROM fts WHERE rowid = ?1")?;
    let hits = best
        .into_iter()
        .map(|(_, rowid)| Ok((rowid, title.query_row([rowid], |r| r.get(0))?)))
        .collect::<rusqlite::Result<_>>()?;
    Ok(Found { total, hits })
}

/// Row ids of every incident matching `fts`, for recall.
pub fn all_matches(conn: &Connection, fts: &str) -> rusqlite::Result<HashSet<u32>> {
    let mut stmt = conn.prepare_cached("SELECT rowid FROM fts WHERE fts MATCH ?1")?;
    let ids = stmt.query_map([fts], |r| r.get::<_, u32>(0))?;
    ids.collect()
}

/// The FTS5 query for search text: every word and `"phrase"` quoted, so nothing is syntax.
pub fn match_expression(text: &str) -> String {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        let (part, after) = match rest.strip_prefix('"') {
            Some(inner) => inner.split_once('"').unwrap_or((inner, "")),
            None => rest.split_once(char::is_whitespace).unwrap_or((rest, "")),
        };
        out.push(format!("\"{}\"", part.replace('"', "")));
        rest = after;
    }
    out.join(" ")
}
