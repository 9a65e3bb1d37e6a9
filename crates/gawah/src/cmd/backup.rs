//! `gawah backup` and `gawah restore` (`gawah_store::migrate::{backup, restore}`).

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use super::data_dir;
use crate::Outcome;
use crate::cli::Global;
use crate::output::json_line;

pub fn backup(g: &Global, out: &Path) -> Result<Outcome> {
    let manifest = gawah_store::migrate::backup(data_dir(g)?, out)?;
    let bytes: u64 = manifest.blobs.iter().map(|b| b.bytes).sum();
    if g.json {
        json_line(&json!({
            "backup": out,
            "origin": manifest.origin,
            "size": manifest.head.size,
            "root": manifest.head.root,
            "checkpoint": manifest.checkpoint,
            "blobs": manifest.blobs.len(),
            "blob_bytes": bytes,
        }))?;
    } else {
        println!(
            "backup of {} at size {} written to {}: {} blobs ({bytes} bytes)",
            manifest.origin,
            manifest.head.size,
            out.display(),
            manifest.blobs.len()
        );
        eprintln!("note: the backup holds the log's signing key; keep it as safe as the server");
    }
    Ok(Outcome::Ok)
}

pub fn restore(g: &Global, from: &Path, checkpoint: Option<&Path>) -> Result<Outcome> {
    let to = data_dir(g)?;
    let trusted = checkpoint
        .map(|p| {
            std::fs::read_to_string(p)
                .with_context(|| format!("read the trusted checkpoint {}", p.display()))
        })
        .transpose()?;
    let restored = gawah_store::migrate::restore(from, to, trusted.as_deref())?;
    if g.json {
        json_line(&json!({
            "ok": restored.ok(),
            "data_dir": to,
            "size": restored.manifest.head.size,
            "entries": restored.entries,
            "items": restored.items,
            "trusted_size": restored.trusted_size,
            "problems": restored.problems,
        }))?;
    } else {
        for p in &restored.problems {
            println!("FAIL {p}");
        }
        if restored.ok() {
            println!(
                "restored {} into {}: {} entries and {} items verified{}",
                restored.manifest.origin,
                to.display(),
                restored.entries,
                restored.items,
                restored.trusted_size.map_or(String::new(), |s| format!(
                    "; consistent with the trusted checkpoint at size {s}"
                ))
            );
        } else {
            println!("FAILED: nothing was restored at {}", to.display());
        }
    }
    Ok(if restored.ok() {
        Outcome::Ok
    } else {
        Outcome::VerifyFailed
    })
}
