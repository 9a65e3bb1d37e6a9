//! `gawah import incidents|edicts`: bulk import from JSON Lines, or from CSV whose second row
//! holds HXL hashtags. The formats, the column mapping and the exit codes are described in
//! `docs/IMPORT.md`.
//!
//! The file is read once, line by line, in bounded memory: one row (at most
//! [`MAX_RECORD`](gawah_core::import::MAX_RECORD) bytes) and one batch of changes ([`BATCH`]
//! rows) at a time. Each row is parsed, validated and turned into a [`Change`] on its own, so
//! a bad row is reported with its line number and the field at fault and never stops the
//! others. A batch is one [`Ledger::commit`]; should the store refuse a batch because of one
//! row, that batch is committed row by row and only the refused row is reported.
//!
//! Reading the file into rows (CSV by RFC 4180 with its HXL row, or JSON Lines) and each row
//! into an input is [`gawah_core::import`]'s work; this command validates the inputs, turns
//! them into changes and commits them.
//!
//! Output: each rejected row on stdout as it is found (`line L: field: reason`), then
//! `imported N, rejected M`; with `--json` one object
//! `{"imported":N,"rejected":[{"line":L,"field":F,"message":M}],"rejected_rows":M}`, whose
//! rejections are spilled to a temporary file meanwhile so memory stays bounded.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use gawah_core::edict::Edict;
use gawah_core::import::{Fault, Kind, Row, Rows, fault, row_fault, validate_edict};
use gawah_core::incident::IncidentInput;
use gawah_core::{Action, Commitment, IncidentId, LogEntry, OrgId, Salt, Sha256Digest};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, Ledger, LedgerError, RecordWrite, StoreError};
use gawah_web::error::AppError;
use gawah_web::records::incident_change;
use indicatif::ProgressBar;
use serde_json::json;

use crate::Outcome;
use crate::cli::{Global, ImportArgs, ImportCommand};
use crate::output::progress;

/// Rows per [`Ledger::commit`].
const BATCH: usize = 1000;

/// Runs `gawah import`.
pub fn run(g: &Global, cmd: ImportCommand) -> Result<Outcome> {
    let (kind, args) = match cmd {
        ImportCommand::Incidents(a) => (Kind::Incidents, a),
        ImportCommand::Edicts(a) => (Kind::Edicts, a),
        ImportCommand::Bundle { key, file } => {
            return super::exchange::import(g, &file, key.as_deref());
        }
    };
    import(g, kind, &args)
}

fn import(g: &Global, kind: Kind, args: &ImportArgs) -> Result<Outcome> {
    let path = &args.file;
    let (file, len) = open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let ledger = super::keys::open_unlocked(g, OpenMode::Checked)?;
    let org = ledger
        .store
        .org_by_name(args.org.trim())?
        .with_context(|| {
            format!(
                "no organisation named {:?}; add it with `gawah admin org add`",
                args.org
            )
        })?;
    let (mut rows, notes) = Rows::open(BufReader::with_capacity(1 << 16, file), kind)
        .with_context(|| format!("cannot import {}", path.display()))?;
    for note in notes {
        eprintln!("gawah: note: {note}");
    }
    let known_edicts: HashSet<String> = ledger.store.edicts()?.into_iter().map(|e| e.id).collect();
    let bar = progress(len, true);
    let mut imp = Importer {
        ledger: &ledger,
        org: org.id,
        known_edicts,
        report: Report::new(g.json, bar.clone())?,
        batch: Vec::new(),
        imported: 0,
    };
    let read = imp.read_all(&mut rows);
    // Whatever went wrong, rows already validated are still committed and reported.
    let flushed = imp.flush();
    bar.finish_and_clear();
    let (imported, rejected) = (imp.imported, imp.report.rejected_rows);
    imp.report.finish(imported)?;
    if imported > 0 {
        ledger.checkpoint()?;
    }
    read.with_context(|| format!("reading {} stopped", path.display()))?;
    flushed?;
    if rejected > 0 {
        bail!(
            "{rejected} row(s) rejected (see the report on standard output), {imported} imported from {}",
            path.display()
        );
    }
    Ok(Outcome::Ok)
}

/// Opens `path` for reading; returns it and its length.
fn open(path: &Path) -> Result<(File, u64)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        bail!("not a regular file");
    }
    Ok((file, meta.len()))
}

// ---------------------------------------------------------------------------------------------
// Report

/// Where rejections go: stdout as found, or (JSON) a temporary file until the end.
#[derive(Debug)]
struct Report {
    bar: ProgressBar,
    json: Option<File>,
    entries: u64,
    rejected_rows: u64,
}

impl Report {
    fn new(json: bool, bar: ProgressBar) -> Result<Self> {
        let json = if json {
            Some(tempfile::tempfile().context("creating a temporary file for the report")?)
        } else {
            None
        };
        Ok(Self {
            bar,
            json,
            entries: 0,
            rejected_rows: 0,
        })
    }

    fn reject(&mut self, line: u64, faults: Vec<Fault>) -> Result<()> {
        self.rejected_rows += 1;
        let mut text = String::new();
        for Fault { field, message } in faults {
            match &self.json {
                Some(_) => {
                    if self.entries > 0 {
                        text.push(',');
                    }
                    let v = json!({"line": line, "field": field, "message": message});
                    text.push_str(&v.to_string());
                }
                None => {
                    let message = message.replace(['\n', '\r'], " ");
                    match field {
                        Some(f) => text.push_str(&format!("line {line}: {f}: {message}\n")),
                        None => text.push_str(&format!("line {line}: {message}\n")),
                    }
                }
            }
            self.entries += 1;
        }
        match &mut self.json {
            Some(f) => f.write_all(text.as_bytes())?,
            None => self.bar.suspend(|| -> io::Result<()> {
                let mut out = io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()
            })?,
        }
        Ok(())
    }

    fn finish(&mut self, imported: u64) -> Result<()> {
        let mut out = io::stdout().lock();
        match &mut self.json {
            Some(f) => {
                write!(out, "{{\"imported\":{imported},\"rejected\":[")?;
                f.rewind()?;
                io::copy(f, &mut out)?;
                writeln!(out, "],\"rejected_rows\":{}}}", self.rejected_rows)?;
            }
            None => writeln!(out, "imported {imported}, rejected {}", self.rejected_rows)?,
        }
        out.flush()?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The import

#[derive(Debug)]
struct Importer<'a> {
    ledger: &'a Ledger,
    org: OrgId,
    known_edicts: HashSet<String>,
    report: Report,
    /// Changes not yet committed, with their line numbers.
    batch: Vec<(u64, Change)>,
    imported: u64,
}

impl Importer<'_> {
    fn read_all<R: BufRead>(&mut self, rows: &mut Rows<R>) -> Result<()> {
        while let Some((line, parsed)) = rows.next_row()? {
            self.report.bar.set_position(rows.consumed());
            let change = match parsed {
                Ok(Row::Incident(input)) => self.incident(input)?,
                Ok(Row::Edict(e)) => self.edict(&e)?,
                Err(f) => Err(f),
            };
            match change {
                Ok(c) => {
                    self.batch.push((line, c));
                    if self.batch.len() >= BATCH {
                        self.flush()?;
                    }
                }
                Err(faults) => self.report.reject(line, faults)?,
            }
        }
        Ok(())
    }

    /// The change creating an incident, or why the input is refused.
    fn incident(&self, input: IncidentInput) -> Result<Result<Change, Vec<Fault>>> {
        let incident = match input.validate() {
            Ok(i) => i,
            Err(errors) => {
                return Ok(Err(errors
                    .into_iter()
                    .map(|e| fault(e.field, e.message))
                    .collect()));
            }
        };
        let unknown: Vec<Fault> = incident
            .edicts
            .iter()
            .filter(|e| !self.known_edicts.contains(*e))
            .map(|e| {
                fault(
                    "edicts",
                    format!("no edict {e:?}; import it first (gawah import edicts)"),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(unknown));
        }
        let id = IncidentId::random()?;
        let ledger = self.ledger;
        let change = incident_change(
            ledger,
            ledger.clock().now(),
            ledger.actor(),
            &self.org,
            &id,
            incident,
            1,
        )
        .map_err(|e| match e {
            AppError::Internal(m) => anyhow!(m),
            e => anyhow!(e.to_string()),
        })?;
        Ok(Ok(change))
    }

    /// The change writing an edict (creating it, or replacing one with the same id).
    fn edict(&mut self, e: &Edict) -> Result<Result<Change, Vec<Fault>>> {
        let edict = match validate_edict(e, &gawah_demo::DOMAINS) {
            Ok(e) => e,
            Err(f) => return Ok(Err(f)),
        };
        let content = serde_json::to_vec(&edict)?;
        let salt = Salt::random()?;
        let action = if self.known_edicts.insert(edict.id.clone()) {
            Action::Create
        } else {
            Action::Update
        };
        let entry = LogEntry::new(
            self.ledger.clock().now(),
            self.ledger.actor(),
            action,
            &format!("edict:{}", edict.id.to_ascii_lowercase()),
        )
        .with_commitment(Commitment::new(&salt, &Sha256Digest::of(&content)))
        .with_field("org", self.org.as_str());
        Ok(Ok(Change {
            record: RecordWrite::Edict(edict),
            entry,
        }))
    }

    /// Commits the pending batch; if the store refuses it for one row's sake, commits its rows
    /// one by one and rejects only those refused.
    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let changes: Vec<Change> = batch.iter().map(|(_, c)| c.clone()).collect();
        match self.ledger.commit(&changes) {
            Ok(_) => {
                self.imported += changes.len() as u64;
                return Ok(());
            }
            Err(e) if !refused(&e) => return Err(e.into()),
            Err(_) => {}
        }
        for (line, change) in batch {
            match self.ledger.commit(std::slice::from_ref(&change)) {
                Ok(_) => self.imported += 1,
                Err(e) if refused(&e) => {
                    self.report.reject(line, vec![row_fault(e.to_string())])?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Whether the store refused a change for what it holds (a row's fault), not for a failure
/// that would refuse any change.
fn refused(e: &LedgerError) -> bool {
    matches!(
        e,
        LedgerError::Store(
            StoreError::Invalid(_) | StoreError::Conflict(_) | StoreError::NotFound(_)
        )
    )
}
