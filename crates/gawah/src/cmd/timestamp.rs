//! `gawah log timestamp`, and the timestamp a bundle carries.
//!
//! A token is asked for the latest checkpoint (the head is signed first if it has none),
//! checked (granted, SHA-256 of the checkpoint's text, our nonce) and kept in the store's
//! `checkpoint_timestamps` table; it is not a log entry (see `gawah_store::timestamps`).
//! Which authority: `--tsa-url`, else `GAWAH_TSA_URL`, else `tsa_url` in `gawah.toml`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine;
use gawah_store::store::StoredCheckpoint;
use gawah_store::timestamp::TsaClient;
use gawah_store::timestamps::{StoredTimestamp, TimestampStore, checkpoint_text, stamp_checkpoint};
use gawah_store::{DataDir, Ledger};
use serde_json::json;

use crate::Outcome;
use crate::cli::Global;
use crate::output::json_line;

/// The environment variable that overrides `tsa_url` in `gawah.toml`.
pub const TSA_ENV: &str = "GAWAH_TSA_URL";

/// The authority to ask: `flag`, else `GAWAH_TSA_URL`, else the config's `tsa_url`.
pub fn tsa_url(g: &Global, flag: Option<&str>) -> Result<Option<String>> {
    if let Some(f) = flag {
        return Ok(Some(f.to_owned()));
    }
    if let Ok(v) = std::env::var(TSA_ENV)
        && !v.is_empty()
    {
        return Ok(Some(v));
    }
    Ok(DataDir::open(super::data_dir(g)?)?.config.tsa_url)
}

/// Writes `bytes` to a new file (an existing one is not overwritten).
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("create {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("write {}", path.display()))
}

/// `gawah log timestamp [--tsa-url URL] [--out FILE.tsr] [--text FILE.txt]`.
pub fn run(
    g: &Global,
    ledger: &Ledger,
    flag: Option<&str>,
    out: Option<&Path>,
    text_out: Option<&Path>,
) -> Result<Outcome> {
    let url = tsa_url(g, flag)?.context(
        "no timestamp authority: pass --tsa-url URL, set GAWAH_TSA_URL, or give `gawah init --tsa-url URL`",
    )?;
    let client = TsaClient::new(&url)?;
    let cp = ledger.checkpoint()?;
    let store: &dyn TimestampStore = ledger.store.as_ref();
    let (t, new) = stamp_checkpoint(store, &cp, &client, ledger.clock().now())
        .with_context(|| format!("no timestamp for the checkpoint at size {}", cp.size))?;
    if let Some(p) = out {
        write_new(p, &t.response)?;
    }
    if let Some(p) = text_out {
        write_new(p, checkpoint_text(&cp)?.as_bytes())?;
    }
    let db = gawah_store::DataDir::open(super::data_dir(g)?)?.describe_database();
    if g.json {
        json_line(&json!({
            "size": t.size,
            "root": base64::engine::general_purpose::STANDARD.encode(t.root),
            "gen_time": t.gen_time,
            "tsa_url": t.tsa_url,
            "new": new,
            "stored": format!("{db} (table checkpoint_timestamps)"),
        }))?;
    } else {
        let how = if new { "stamped" } else { "already stamped" };
        println!(
            "checkpoint at size {} {how} by {} at {} (genTime)",
            t.size, t.tsa_url, t.gen_time
        );
        println!(
            "stored in {db} (table checkpoint_timestamps); bundles of this checkpoint carry it as log/timestamp.tsr"
        );
    }
    Ok(Outcome::Ok)
}

/// The token a bundle of `cp` carries: the first one kept for its size, else (when an
/// authority is configured) a new one. An authority that fails leaves the bundle without a
/// timestamp, with a warning: the bundle proves everything else without it.
pub fn for_bundle(
    g: &Global,
    ledger: &Ledger,
    cp: &StoredCheckpoint,
) -> Result<Option<StoredTimestamp>> {
    let store: &dyn TimestampStore = ledger.store.as_ref();
    if let Some(t) = store.timestamps_at(cp.size)?.into_iter().next() {
        return Ok(Some(t));
    }
    let Some(url) = tsa_url(g, None)? else {
        return Ok(None);
    };
    let stamped = TsaClient::new(&url)
        .map_err(Into::into)
        .and_then(|c| stamp_checkpoint(store, cp, &c, ledger.clock().now()));
    match stamped {
        Ok((t, _)) => Ok(Some(t)),
        Err(e) => {
            eprintln!("gawah: warning: the bundle has no timestamp: {e}");
            Ok(None)
        }
    }
}
