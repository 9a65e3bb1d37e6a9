//! `gawah export incidents`: an organisation's incidents for analysts, as JSON Lines or as
//! CSV with an HXL hashtag row (the columns `gawah import` reads, so a CSV export can be
//! imported elsewhere). Internal fields only: the confidential ones are sealed in the store
//! and never written here. The file is created (never overwritten) with mode 0600, written
//! in full and fsynced under a temporary name, the export is logged, and only then does the
//! file appear under its name.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;

use anyhow::{Context, Result, bail};
use gawah_core::{Action, LogEntry};
use gawah_store::records::IncidentRow;
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, RecordWrite};
use serde_json::json;

use super::{find_org, open_ledger};
use crate::Outcome;
use crate::cli::{ExportCommand, Global};
use crate::output::json_line;

/// The CSV columns: header, HXL hashtag, and the cell of an incident.
type Column = (&'static str, &'static str, fn(&IncidentRow) -> String);

const LIST: &str = "; ";

const COLUMNS: [Column; 16] = [
    ("Id", "#meta+id", |r| r.id.to_string()),
    ("Reference", "#meta+ref", |r| {
        r.incident.reference.clone().unwrap_or_default()
    }),
    ("Title", "#event+title", |r| r.incident.title.clone()),
    ("Description", "#description", |r| {
        r.incident.description.clone()
    }),
    ("Date", "#date", |r| r.incident.date.clone()),
    ("Date precision", "#date+precision", |r| {
        r.incident.date_precision.clone()
    }),
    ("Province", "#adm1+code", |r| r.incident.province.clone()),
    ("Violation types", "#event+type", |r| {
        r.incident.violation_types.join(LIST)
    }),
    ("Perpetrators", "#group+perpetrator", |r| {
        r.incident.perpetrators.join(LIST)
    }),
    ("Source reliability", "#meta+source+reliability", |r| {
        r.incident.source_reliability.clone().unwrap_or_default()
    }),
    ("Source credibility", "#meta+source+credibility", |r| {
        r.incident
            .source_credibility
            .map(|c| c.to_string())
            .unwrap_or_default()
    }),
    ("Verification", "#status+verification", |r| {
        r.incident.verification_status.clone()
    }),
    ("Edicts", "#meta+edict", |r| r.incident.edicts.join(LIST)),
    ("Version", "#meta+version", |r| r.version.to_string()),
    ("Created", "#date+created", |r| r.created_at.to_rfc3339()),
    ("Updated", "#date+updated", |r| r.updated_at.to_rfc3339()),
];

pub fn run(g: &Global, cmd: ExportCommand) -> Result<Outcome> {
    let ExportCommand::Incidents { org, format, out } = cmd;
    if out.exists() {
        bail!("{} exists; choose a new file name", out.display());
    }
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let org = find_org(&ledger, &org)?;
    let rows = ledger.store.org_incidents(&org.id)?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let name = out
        .file_name()
        .context("--out must name a file")?
        .to_string_lossy()
        .into_owned();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(&dir)
        .with_context(|| format!("create a file in {}", dir.display()))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        match format.as_str() {
            "jsonl" => write_jsonl(&mut w, &rows)?,
            _ => write_csv(&mut w, &rows)?,
        }
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    // Logged before the file appears: an export that is on disk is always in the log.
    let entry = LogEntry::new(
        ledger.clock().now(),
        ledger.actor(),
        Action::Export,
        org.id.as_str(),
    )
    .with_field("what", "incidents")
    .with_field("format", &format)
    .with_field("rows", &rows.len().to_string());
    ledger.commit(&[Change {
        record: RecordWrite::None,
        entry,
    }])?;
    tmp.persist_noclobber(&out)
        .map_err(|e| e.error)
        .with_context(|| format!("write {}", out.display()))?;
    File::open(&dir)?.sync_all()?;
    if g.json {
        json_line(&json!({"out": out, "format": format, "incidents": rows.len()}))?;
    } else {
        eprintln!("exported {} incidents to {}", rows.len(), out.display());
    }
    Ok(Outcome::Ok)
}

fn write_jsonl(w: &mut impl Write, rows: &[IncidentRow]) -> Result<()> {
    for r in rows {
        let mut v = serde_json::to_value(&r.incident)?;
        if let Some(o) = v.as_object_mut() {
            // Sealed, never in the content; removed again in case a future field leaks.
            o.remove("exact_location");
            o.insert("id".into(), json!(r.id.as_str()));
            o.insert("version".into(), json!(r.version));
            o.insert("created_at".into(), json!(r.created_at.to_rfc3339()));
            o.insert("updated_at".into(), json!(r.updated_at.to_rfc3339()));
        }
        serde_json::to_writer(&mut *w, &v)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

fn write_csv(w: &mut impl Write, rows: &[IncidentRow]) -> Result<()> {
    // One record at a time: a table with a header row only is that one record.
    let record = |cells: &[&str]| gawah_charts::csv_table(cells, None, &[]);
    let header: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
    let hxl: Vec<&str> = COLUMNS.iter().map(|c| c.1).collect();
    w.write_all(record(&header).as_bytes())?;
    w.write_all(record(&hxl).as_bytes())?;
    for r in rows {
        let cells: Vec<String> = COLUMNS.iter().map(|c| (c.2)(r)).collect();
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        w.write_all(record(&cells).as_bytes())?;
    }
    Ok(())
}
