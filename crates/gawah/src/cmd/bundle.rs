//! `gawah export --case REF --purpose legal|public --out BUNDLE.zip` and `gawah verify`.
//!
//! An evidence bundle (format in `docs/BUNDLE.md`, reader and verifier in `gawah-bundle`)
//! holds the files of a case and everything needed to check them offline: each file's intake
//! entry with the commitment salt, every custody entry of the item, inclusion proofs against
//! one signed checkpoint, the log's key, a README for checking by hand and a report.
//!
//! - **legal**: the originals, byte for byte (opened from their sealed blobs where sealed), with
//!   their file names and incident links in the metadata;
//! - **public**: only redacted working copies (an original is never in a public bundle), no
//!   file name, no confidential field; an item without a redacted copy is left out.
//!
//! The export is logged before the bundle appears under its name: one `export` entry per item,
//! naming the bundle's id, so each item's custody history shows it.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine;
use gawah_bundle::{
    BundleWriter, DerivedFrom, Item, Manifest, Policy, ProvenEntry, Purpose, readme_text,
};
use gawah_core::{Action, LogEntry};
use gawah_log::{consistency_proof, inclusion_proof, tree_root};
use gawah_store::sqlite::OpenMode;
use gawah_store::store::ItemRecord;
use gawah_store::{Change, Ledger, RecordWrite};
use serde_json::{Map, Value, json};

use super::keys;
use crate::Outcome;
use crate::cli::{BundleArgs, Global};
use crate::output::json_line;

/// One file going into the bundle.
struct Chosen {
    /// The item whose bytes are in the bundle (a redacted copy in a public bundle).
    record: ItemRecord,
    /// The original it was made from, for a copy.
    original: Option<ItemRecord>,
}

/// Items of the case, oldest first.
fn case_items(ledger: &Ledger, case: &str) -> Result<Vec<ItemRecord>> {
    let mut items = Vec::new();
    ledger.store.for_each_item(&mut |i| {
        if i.case_ref.as_deref() == Some(case) {
            items.push(i);
        }
        Ok(())
    })?;
    items.sort_by_key(|i| i.log_index);
    Ok(items)
}

/// What goes in, and what is left out (with the reason, for the manifest's notes).
fn choose(
    ledger: &Ledger,
    items: Vec<ItemRecord>,
    purpose: Purpose,
) -> Result<(Vec<Chosen>, Vec<Value>)> {
    let derived: BTreeSet<String> = {
        let mut d = BTreeSet::new();
        for i in &items {
            for row in ledger.store.derivatives(&i.id)? {
                d.insert(row.item.to_string());
            }
        }
        d
    };
    let mut chosen = Vec::new();
    let mut left_out = Vec::new();
    for i in items {
        match purpose {
            Purpose::Legal => chosen.push(Chosen {
                record: i,
                original: None,
            }),
            Purpose::Public => {
                // Copies are reached from their originals; an original never goes in.
                if derived.contains(i.id.as_str()) {
                    continue;
                }
                let copies = ledger.store.derivatives(&i.id)?;
                if copies.is_empty() {
                    left_out
                        .push(json!({"item": i.id.as_str(), "reason": "no redacted working copy"}));
                }
                for row in copies {
                    let copy = ledger
                        .store
                        .item(&row.item)?
                        .with_context(|| format!("the copy {} of {} is missing", row.item, i.id))?;
                    chosen.push(Chosen {
                        record: copy,
                        original: Some(i.clone()),
                    });
                }
            }
        }
    }
    Ok((chosen, left_out))
}

/// The item's SHA-256 and salt as hex: in the record, or sealed with its metadata.
fn hash_and_salt(ledger: &Ledger, i: &ItemRecord) -> Result<(String, String, Option<String>)> {
    let meta = ledger.open_meta(i)?;
    let sha256 = i
        .sha256
        .map(|h| h.to_hex())
        .or(meta.sha256)
        .with_context(|| format!("item {} has no SHA-256", i.id))?;
    let salt = i
        .salt
        .as_ref()
        .map(|s| s.to_hex())
        .or(meta.salt)
        .with_context(|| format!("item {} has no commitment salt", i.id))?;
    Ok((sha256, salt, meta.file_name))
}

/// An entry's custody record for the manifest: the fields the verifier compares with it.
fn custody_record(index: u64, bytes: &[u8]) -> Result<Value> {
    let e = LogEntry::parse(bytes).with_context(|| format!("log entry {index} does not parse"))?;
    Ok(json!({
        "entry": index,
        "action": e.action.as_str(),
        "actor": e.actor,
        "subject": e.subject,
        "time": e.time.to_rfc3339(),
    }))
}

/// Writes the bundle.
pub fn export(g: &Global, args: BundleArgs) -> Result<Outcome> {
    let BundleArgs {
        case,
        purpose,
        out,
        since,
    } = args;
    let purpose = match purpose.as_str() {
        "legal" => Purpose::Legal,
        _ => Purpose::Public,
    };
    if out.exists() {
        bail!("{} exists; choose a new file name", out.display());
    }
    let ledger = keys::open_unlocked(g, OpenMode::Checked)?;
    let items = case_items(&ledger, &case)?;
    if items.is_empty() {
        bail!("no evidence item belongs to case {case:?}");
    }
    let testimonies = match purpose {
        Purpose::Legal => super::consent::case_testimonies(&ledger, &items)?,
        Purpose::Public => super::consent::CaseTestimonies::default(),
    };
    let (chosen, left_out) = choose(&ledger, items, purpose)?;
    if chosen.is_empty() {
        bail!(
            "nothing of case {case:?} may go into a {} bundle: {} left out (no redacted working copy)",
            purpose_name(purpose),
            left_out.len()
        );
    }
    let checkpoint = ledger.checkpoint()?;
    // The log's signature and every witness cosignature kept for this size (`log cosign`).
    let cosigned = gawah_store::witness::cosigned_note(ledger.store.as_ref(), &checkpoint)?;
    let size = checkpoint.size;
    let consistency = match since {
        None => None,
        Some(from) if from == 0 || from > size => {
            bail!("--since {from}: give the size of an earlier checkpoint, 1 to {size}")
        }
        Some(from) if from == size => None,
        Some(from) => {
            let store = ledger.store.as_ref();
            Some(gawah_bundle::ConsistencyJson::new(
                from,
                size,
                &tree_root(from, &store)?,
                &checkpoint.root,
                &consistency_proof(from, size, &store)?,
            ))
        }
    };
    let mut manifest = Manifest::new(
        ledger.origin(),
        purpose,
        &case,
        &ledger.clock().now().to_rfc3339(),
        size,
    );
    let mut writer =
        BundleWriter::create(&out).with_context(|| format!("create {}", out.display()))?;
    let mut proven: Vec<ProvenEntry> = Vec::new();
    let add_entry = |proven: &mut Vec<ProvenEntry>, index: u64| -> Result<Vec<u8>> {
        let bytes = ledger.store.entry(index)?;
        if !proven.iter().any(|p| p.index == index) {
            let proof = inclusion_proof(index, size, &ledger.store.as_ref())?;
            proven.push(ProvenEntry {
                index,
                bytes: bytes.clone(),
                proof,
            });
        }
        Ok(bytes)
    };
    for c in &chosen {
        let i = &c.record;
        let (sha256, salt, file_name) = hash_and_salt(&ledger, i)?;
        let path = format!("files/{}", i.id);
        let content: Box<dyn Read + Send> = ledger.open_content(i)?;
        let (written, bytes) = writer
            .add_file(&path, content)
            .with_context(|| format!("write {path}"))?;
        if hex::encode(written) != sha256 || bytes != i.bytes {
            bail!(
                "item {}: the stored file does not match its record (SHA-256 {} of {bytes} bytes, recorded {sha256} of {}); run `gawah log verify`",
                i.id,
                hex::encode(written),
                i.bytes
            );
        }
        let mut entries = Vec::new();
        let mut custody = Vec::new();
        for ev in ledger.store.custody(i.id.as_str())? {
            if ev.log_index >= size {
                continue;
            }
            let bytes = add_entry(&mut proven, ev.log_index)?;
            entries.push(ev.log_index);
            custody.push(custody_record(ev.log_index, &bytes)?);
        }
        if entries.first() != Some(&i.log_index) {
            bail!(
                "item {}: its intake entry {} is not its first custody event",
                i.id,
                i.log_index
            );
        }
        let mut metadata = Map::new();
        metadata.insert("case".into(), json!(case));
        metadata.insert("entered_custody".into(), json!(i.created_at.to_rfc3339()));
        let derived_from = match &c.original {
            Some(o) => {
                add_entry(&mut proven, o.log_index)?;
                metadata.insert("kind".into(), json!("redacted working copy"));
                Some(DerivedFrom {
                    item: o.id.to_string(),
                    entry: o.log_index,
                })
            }
            None => {
                if let Some(name) = file_name {
                    metadata.insert("file_name".into(), json!(name));
                }
                None
            }
        };
        manifest.items.push(Item {
            item: i.id.to_string(),
            path,
            sha256,
            bytes,
            salt,
            entries,
            metadata,
            custody,
            derived_from,
        });
    }
    for t in &testimonies.included {
        let path = format!("files/{}.json", t.id);
        writer
            .add_bytes(&path, &t.content)
            .with_context(|| format!("write {path}"))?;
        let mut entries = Vec::new();
        let mut custody = Vec::new();
        for ev in ledger.store.custody(&t.id)? {
            if ev.log_index < t.entry || ev.log_index >= size {
                continue;
            }
            let bytes = add_entry(&mut proven, ev.log_index)?;
            entries.push(ev.log_index);
            custody.push(custody_record(ev.log_index, &bytes)?);
        }
        if entries.first() != Some(&t.entry) {
            bail!(
                "testimony {}: its version entry {} is not in its custody history",
                t.id,
                t.entry
            );
        }
        manifest.items.push(Item {
            item: t.id.clone(),
            path,
            sha256: t.sha256.clone(),
            bytes: t.content.len() as u64,
            salt: t.salt.clone(),
            entries,
            metadata: t.metadata.clone(),
            custody,
            derived_from: None,
        });
    }
    if !left_out.is_empty() {
        manifest.notes = Some(json!({"left_out": left_out}));
    }
    proven.sort_by_key(|p| p.index);
    let key = ledger.verifier_key();
    if consistency.is_some() {
        manifest.consistency = Some(gawah_bundle::CONSISTENCY.to_owned());
    }
    writer.add_log(&cosigned, &key, &proven, consistency.as_ref())?;
    // The checkpoint's RFC 3161 timestamp, when there is one (see `timestamp::for_bundle`).
    if let Some(t) = super::timestamp::for_bundle(g, &ledger, &checkpoint)? {
        writer.add_timestamp(&checkpoint.note, &t.response)?;
        manifest.timestamp = Some(gawah_bundle::TIMESTAMP.to_owned());
    }
    writer.add_bytes(gawah_bundle::MANIFEST, &manifest.to_json())?;
    writer.add_bytes(gawah_bundle::README, readme_text(&manifest).as_bytes())?;
    writer.add_bytes(
        gawah_bundle::REPORT,
        report_html(&manifest, &cosigned, &key).as_bytes(),
    )?;
    // Logged before the bundle appears: every bundle on disk is in the log.
    let bundle_id = format!(
        "bundle_{}",
        hex::encode(gawah_core::random::random_bytes::<10>()?)
    );
    let now = ledger.clock().now();
    let changes: Vec<Change> = manifest
        .items
        .iter()
        .map(|it| Change {
            record: RecordWrite::None,
            entry: LogEntry::new(now, ledger.actor(), Action::Export, &it.item)
                .with_field("bundle", &bundle_id)
                .with_field("purpose", purpose_name(purpose)),
        })
        .collect();
    ledger.commit(&changes)?;
    let path = writer
        .commit()
        .with_context(|| format!("write {}", out.display()))?;
    if g.json {
        json_line(&json!({
            "bundle": path, "id": bundle_id, "purpose": purpose_name(purpose), "case": case,
            "items": manifest.items.len(), "tree_size": size,
            "testimonies": testimonies.included.len(),
            "testimonies_withheld": testimonies.withheld_no_consent,
            "testimonies_erased": testimonies.erased,
            "left_out": manifest.notes.as_ref().map_or(0, |n| n["left_out"].as_array().map_or(0, Vec::len)),
        }))?;
    } else {
        if testimonies.withheld_no_consent + testimonies.erased > 0 {
            eprintln!(
                "left out {} testimonies without consent for legal proceedings and {} erased ones (the bundle does not mention them)",
                testimonies.withheld_no_consent, testimonies.erased
            );
        }
        eprintln!(
            "wrote {} ({} items, checkpoint at size {size}); check it with `gawah verify {} --key KEYFILE`",
            path.display(),
            manifest.items.len(),
            path.display()
        );
    }
    Ok(Outcome::Ok)
}

fn purpose_name(p: Purpose) -> &'static str {
    match p {
        Purpose::Legal => "legal",
        Purpose::Public => "public",
    }
}

/// `gawah verify BUNDLE --key KEYFILE [--checkpoint TRUSTED]`.
pub fn verify(
    g: &Global,
    bundle: &Path,
    key: &Path,
    trusted: Option<&Path>,
    witnesses: &crate::cli::WitnessPolicyArgs,
) -> Result<Outcome> {
    let key = std::fs::read_to_string(key)
        .with_context(|| format!("read the key file {}", key.display()))?;
    let trusted = trusted
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("read {}", p.display())))
        .transpose()?;
    let policy = Policy {
        witnesses: witnesses.witness.clone(),
        min_witnesses: witnesses.min_witnesses,
        ..Policy::default()
    };
    let report = gawah_bundle::verify(bundle, key.trim(), trusted.as_deref(), &policy)?;
    if g.json {
        json_line(&serde_json::to_value(&report)?)?;
    } else {
        print!("{report}");
    }
    Ok(if report.ok {
        Outcome::Ok
    } else {
        Outcome::VerifyFailed
    })
}

/// HTML-escapes text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A self-contained, printable report of the bundle (no outside asset, no script).
fn report_html(m: &Manifest, checkpoint: &str, key: &str) -> String {
    let mut rows = String::new();
    for it in &m.items {
        let custody: Vec<String> = it
            .custody
            .iter()
            .map(|c| {
                format!(
                    "{} {} by {} (entry {})",
                    esc(c["time"].as_str().unwrap_or("")),
                    esc(c["action"].as_str().unwrap_or("")),
                    esc(c["actor"].as_str().unwrap_or("")),
                    c["entry"]
                )
            })
            .collect();
        let name = it
            .metadata
            .get("file_name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let copy = it
            .derived_from
            .as_ref()
            .map(|d| format!("<br>redacted copy of {} (entry {})", esc(&d.item), d.entry))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td><code>{}</code>{copy}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td><code class=\"hash\">{}</code></td><td>{}</td></tr>\n",
            esc(&it.item),
            esc(name),
            esc(&it.path),
            it.bytes,
            esc(&it.sha256),
            custody.join("<br>")
        ));
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(checkpoint.as_bytes());
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evidence bundle: case {case}</title>\n\
<style>body{{font-family:serif;margin:2rem;max-width:60rem}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.3rem;vertical-align:top;font-size:.9rem}}.hash{{word-break:break-all}}pre{{white-space:pre-wrap;border:1px solid #999;padding:.5rem}}@media print{{body{{margin:0}}}}</style></head>\n<body>\n\
<h1>Evidence bundle: case {case}</h1>\n\
<p>Purpose: <strong>{purpose}</strong>. Made {created} from the log <code>{origin}</code> at tree size {size}. {n} files.</p>\n\
<p>This report is for reading; it is not evidence and is not checked. The evidence is the files, <code>manifest.json</code> and <code>log/</code>: check them with <code>gawah verify</code> or by hand as <code>README.txt</code> explains. Times are the organisation's clock; the log proves the order of events.</p>\n\
<h2>Files and custody</h2>\n<table><thead><tr><th>Item</th><th>File name</th><th>Path in the bundle</th><th>Bytes</th><th>SHA-256</th><th>Custody (from the log)</th></tr></thead><tbody>\n{rows}</tbody></table>\n\
<h2>Signed checkpoint</h2>\n<pre>{cp}</pre>\n<p>Base64 of the checkpoint file: <code class=\"hash\">{b64}</code></p>\n\
<h2>Verifier key</h2>\n<pre>{key}</pre>\n</body></html>\n",
        case = esc(&m.case),
        purpose = purpose_name(m.purpose),
        created = esc(&m.created),
        origin = esc(&m.origin),
        size = m.tree_size,
        n = m.items.len(),
        cp = esc(checkpoint),
        key = esc(key),
    )
}
