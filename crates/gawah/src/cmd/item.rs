//! `gawah item show`.

use anyhow::{Context, Result, bail};
use gawah_core::{Action, ItemId, LogEntry};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, RecordWrite};
use serde_json::json;

use super::{keys, open_ledger};
use crate::Outcome;
use crate::cli::{Global, ItemCommand};
use crate::output::json_line;

pub fn run(g: &Global, cmd: ItemCommand) -> Result<Outcome> {
    let ItemCommand::Show { id, confidential } = cmd;
    let id: ItemId = id.parse().context("bad item id")?;
    let ledger = if confidential {
        keys::open_unlocked(g, OpenMode::Checked)?
    } else {
        open_ledger(g, OpenMode::Checked)?
    };
    let Some(item) = ledger.store.item(&id)? else {
        bail!("no item {id}");
    };
    // The file name (and a confidential item's hash and salt) are sealed: opened only on
    // request, and the read is logged first.
    let meta = if confidential {
        let meta = ledger.open_meta(&item)?;
        let entry = LogEntry::new(
            ledger.clock().now(),
            ledger.actor(),
            Action::View,
            id.as_str(),
        )
        .with_field("part", "confidential");
        ledger.commit(&[Change {
            record: RecordWrite::None,
            entry,
        }])?;
        Some(meta)
    } else {
        None
    };
    let file_name = meta.as_ref().and_then(|m| m.file_name.clone());
    let sha256 = item
        .sha256
        .map(|h| h.to_hex())
        .or_else(|| meta.as_ref().and_then(|m| m.sha256.clone()));
    let salt = item
        .salt
        .as_ref()
        .map(|s| s.to_hex())
        .or_else(|| meta.as_ref().and_then(|m| m.salt.clone()));
    let custody = ledger.store.custody(id.as_str())?;
    // The commitment is public: it is the intake entry's.
    let commitment = LogEntry::parse(&ledger.store.entry(item.log_index)?)
        .ok()
        .and_then(|e| e.commitment)
        .map(|c| c.to_hex());
    if g.json {
        let custody: Vec<_> = custody
            .iter()
            .map(|c| json!({"log_index": c.log_index, "action": c.action, "actor": c.actor, "time": c.time.to_rfc3339()}))
            .collect();
        json_line(&json!({
            "item": item.id.as_str(),
            "sha256": sha256,
            "bytes": item.bytes,
            "log_index": item.log_index,
            "case": item.case_ref,
            "file_name": file_name,
            "created_at": item.created_at.to_rfc3339(),
            "salt": salt,
            "commitment": commitment,
            "confidential": item.sha256.is_none(),
            "sealed_blob": item.blob_sealed(),
            // Where the stored bytes are: the original's SHA-256, or `blake3-<hex>` of the
            // sealed bytes (no keys needed to check it).
            "blob": item.blob.to_string(),
            "custody": custody,
        }))?;
    } else {
        println!("item       {}", item.id);
        println!(
            "sha256     {}",
            sha256
                .as_deref()
                .unwrap_or("(confidential: --confidential shows it)")
        );
        println!("bytes      {}", item.bytes);
        println!("case       {}", item.case_ref.as_deref().unwrap_or("-"));
        match &file_name {
            Some(name) => println!("file name  {name}"),
            None if confidential => println!("file name  -"),
            None => {
                println!("file name  (confidential: --confidential shows it; the read is logged)")
            }
        }
        println!("received   {}", item.created_at);
        println!("log index  {}", item.log_index);
        println!("custody:");
        for c in custody {
            println!(
                "  #{:<8} {}  {:<10} by {}",
                c.log_index, c.time, c.action, c.actor
            );
        }
    }
    Ok(Outcome::Ok)
}
