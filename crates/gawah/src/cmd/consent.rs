//! Testimonies in a legal bundle: only those whose witness consented to legal proceedings.
//!
//! A case's testimonies are those given in the incidents its evidence items are linked to.
//! Each goes into a legal bundle as the canonical JSON of its latest version, which is what
//! that version's log entry commits to, so the verifier checks it like any file. A testimony
//! without the `legal` consent scope, or erased (its key destroyed), is left out, and the
//! bundle does not say that it exists: only the exporter is told how many were withheld.
//! Public bundles never carry testimonies (their statements are confidential).

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use gawah_core::testimony::{Consent, TestimonyInternal};
use gawah_core::{Commitment, IncidentId, LogEntry, OrgId, Sha256Digest};
use gawah_store::Ledger;
use gawah_store::records::TestimonyRow;
use gawah_store::store::ItemRecord;
use gawah_store::vault::{Vault, version_record};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

/// A testimony going into a legal bundle.
pub struct TestimonyFile {
    /// Its id (the subject of its entries).
    pub id: String,
    /// The canonical JSON of its latest version, opened.
    pub content: Zeroizing<Vec<u8>>,
    /// That version's commitment salt, hex.
    pub salt: String,
    /// SHA-256 of `content`, hex.
    pub sha256: String,
    /// The log index of that version's entry (which commits to `content`).
    pub entry: u64,
    /// What the bundle states about it.
    pub metadata: Map<String, Value>,
}

/// What a case's testimonies come to: those that go in, and how many were withheld.
#[derive(Default)]
pub struct CaseTestimonies {
    /// With consent for legal proceedings.
    pub included: Vec<TestimonyFile>,
    /// Without that consent.
    pub withheld_no_consent: usize,
    /// Erased (crypto-shredded): nothing left to bundle.
    pub erased: usize,
}

/// The testimonies of the incidents `items` are linked to, by consent.
pub fn case_testimonies(ledger: &Ledger, items: &[ItemRecord]) -> Result<CaseTestimonies> {
    let mut incidents: BTreeSet<(OrgId, IncidentId)> = BTreeSet::new();
    for i in items {
        incidents.extend(ledger.store.item_incidents(&i.id)?);
    }
    let mut out = CaseTestimonies::default();
    let mut seen = BTreeSet::new();
    for (org, incident) in &incidents {
        for t in ledger.store.incident_testimonies(org, incident)? {
            if !seen.insert(t.record.id.clone()) {
                continue;
            }
            let internal: TestimonyInternal = serde_json::from_str(&t.record.internal)
                .with_context(|| format!("testimony {}: internal fields", t.record.id))?;
            if !internal.consent.contains(&Consent::Legal) {
                out.withheld_no_consent += 1;
            } else if t.record.sealed.is_none() {
                out.erased += 1;
            } else {
                out.included.push(open_latest(ledger, &t, &internal)?);
            }
        }
    }
    Ok(out)
}

/// The latest version of a testimony, opened and checked against its entry.
fn open_latest(
    ledger: &Ledger,
    t: &TestimonyRow,
    internal: &TestimonyInternal,
) -> Result<TestimonyFile> {
    let id = &t.record.id;
    let versions = ledger.store.versions(id)?;
    let Some(v) = versions.last() else {
        bail!("testimony {id} has no stored version");
    };
    let key = ledger.vault()?.key(id)?;
    let content = Vault::open_bytes(
        &key,
        "record_versions",
        "content",
        &version_record(id, v.version),
        &v.content,
    )?;
    let sha = Sha256Digest::of(&content);
    let entry = LogEntry::parse(&ledger.store.entry(v.log_index)?)
        .with_context(|| format!("log entry {} does not parse", v.log_index))?;
    if entry.commitment != Some(Commitment::new(&v.salt, &sha)) || entry.subject != *id {
        bail!(
            "testimony {id} version {}: its content does not match log entry {}; run `gawah log verify`",
            v.version,
            v.log_index
        );
    }
    let mut metadata = Map::new();
    metadata.insert("kind".into(), json!("testimony"));
    metadata.insert("version".into(), json!(v.version));
    metadata.insert("incident".into(), json!(t.incident.as_str()));
    metadata.insert("language".into(), json!(internal.language));
    let consent: Vec<&str> = internal.consent.iter().map(|c| c.as_str()).collect();
    metadata.insert("consent".into(), json!(consent));
    if let Some(taken) = &internal.taken_on {
        metadata.insert("taken_on".into(), json!(taken));
    }
    Ok(TestimonyFile {
        id: id.clone(),
        content,
        salt: v.salt.to_hex(),
        sha256: sha.to_hex(),
        entry: v.log_index,
        metadata,
    })
}
