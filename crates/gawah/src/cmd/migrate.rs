//! `gawah migrate-store`: records and blobs moved to another backend, verified, and only
//! then the data dir pointed at them (`gawah_store::migrate`).

use anyhow::Result;
use gawah_store::DataDir;
use gawah_store::migrate::{Destination, migrate_data_dir};
use serde_json::json;

use super::data_dir;
use crate::Outcome;
use crate::cli::Global;
use crate::output::json_line;

pub fn run(g: &Global, database: &str, blob: &str) -> Result<Outcome> {
    let path = data_dir(g)?;
    let dir = DataDir::open(path)?;
    let to = Destination::parse(&dir, database, blob)?;
    drop(dir);
    let done = migrate_data_dir(path, &to)?;
    let rows: u64 = done.tables.iter().map(|(_, n)| n).sum();
    if g.json {
        let tables: serde_json::Map<String, serde_json::Value> = done
            .tables
            .iter()
            .map(|(t, n)| ((*t).to_owned(), json!(n)))
            .collect();
        json_line(&json!({
            "ok": true,
            "from": done.from,
            "to": done.to,
            "rows": rows,
            "tables": tables,
            "blobs_copied": done.blobs.copied,
            "blobs_skipped": done.blobs.skipped,
            "blob_bytes": done.blobs.bytes,
            "size": done.size,
            "items": done.items,
            "old_config": done.old_config,
        }))?;
    } else {
        println!(
            "migrated {} to {}: {rows} rows in {} tables, {} blobs copied ({} bytes), {} already there",
            done.from,
            done.to,
            done.tables.len(),
            done.blobs.copied,
            done.blobs.bytes,
            done.blobs.skipped
        );
        println!(
            "verified: {} entries, {} items; gawah.toml now points at the target (the old one is {})",
            done.size,
            done.items,
            done.old_config.display()
        );
    }
    Ok(Outcome::Ok)
}
