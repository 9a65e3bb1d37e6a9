//! `gawah search` and `gawah index rebuild`.

use anyhow::{Context, Result};
use gawah_search::{SearchIndex, SearchQuery, Sort};
use gawah_store::search::{rebuild_index, sync_index};
use gawah_store::sqlite::OpenMode;
use gawah_store::{DataDir, Ledger};
use serde_json::json;

use super::{data_dir, find_org, open_ledger};
use crate::Outcome;
use crate::cli::{Global, IndexCommand, SearchArgs};
use crate::output::json_line;

/// Opens the ledger and the index of the data dir named on the command line.
fn open(g: &Global) -> Result<(Ledger, SearchIndex)> {
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let dir = DataDir::open(data_dir(g)?)?;
    let index = dir
        .search_index()
        .with_context(|| format!("search index in {}", dir.index_path().display()))?;
    Ok((ledger, index))
}

/// Answers a query over one organisation's incidents, after bringing the index up to date.
pub fn search(g: &Global, args: SearchArgs) -> Result<Outcome> {
    let (ledger, index) = open(g)?;
    let org = find_org(&ledger, &args.org)?;
    if let Err(e) = sync_index(ledger.store.as_ref(), &index) {
        // Another process is writing the index: answer from what it holds, and say so.
        eprintln!("note: the index may be behind the database ({e})");
    }
    let query = SearchQuery {
        org: org.id.to_string(),
        text: args.query.join(" "),
        province: args.province,
        violation_type: args.r#type,
        perpetrator: args.perpetrator,
        edict: args.edict,
        status: args.status,
        reliability: args.reliability,
        language: args.language,
        from: args.from,
        to: args.to,
        sort: match args.sort.as_str() {
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            _ => Sort::Relevance,
        },
        offset: args.offset,
        limit: usize::try_from(args.limit).unwrap_or(usize::MAX),
    };
    let results = index.search(&query)?;
    if g.json {
        json_line(&gawah_web::search::results_json(&results))?;
    } else {
        println!("{} incidents", results.total);
        for h in &results.hits {
            println!(
                "{}  {}  {}  {}  {}",
                h.id,
                h.reference.as_deref().unwrap_or("-"),
                h.date,
                h.province,
                h.title
            );
        }
    }
    Ok(Outcome::Ok)
}

/// `gawah index ...`.
pub fn index(g: &Global, cmd: IndexCommand) -> Result<Outcome> {
    let IndexCommand::Rebuild = cmd;
    let (ledger, index) = open(g)?;
    let started = std::time::Instant::now();
    let n = rebuild_index(ledger.store.as_ref(), &index)?;
    let seconds = started.elapsed().as_secs_f64();
    if g.json {
        json_line(&json!({"incidents": n, "seconds": seconds}))?;
    } else {
        eprintln!("indexed {n} incidents in {seconds:.1} s");
    }
    Ok(Outcome::Ok)
}
