//! `gawah import bundle [--key KEYFILE] FILE`: evidence from another organisation's instance.
//!
//! The bundle is verified first (with the sender's key if given, else with the key it carries,
//! which only proves it is internally consistent: compare that key with the one the sender
//! publishes). Then, in one transaction:
//! - the bundle itself becomes an item, byte for byte: it holds the sender's manifest
//!   (metadata, custody history) and proofs, which stay checkable with `gawah verify`;
//! - each of its files becomes an item with the same SHA-256, its intake entry naming the
//!   sender's item (`received_from`) and the bundle item (`bundle`);
//! - a `transfer` entry about the bundle item records the transfer.
//!
//! Everything received from a legal bundle is stored sealed (it may identify people); what a
//! public bundle holds is stored in the clear.

use std::path::Path;

use anyhow::{Context, Result, bail};
use gawah_bundle::{BundleReader, Limits, MANIFEST, Manifest, Policy, Purpose};
use gawah_core::{Action, LogEntry};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, IngestMeta, RecordWrite};
use serde_json::json;

use super::keys;
use crate::Outcome;
use crate::cli::Global;
use crate::output::json_line;

/// Imports a bundle; exit 1 (nothing written) if it does not verify.
pub fn import(g: &Global, file: &Path, key: Option<&Path>) -> Result<Outcome> {
    let limits = Limits::default();
    let mut reader = BundleReader::open(file, &limits)
        .with_context(|| format!("{} is not a readable bundle", file.display()))?;
    let manifest = Manifest::parse(&reader.read_bounded(MANIFEST, limits.max_json_bytes)?)
        .map_err(|e| anyhow::anyhow!("manifest.json: {e}"))?;
    let own_key = String::from_utf8(reader.read_bounded(gawah_bundle::KEY, 4096)?)
        .context("log/key is not text")?;
    let (key_text, key_source) = match key {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?,
            "the key you gave",
        ),
        None => (
            own_key.clone(),
            "the key the bundle carries (compare it with the sender's published key)",
        ),
    };
    let report = gawah_bundle::verify(file, key_text.trim(), None, &Policy::default())?;
    if !report.ok {
        eprint!("{report}");
        eprintln!("gawah: the bundle does not verify; nothing was imported");
        return Ok(Outcome::VerifyFailed);
    }
    let ledger = keys::open_unlocked(g, OpenMode::Checked)?;
    let confidential = manifest.purpose == Purpose::Legal;
    let mut batch = ledger.begin_batch()?;
    let meta = |file_name: Option<String>| IngestMeta {
        case_ref: Some(manifest.case.clone()),
        file_name,
        confidential,
    };
    let bundle_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut input = std::fs::File::open(file)?;
    ledger.stage_into(&mut batch, &mut input, meta(bundle_name), &mut |_| {})?;
    batch.annotate(0, "kind", "bundle");
    for (n, item) in manifest.items.iter().enumerate() {
        let name = item
            .metadata
            .get("file_name")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let mut content = reader.open_entry(&item.path)?;
        ledger.stage_into(&mut batch, &mut content, meta(name), &mut |_| {})?;
        let staged = &batch.staged()[n + 1];
        if staged.sha256().to_hex() != item.sha256 {
            bail!(
                "{}: the file read back does not match the manifest",
                item.path
            );
        }
        batch.annotate(n + 1, "received_from", &item.item);
    }
    let bundle_id = batch.staged()[0].id().clone();
    for n in 1..batch.staged().len() {
        batch.annotate(n, "bundle", bundle_id.as_str());
    }
    batch.also(Change {
        record: RecordWrite::None,
        entry: LogEntry::new(
            ledger.clock().now(),
            ledger.actor(),
            Action::Transfer,
            bundle_id.as_str(),
        )
        .with_field("direction", "in")
        .with_field("items", &manifest.items.len().to_string())
        .with_field("sender_tree_size", &manifest.tree_size.to_string()),
    });
    let done = ledger.commit_batch(batch)?;
    ledger.checkpoint()?;
    if g.json {
        let items: Vec<_> = done
            .iter()
            .skip(1)
            .zip(&manifest.items)
            .map(|(d, m)| json!({"item": d.item.as_str(), "received_from": m.item, "sha256": m.sha256, "log_index": d.log_index}))
            .collect();
        json_line(
            &json!({"bundle": bundle_id.as_str(), "origin": manifest.origin, "items": items}),
        )?;
    } else {
        eprintln!(
            "verified against {key_source}; imported {} items from {} (case {}) with the bundle as {bundle_id}",
            manifest.items.len(),
            manifest.origin,
            manifest.case
        );
    }
    Ok(Outcome::Ok)
}
