//! The demo: a fresh data dir with the project's demo dataset (all edicts and accountability
//! milestones, written from sourced facts) and a few hundred clearly labelled synthetic
//! incidents, two organisations, and one login per role.

use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine;
use gawah_core::edict::Edict;
use gawah_core::incident::IncidentInput;
use gawah_core::vocab::Role;
use gawah_core::{Action, Commitment, IncidentId, LogEntry, Salt, Sha256Digest};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, DataDir, Ledger, RecordWrite};
use gawah_web::auth::{base32, new_secret, totp_uri};
use gawah_web::records::incident_change;

use super::admin::{add_org, add_user};
use super::open_ledger_at;

/// The demo organisation every role belongs to.
pub const DEMO_ORG: &str = "Demo Documentation Network";
/// A second organisation, to show that organisations do not see each other's records.
pub const PARTNER_ORG: &str = "Demo Partner Organisation";
/// Synthetic incidents in the demo.
pub const DEMO_INCIDENTS: usize = 300;

/// Creates the demo at `path`; returns the ledger and lines telling the logins.
pub fn create(path: &Path) -> Result<(Ledger, Vec<String>)> {
    DataDir::init(path, Some("demo.gawah.local/log"))?;
    let ledger = open_ledger_at(path, OpenMode::Checked)?;
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
    let mut changes = Vec::with_capacity(DEMO_INCIDENTS);
    for s in gawah_demo::synthetic::incidents(2021, DEMO_INCIDENTS) {
        let input = IncidentInput {
            reference: Some(s.r#ref.clone()),
            title: s.title.clone(),
            description: s.description.clone(),
            date: s.date.clone(),
            date_precision: Some(s.date_precision.to_owned()),
            province: s.province.clone(),
            violation_types: s.violation_types.clone(),
            perpetrators: vec![s.perpetrator.clone()],
            exact_location: Some(s.exact_location.clone()),
            source_reliability: Some(s.source_reliability.to_string()),
            source_credibility: Some(s.source_credibility),
            verification_status: Some(s.verification_status.to_owned()),
            edicts: s.edicts.clone(),
        };
        let incident = input
            .validate()
            .map_err(|e| anyhow::anyhow!("synthetic incident {}: {e:?}", s.r#ref))?;
        let change = incident_change(
            now,
            documenter.id.as_str(),
            &org.id,
            &IncidentId::random()?,
            incident,
            1,
        )
        .map_err(|e| anyhow::anyhow!("synthetic incident: {e}"))?;
        changes.push(change);
    }
    ledger.commit(&changes)?;
    Ok(())
}
