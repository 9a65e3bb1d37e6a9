//! Acknowledgements: every upload and every incident creation a server answered with 201,
//! written to a file during the run and checked against the data dir once the servers have
//! stopped. A 201 promises that the work is durable and logged; the throughput only counts
//! if the promise holds.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use gawah_core::ItemId;
use gawah_store::Store;
use gawah_store::sqlite::OpenMode;

/// What was acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An evidence upload: an item, logged as `intake`.
    Upload,
    /// An incident: a record, logged as `create`.
    Incident,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Upload => "upload",
            Kind::Incident => "incident",
        }
    }

    /// The action of the log entry the write appends.
    fn action(self) -> &'static str {
        match self {
            Kind::Upload => "intake",
            Kind::Incident => "create",
        }
    }
}

/// One acknowledged write, as the server's answer named it.
#[derive(Clone, Debug)]
pub struct Ack {
    pub kind: Kind,
    pub id: String,
    /// Hex SHA-256 of the bytes sent (`-` for an incident).
    pub sha256: String,
    pub bytes: u64,
    pub log_index: u64,
}

/// Appends one line per acknowledgement: `kind id sha256 bytes log_index`, then fsyncs.
pub fn append(path: &Path, acks: &[Ack]) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut out = std::io::BufWriter::new(file);
    for a in acks {
        let kind = a.kind.name();
        writeln!(
            out,
            "{kind} {} {} {} {}",
            a.id, a.sha256, a.bytes, a.log_index
        )?;
    }
    out.flush()?;
    out.get_ref().sync_all()
}

fn read(path: &Path) -> Result<Vec<Ack>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .map(|line| {
            let bad = || format!("bad line {line:?} in {}", path.display());
            let f: Vec<&str> = line.split(' ').collect();
            let [kind, id, sha256, bytes, log_index] = f.as_slice() else {
                return Err(bad());
            };
            let kind = match *kind {
                "upload" => Kind::Upload,
                "incident" => Kind::Incident,
                _ => return Err(bad()),
            };
            Ok(Ack {
                kind,
                id: (*id).to_owned(),
                sha256: (*sha256).to_owned(),
                bytes: bytes.parse().map_err(|_| bad())?,
                log_index: log_index.parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

/// Why one acknowledgement does not hold: the entry at its index must be its write (the
/// right action, naming it), and an upload's item must be stored with the acknowledged
/// SHA-256, size and index.
fn check_one<S: Store + ?Sized>(store: &S, a: &Ack) -> Result<(), String> {
    let entry = store.entry(a.log_index).map_err(|e| e.to_string())?;
    let entry: serde_json::Value =
        serde_json::from_slice(&entry).map_err(|e| format!("log entry: {e}"))?;
    if entry["subject"].as_str() != Some(a.id.as_str()) || entry["action"] != a.kind.action() {
        return Err(format!("log entry {} is {entry}", a.log_index));
    }
    if a.kind == Kind::Incident {
        return Ok(());
    }
    let id: ItemId = a.id.parse().map_err(|_| "not an item id".to_owned())?;
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
    Ok(())
}

/// Checks every acknowledgement in `acks` against the data dir's store (SQLite or
/// PostgreSQL, as its `gawah.toml` says), and that no two share a log index. Prints a
/// `RESULT check` line; returns whether all hold.
pub fn check(acks: &Path, data_dir: &Path) -> Result<bool, String> {
    let acks = read(acks)?;
    let store = gawah_store::DataDir::open(data_dir)
        .and_then(|d| d.database(OpenMode::Audit))
        .map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let mut failed = 0u64;
    let mut seen = HashSet::new();
    for a in &acks {
        let why = if seen.insert(a.log_index) {
            check_one(&*store, a).err()
        } else {
            Some("another acknowledgement has this log index".to_owned())
        };
        if let Some(why) = why {
            failed += 1;
            if failed <= 10 {
                println!(
                    "LOST {} {} (log index {}): {why}",
                    a.kind.name(),
                    a.id,
                    a.log_index
                );
            }
        }
    }
    let uploads = acks.iter().filter(|a| a.kind == Kind::Upload).count();
    println!(
        "RESULT check acknowledged={} uploads={uploads} incidents={} ok={} lost={failed}",
        acks.len(),
        acks.len() - uploads,
        acks.len() as u64 - failed
    );
    Ok(failed == 0)
}
