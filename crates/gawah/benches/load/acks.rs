//! Acknowledged uploads: written to a file during the run, and checked against the data dir
//! once the server has stopped. An acknowledgement is a promise that the file is durable
//! and logged; this is where the promise is held to.

use std::io::Write;
use std::path::Path;

use gawah_core::ItemId;
use gawah_store::Store;
use gawah_store::sqlite::OpenMode;

use crate::tally::Ack;

/// Writes one line per acknowledged upload: `item sha256 bytes log_index`.
pub fn write(path: &Path, acks: &[Ack]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for a in acks {
        writeln!(out, "{} {} {} {}", a.item, a.sha256, a.bytes, a.log_index)?;
    }
    out.flush()?;
    out.get_ref().sync_all()
}

fn read(path: &Path) -> Result<Vec<Ack>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            let bad = || format!("bad line {line:?} in {}", path.display());
            match f.as_slice() {
                [item, sha256, bytes, log_index] => Ok(Ack {
                    item: (*item).to_owned(),
                    sha256: (*sha256).to_owned(),
                    bytes: bytes.parse().map_err(|_| bad())?,
                    log_index: log_index.parse().map_err(|_| bad())?,
                }),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// Why one acknowledged upload does not hold.
fn check_one(store: &dyn Store, a: &Ack) -> Result<(), String> {
    let id: ItemId = a.item.parse().map_err(|_| "not an item id".to_owned())?;
    let item = store
        .item(&id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no such item".to_owned())?;
    let sha256 = item.sha256.map(|h| h.to_hex()).unwrap_or_default();
    if sha256 != a.sha256 || item.bytes != a.bytes || item.log_index != a.log_index {
        return Err(format!(
            "stored as {sha256} {} bytes at log index {}",
            item.bytes, item.log_index
        ));
    }
    let entry = store.entry(a.log_index).map_err(|e| e.to_string())?;
    let entry: serde_json::Value =
        serde_json::from_slice(&entry).map_err(|e| format!("log entry: {e}"))?;
    if entry["subject"].as_str() != Some(a.item.as_str()) || entry["action"] != "intake" {
        return Err(format!("log entry {} is {entry}", a.log_index));
    }
    Ok(())
}

/// Checks every acknowledged upload in `acks` against the data dir: the item is stored with
/// the acknowledged SHA-256, size and log index, and that log entry is its intake. Prints a
/// `RESULT uploads-check` line; returns whether all hold.
pub fn check(acks: &Path, data_dir: &Path) -> Result<bool, String> {
    let acks = read(acks)?;
    let store = gawah_store::DataDir::open(data_dir)
        .and_then(|d| d.store(OpenMode::Audit))
        .map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let mut failed = 0u64;
    for a in &acks {
        if let Err(why) = check_one(&store, a) {
            failed += 1;
            if failed <= 10 {
                println!("LOST upload {} (log index {}): {why}", a.item, a.log_index);
            }
        }
    }
    println!(
        "acknowledged uploads: {}, stored and logged as acknowledged: {}, lost or different: {failed}",
        acks.len(),
        acks.len() as u64 - failed
    );
    println!(
        "RESULT uploads-check acknowledged={} ok={} lost={failed}",
        acks.len(),
        acks.len() as u64 - failed
    );
    Ok(failed == 0)
}
