//! The demo: a fresh data dir with the project's demo dataset (all edicts and accountability
//! milestones, written from sourced facts) and a few hundred clearly labelled synthetic
//! incidents, two organisations, and one login per role.
//!
//! `gawah demo generate` writes the same synthetic corpus, at any size, into an organisation
//! of an existing data dir: for load tests and benchmarks.

use std::path::Path;
use std::sync::Arc;

use std::collections::HashSet;

use anyhow::{Context, Result};
use base64::Engine;
use gawah_core::edict::Edict;
use gawah_core::incident::IncidentInput;
use gawah_core::seal::{KeySource, SecretKey};
use gawah_core::vocab::Role;
use gawah_core::{Action, Commitment, IncidentId, LogEntry, OrgId, Salt, Sha256Digest};
use gawah_demo::synthetic::SyntheticIncident;
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, DataDir, Ledger, RecordWrite};
use gawah_web::auth::{base32, new_secret, totp_uri};
use gawah_web::records::incident_change;
use indicatif::ProgressStyle;
use serde_json::json;

use super::admin::{add_org, add_user};
use super::{keys, open_ledger_at};
use crate::Outcome;
use crate::cli::{DemoCommand, Global};
use crate::output::{json_line, progress};

/// The demo organisation every role belongs to.
pub const DEMO_ORG: &str = "Demo Documentation Network";
/// A second organisation, to show that organisations do not see each other's records.
pub const PARTNER_ORG: &str = "Demo Partner Organisation";
/// Synthetic incidents in the demo.
pub const DEMO_INCIDENTS: usize = 300;

/// Creates the demo at `path`; returns the ledger and lines telling the logins.
pub fn create(path: &Path) -> Result<(Ledger, Vec<String>)> {
    // The demo's keys open with a random key held only in memory: the demo dir cannot be
    // reopened once the server stops, and is removed then anyway.
    let source = KeySource::KeyFile(SecretKey::random()?);
    let (_, keyring) = DataDir::init(path, Some("demo.gawah.local/log"), &source)?;
    let ledger = open_ledger_at(path, OpenMode::Checked)?.with_keys(Arc::new(keyring));
    load_edicts(&ledger)?;
    add_org(&ledger, DEMO_ORG)?;
    add_org(&ledger, PARTNER_ORG)?;
    let mut lines = vec![format!(
        "logins ({DEMO_ORG}; passwords are new for every demo):"
    )];
    for role in Role::ALL {
        let username = role.as_str().to_owned();
        let password = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(&new_secret()?.as_bytes()[..12]);
        let (_, totp) = add_user(&ledger, &username, role, DEMO_ORG, &password)?;
        lines.push(format!(
            "  {role:<10}  username {username:<10}  password {password}"
        ));
        if let Some(secret) = totp {
            lines.push(format!(
                "              TOTP secret {} ({})",
                base32(&secret),
                totp_uri(ledger.origin(), &username, &secret)
            ));
        }
    }
    let partner_password =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&new_secret()?.as_bytes()[..12]);
    add_user(
        &ledger,
        "partner",
        Role::Documenter,
        PARTNER_ORG,
        &partner_password,
    )?;
    lines.push(format!(
        "  documenter  username partner     password {partner_password}  ({PARTNER_ORG})"
    ));
    load_incidents(&ledger)?;
    ledger.checkpoint()?;
    Ok((ledger, lines))
}

fn load_edicts(ledger: &Ledger) -> Result<()> {
    let mut all = gawah_demo::edicts()?;
    all.extend(gawah_demo::milestones()?);
    let now = ledger.clock().now();
    let changes = all
        .into_iter()
        .map(|e| {
            let edict: Edict =
                serde_json::from_value(serde_json::to_value(&e)?).context("demo edict")?;
            let content = serde_json::to_vec(&edict)?;
            let salt = Salt::random()?;
            let entry = LogEntry::new(
                now,
                ledger.actor(),
                Action::Create,
                &format!("edict:{}", edict.id.to_lowercase()),
            )
            .with_commitment(Commitment::new(&salt, &Sha256Digest::of(&content)));
            Ok(Change {
                record: RecordWrite::Edict(edict),
                entry,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    ledger.commit(&changes)?;
    Ok(())
}

fn load_incidents(ledger: &Ledger) -> Result<()> {
    let org = ledger.store.org_by_name(DEMO_ORG)?.context("demo org")?;
    let documenter = ledger
        .store
        .member_by_username("documenter")?
        .context("demo documenter")?;
    let now = ledger.clock().now();
    let changes = gawah_demo::synthetic::incidents(2021, DEMO_INCIDENTS)
        .map(|s| synthetic_change(ledger, now, documenter.id.as_str(), &org.id, s, None))
        .collect::<Result<Vec<_>>>()?;
    ledger.commit(&changes)?;
    Ok(())
}

/// The logged change that creates one synthetic incident. With `edicts`, links to edicts
/// outside it are dropped (a data dir need not hold the demo's edicts).
fn synthetic_change(
    ledger: &Ledger,
    now: gawah_core::Timestamp,
    actor: &str,
    org: &OrgId,
    s: SyntheticIncident,
    edicts: Option<&HashSet<String>>,
) -> Result<Change> {
    let linked = match edicts {
        Some(known) => s.edicts.into_iter().filter(|e| known.contains(e)).collect(),
        None => s.edicts,
    };
    let input = IncidentInput {
        reference: Some(s.r#ref.clone()),
        title: s.title,
        description: s.description,
        date: s.date,
        date_precision: Some(s.date_precision.to_owned()),
        province: s.province,
        violation_types: s.violation_types,
        // The institution's English name, so that every language's incidents share one facet.
        perpetrators: vec![
            gawah_demo::synthetic::perpetrators()
                .iter()
                .find(|(key, _)| *key == s.perpetrator)
                .map_or(s.perpetrator.clone(), |(_, label)| label.en.to_owned()),
        ],
        exact_location: Some(s.exact_location),
        source_reliability: Some(s.source_reliability.to_string()),
        source_credibility: Some(s.source_credibility),
        verification_status: Some(s.verification_status.to_owned()),
        edicts: linked,
    };
    let incident = input
        .validate()
        .map_err(|e| anyhow::anyhow!("synthetic incident {}: {e:?}", s.r#ref))?;
    incident_change(ledger, now, actor, org, &IncidentId::random()?, incident, 1)
        .map_err(|e| anyhow::anyhow!("synthetic incident: {e}"))
}

/// Runs `gawah demo ...`.
pub fn run(g: &Global, cmd: DemoCommand) -> Result<Outcome> {
    match cmd {
        DemoCommand::Generate {
            org,
            incidents,
            seed,
            batch,
        } => {
            let ledger = keys::open_unlocked(g, OpenMode::Checked)?;
            let found = ledger.store.org_by_name(&org)?.with_context(|| {
                format!("no organisation named {org:?}; add it with `gawah admin org add`")
            })?;
            let started = std::time::Instant::now();
            let batch = usize::try_from(batch).unwrap_or(usize::MAX);
            let first = generate(&ledger, &found.id, seed, incidents, batch)?;
            let checkpoint = ledger.checkpoint()?;
            let seconds = started.elapsed().as_secs_f64();
            if g.json {
                json_line(&json!({
                    "org": found.id.as_str(),
                    "incidents": incidents,
                    "seed": seed,
                    "first_log_index": first,
                    "log_size": checkpoint.size,
                    "seconds": seconds,
                }))?;
            } else {
                eprintln!(
                    "generated {incidents} synthetic incidents in {org:?} in {seconds:.1} s (seed {seed}); log size {}",
                    checkpoint.size
                );
            }
        }
    }
    Ok(Outcome::Ok)
}

/// Writes `n` synthetic incidents of `seed` into `org`, `batch` per commit, each its own log
/// entry made by the operator; returns the first entry's index, if any.
pub fn generate(
    ledger: &Ledger,
    org: &OrgId,
    seed: u64,
    n: usize,
    batch: usize,
) -> Result<Option<u64>> {
    let edicts: HashSet<String> = ledger.store.edicts()?.into_iter().map(|e| e.id).collect();
    let bar = progress(n as u64, false);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos}/{len} incidents {per_sec} {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    let mut corpus = gawah_demo::synthetic::incidents(seed, n).peekable();
    let mut first = None;
    let mut changes = Vec::with_capacity(batch.min(n));
    while corpus.peek().is_some() {
        let now = ledger.clock().now();
        changes.clear();
        for s in corpus.by_ref().take(batch.max(1)) {
            changes.push(synthetic_change(
                ledger,
                now,
                ledger.actor(),
                org,
                s,
                Some(&edicts),
            )?);
        }
        let indexes = ledger.commit(&changes)?;
        first = first.or(indexes.first().copied());
        bar.inc(changes.len() as u64);
    }
    bar.finish_and_clear();
    Ok(first)
}
