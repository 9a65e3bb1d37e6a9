//! `gawah import incidents|edicts`: bulk import from JSON Lines, or from CSV whose second row
//! holds HXL hashtags. The formats, the column mapping and the exit codes are described in
//! `docs/IMPORT.md`.
//!
//! The file is read once, line by line, in bounded memory: one row (at most [`MAX_RECORD`]
//! bytes) and one batch of changes ([`BATCH`] rows) at a time. Each row is parsed, validated
//! and turned into a [`Change`] on its own, so a bad row is reported with its line number and
//! the field at fault and never stops the others. A batch is one [`Ledger::commit`]; should the
//! store refuse a batch because of one row, that batch is committed row by row and only the
//! refused row is reported.
//!
//! CSV is parsed here rather than with a lenient parser: RFC 4180 quoting is enforced so that a
//! broken row (an unclosed quote, a stray quote) is reported on its own line instead of
//! silently swallowing the rows after it. A quoted field may span lines; if it runs on and the
//! row does not come out with the header's field count, the quote is taken as unclosed, the
//! row is rejected, and reading resumes on the line after it.
//!
//! Output: each rejected row on stdout as it is found (`line L: field: reason`), then
//! `imported N, rejected M`; with `--json` one object
//! `{"imported":N,"rejected":[{"line":L,"field":F,"message":M}],"rejected_rows":M}`, whose
//! rejections are spilled to a temporary file meanwhile so memory stays bounded.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use gawah_core::edict::{Edict, Source, Translated};
use gawah_core::incident::{IncidentInput, MAX_DESCRIPTION, MAX_SHORT, MAX_TITLE, parse_date};
use gawah_core::vocab::PROVINCES;
use gawah_core::{Action, Commitment, IncidentId, LogEntry, OrgId, Salt, Sha256Digest};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, Ledger, LedgerError, RecordWrite, StoreError};
use gawah_web::error::AppError;
use gawah_web::records::incident_change;
use indicatif::ProgressBar;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::Outcome;
use crate::cli::{Global, ImportArgs, ImportCommand};
use crate::output::progress;

/// Rows per [`Ledger::commit`].
const BATCH: usize = 1000;
/// Longest physical line read; a longer one is rejected and skipped.
const MAX_LINE: usize = 1 << 20;
/// Longest CSV row (a quoted field may span lines).
const MAX_RECORD: usize = 1 << 20;
/// Longest source address accepted for an edict.
const MAX_URL: usize = 2000;
/// Separators of list cells in CSV (`#event+type`, `#group+perpetrator`, `#meta+edict`).
const LIST_SEPARATORS: [char; 2] = [';', '|'];

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
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file));
    let (format, notes) = Format::detect(&mut lines, kind)
        .with_context(|| format!("cannot import {}", path.display()))?;
    for note in notes {
        eprintln!("gawah: note: {note}");
    }
    let known_edicts: HashSet<String> = ledger.store.edicts()?.into_iter().map(|e| e.id).collect();
    let bar = progress(len, true);
    let mut imp = Importer {
        ledger: &ledger,
        kind,
        org: org.id,
        known_edicts,
        report: Report::new(g.json, bar.clone())?,
        batch: Vec::new(),
        imported: 0,
    };
    let read = imp.read_all(&mut lines, &format);
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

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Incidents,
    Edicts,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Incidents => "incidents",
            Kind::Edicts => "edicts",
        }
    }
}

/// One thing wrong with a row: the field (API name), if one is at fault, and why.
type Fault = (Option<String>, String);

fn fault(field: impl Into<String>, message: impl Into<String>) -> Fault {
    (Some(field.into()), message.into())
}

fn row_fault(message: impl Into<String>) -> Fault {
    (None, message.into())
}

// ---------------------------------------------------------------------------------------------
// Lines

/// A physical line: its number (from 1), its bytes without the line end, and whether it was
/// longer than [`MAX_LINE`] (its bytes are then dropped).
#[derive(Debug)]
struct Line {
    no: u64,
    bytes: Vec<u8>,
    too_long: bool,
}

impl Line {
    fn is_blank(&self) -> bool {
        !self.too_long && self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

/// Physical lines of a reader, with lines given back ([`Lines::unread`]) read again first.
#[derive(Debug)]
struct Lines<R> {
    inner: R,
    read: u64,
    consumed: u64,
    replay: VecDeque<Line>,
}

impl<R: BufRead> Lines<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            read: 0,
            consumed: 0,
            replay: VecDeque::new(),
        }
    }

    fn next(&mut self) -> io::Result<Option<Line>> {
        if let Some(l) = self.replay.pop_front() {
            return Ok(Some(l));
        }
        let mut bytes = Vec::new();
        let (mut any, mut too_long) = (false, false);
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let newline = avail.iter().position(|&b| b == b'\n');
            let take = newline.map_or(avail.len(), |i| i + 1);
            let content = &avail[..newline.unwrap_or(avail.len())];
            if !too_long {
                if bytes.len() + content.len() > MAX_LINE {
                    too_long = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(content);
                }
            }
            self.inner.consume(take);
            self.consumed += take as u64;
            if newline.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        self.read += 1;
        if self.read == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        Ok(Some(Line {
            no: self.read,
            bytes,
            too_long,
        }))
    }

    /// Gives lines back, to be read again (in this order) before any other.
    fn unread(&mut self, lines: Vec<Line>) {
        for l in lines.into_iter().rev() {
            self.replay.push_front(l);
        }
    }

    /// The next line that is not blank.
    fn next_non_blank(&mut self) -> io::Result<Option<Line>> {
        loop {
            match self.next()? {
                Some(l) if l.is_blank() => continue,
                other => return Ok(other),
            }
        }
    }
}

fn too_long_message() -> String {
    format!("the line is longer than {} MiB", MAX_LINE >> 20)
}

// ---------------------------------------------------------------------------------------------
// CSV

/// A CSV row, or why it is not one. `line` is where it starts.
#[derive(Debug)]
enum Record {
    Row { line: u64, fields: Vec<Vec<u8>> },
    Bad { line: u64, message: String },
}

/// Parses one CSV record (lines joined by `\n`) by RFC 4180: fields separated by commas; a
/// quoted field starts with `"`, doubles any `"` inside, and its closing quote is followed by a
/// comma or the end of the record.
fn parse_record(rec: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let n = fields.len() + 1;
        if rec.get(i) == Some(&b'"') {
            let mut field = Vec::new();
            i += 1;
            loop {
                match rec.get(i) {
                    None => return Err(format!("column {n}: unclosed quote")),
                    Some(b'"') if rec.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        field.push(c);
                        i += 1;
                    }
                }
            }
            fields.push(field);
            match rec.get(i) {
                None => return Ok(fields),
                Some(b',') => i += 1,
                Some(_) => {
                    return Err(format!(
                        "column {n}: text after the closing quote; inside a quoted field write a quote as \"\""
                    ));
                }
            }
        } else {
            let end = rec[i..]
                .iter()
                .position(|&c| c == b',')
                .map_or(rec.len(), |p| i + p);
            let field = &rec[i..end];
            if field.contains(&b'"') {
                return Err(format!(
                    "column {n}: a quote inside an unquoted field; quote the whole field and write the quote as \"\""
                ));
            }
            fields.push(field.to_vec());
            if end == rec.len() {
                return Ok(fields);
            }
            i = end + 1;
        }
    }
}

/// Reads the next CSV record that is not blank. `width` is the header's field count, once
/// known: a row spanning lines that does not match it is taken as an unclosed quote, rejected
/// on its first line, and the lines after that are read again as rows of their own.
fn next_record<R: BufRead>(
    lines: &mut Lines<R>,
    width: Option<usize>,
) -> io::Result<Option<Record>> {
    let Some(first) = lines.next_non_blank()? else {
        return Ok(None);
    };
    let line = first.no;
    if first.too_long {
        return Ok(Some(Record::Bad {
            line,
            message: too_long_message(),
        }));
    }
    let unclosed = |detail: &str| Record::Bad {
        line,
        message: format!("unclosed quote: a quoted field starting on this line {detail}"),
    };
    let mut quotes = count_quotes(&first.bytes);
    let mut rec = first.bytes;
    let mut more: Vec<Line> = Vec::new();
    while quotes % 2 == 1 {
        match lines.next()? {
            None => {
                lines.unread(more);
                return Ok(Some(unclosed("is never closed")));
            }
            Some(l) if l.too_long || rec.len() + l.bytes.len() >= MAX_RECORD => {
                more.push(l);
                lines.unread(more);
                return Ok(Some(unclosed(&format!(
                    "is not closed within {} MiB",
                    MAX_RECORD >> 20
                ))));
            }
            Some(l) => {
                quotes += count_quotes(&l.bytes);
                rec.push(b'\n');
                rec.extend_from_slice(&l.bytes);
                more.push(l);
            }
        }
    }
    let last = more.last().map(|l| l.no);
    match (parse_record(&rec), last) {
        (Ok(fields), Some(last)) if width.is_some_and(|w| w != fields.len()) => {
            lines.unread(more);
            Ok(Some(unclosed(&format!(
                "runs to line {last} and leaves the row with {} fields, not {}",
                fields.len(),
                width.unwrap_or_default()
            ))))
        }
        (Ok(fields), _) => Ok(Some(Record::Row { line, fields })),
        (Err(_), Some(last)) => {
            lines.unread(more);
            Ok(Some(unclosed(&format!("is not closed before line {last}"))))
        }
        (Err(message), None) => Ok(Some(Record::Bad { line, message })),
    }
}

fn count_quotes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'"').count()
}

fn utf8_message(e: &std::str::Utf8Error) -> String {
    format!(
        "is not valid UTF-8 (byte {} of the cell); save the file as UTF-8",
        e.valid_up_to() + 1
    )
}

// ---------------------------------------------------------------------------------------------
// HXL

/// A parsed HXL hashtag: the tag name and its attributes, lowercased; attribute order is
/// irrelevant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    name: String,
    attrs: BTreeSet<String>,
}

impl Tag {
    /// Parses `#name +attr +attr` (case-insensitive, spaces around `+` allowed); an empty cell
    /// is an untagged column.
    fn parse(cell: &str) -> Result<Option<Tag>, String> {
        let cell = cell.trim();
        if cell.is_empty() {
            return Ok(None);
        }
        let Some(rest) = cell.strip_prefix('#') else {
            return Err(format!("{cell:?} is not an HXL hashtag (#name+attribute)"));
        };
        let ok = |s: &str| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let mut parts = rest.split('+').map(|p| p.trim().to_ascii_lowercase());
        let name = parts.next().unwrap_or_default();
        let attrs: BTreeSet<String> = parts.collect();
        if !ok(&name) || !attrs.iter().all(|a| ok(a)) {
            return Err(format!("{cell:?} is not an HXL hashtag (#name+attribute)"));
        }
        Ok(Some(Tag { name, attrs }))
    }

    fn of(text: &str) -> Tag {
        Tag::parse(text).ok().flatten().unwrap_or(Tag {
            name: String::new(),
            attrs: BTreeSet::new(),
        })
    }
}

/// Where a column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Ref,
    Title,
    Description,
    Date,
    DatePrecision,
    Province,
    ProvinceName,
    ViolationTypes,
    Perpetrators,
    ExactLocation,
    Reliability,
    Credibility,
    Verification,
    Edicts,
    Id,
    Domain,
    Summary,
    IssuingBody,
    Scope,
    SourceTitle,
    SourceUrl,
}

impl Target {
    /// The field's name in the API.
    fn field(self) -> &'static str {
        match self {
            Target::Ref => "ref",
            Target::Title => "title",
            Target::Description => "description",
            Target::Date => "date",
            Target::DatePrecision => "date_precision",
            Target::Province | Target::ProvinceName => "province",
            Target::ViolationTypes => "violation_types",
            Target::Perpetrators => "perpetrators",
            Target::ExactLocation => "exact_location",
            Target::Reliability => "source_reliability",
            Target::Credibility => "source_credibility",
            Target::Verification => "verification_status",
            Target::Edicts => "edicts",
            Target::Id => "id",
            Target::Domain => "domain",
            Target::Summary => "summary",
            Target::IssuingBody => "issuing_body",
            Target::Scope => "scope",
            Target::SourceTitle | Target::SourceUrl => "sources",
        }
    }

    /// Whether several columns may carry it (their values are concatenated or paired).
    fn repeatable(self) -> bool {
        matches!(
            self,
            Target::ViolationTypes
                | Target::Perpetrators
                | Target::Edicts
                | Target::SourceTitle
                | Target::SourceUrl
        )
    }
}

/// The HXL hashtags of incident columns. Documented in `docs/IMPORT.md`.
pub const INCIDENT_TAGS: [(&str, &str); 14] = [
    ("#meta+ref", "ref"),
    ("#event+title", "title"),
    ("#description", "description"),
    ("#date", "date"),
    ("#date+precision", "date_precision"),
    ("#adm1+code", "province"),
    ("#adm1+name", "province (English name)"),
    ("#event+type", "violation_types"),
    ("#group+perpetrator", "perpetrators"),
    ("#loc+exact", "exact_location"),
    ("#meta+source+reliability", "source_reliability"),
    ("#meta+source+credibility", "source_credibility"),
    ("#status+verification", "verification_status"),
    ("#meta+edict", "edicts"),
];

const INCIDENT_TARGETS: [Target; 14] = [
    Target::Ref,
    Target::Title,
    Target::Description,
    Target::Date,
    Target::DatePrecision,
    Target::Province,
    Target::ProvinceName,
    Target::ViolationTypes,
    Target::Perpetrators,
    Target::ExactLocation,
    Target::Reliability,
    Target::Credibility,
    Target::Verification,
    Target::Edicts,
];

/// The HXL hashtags of edict columns; the translated ones (title, description, issuing body,
/// scope) take a language attribute `+i_en`, `+i_fa` or `+i_ps` (English without one).
const EDICT_TAGS: [(&str, Target); 10] = [
    ("#meta+id", Target::Id),
    ("#date", Target::Date),
    ("#sector", Target::Domain),
    ("#meta+domain", Target::Domain),
    ("#event+title", Target::Title),
    ("#description", Target::Summary),
    ("#org+issuing", Target::IssuingBody),
    ("#loc+scope", Target::Scope),
    ("#meta+source+title", Target::SourceTitle),
    ("#meta+source+url", Target::SourceUrl),
];

fn translated(t: Target) -> bool {
    matches!(
        t,
        Target::Title | Target::Summary | Target::IssuingBody | Target::Scope
    )
}

/// A mapped column.
#[derive(Debug, Clone)]
struct Col {
    index: usize,
    target: Target,
    /// `en`, `fa` or `ps` for translated edict texts.
    lang: &'static str,
    /// The API field it fills, for messages (`title`, `title.fa`, …).
    field: String,
}

/// Maps the hashtag row to fields; returns the columns and notes on columns not imported.
fn map_columns(kind: Kind, tags: &[String]) -> Result<(Vec<Col>, Vec<String>)> {
    let table: Vec<(Tag, Target)> = match kind {
        Kind::Incidents => INCIDENT_TAGS
            .iter()
            .zip(INCIDENT_TARGETS)
            .map(|((t, _), target)| (Tag::of(t), target))
            .collect(),
        Kind::Edicts => EDICT_TAGS
            .iter()
            .map(|(t, target)| (Tag::of(t), *target))
            .collect(),
    };
    let mut cols: Vec<Col> = Vec::new();
    let mut notes = Vec::new();
    for (index, cell) in tags.iter().enumerate() {
        let n = index + 1;
        let Some(mut tag) = Tag::parse(cell).map_err(|e| anyhow!("HXL row, column {n}: {e}"))?
        else {
            continue;
        };
        let mut lang = "en";
        let mut has_lang = false;
        if kind == Kind::Edicts
            && let Some(attr) = tag.attrs.iter().find(|a| a.starts_with("i_")).cloned()
        {
            tag.attrs.remove(&attr);
            has_lang = true;
            match attr.as_str() {
                "i_en" => lang = "en",
                "i_fa" => lang = "fa",
                "i_ps" => lang = "ps",
                _ => {
                    notes.push(format!(
                        "column {n} ({}) is not imported: the language must be i_en, i_fa or i_ps",
                        cell.trim()
                    ));
                    continue;
                }
            }
        }
        let found = table
            .iter()
            .find(|(t, target)| *t == tag && (!has_lang || translated(*target)))
            .map(|(_, target)| *target);
        let Some(target) = found else {
            notes.push(format!(
                "column {n} ({}) is not imported: not a hashtag gawah maps for {} (see docs/IMPORT.md)",
                cell.trim(),
                kind.name()
            ));
            continue;
        };
        let field = if translated(target) && kind == Kind::Edicts {
            format!("{}.{lang}", target.field())
        } else {
            target.field().to_owned()
        };
        if !target.repeatable()
            && let Some(other) = cols.iter().find(|c| c.target == target && c.lang == lang)
        {
            bail!(
                "HXL row: columns {} and {n} both give {field}",
                other.index + 1
            );
        }
        cols.push(Col {
            index,
            target,
            lang,
            field,
        });
    }
    let has = |t: Target| cols.iter().any(|c| c.target == t && c.lang == "en");
    let required: &[(&[Target], &str)] = match kind {
        Kind::Incidents => &[
            (&[Target::Title], "#event+title"),
            (&[Target::Date], "#date"),
            (&[Target::Province, Target::ProvinceName], "#adm1+code"),
        ],
        Kind::Edicts => &[
            (&[Target::Id], "#meta+id"),
            (&[Target::Date], "#date"),
            (&[Target::Domain], "#sector"),
            (&[Target::Title], "#event+title+i_en"),
        ],
    };
    for (targets, tag) in required {
        if !targets.iter().any(|t| has(*t)) {
            bail!(
                "HXL row: no {tag} column, which {} need (see docs/IMPORT.md)",
                kind.name()
            );
        }
    }
    Ok((cols, notes))
}

// ---------------------------------------------------------------------------------------------
// Formats

/// The file's format, found from its content.
#[derive(Debug)]
enum Format {
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header row and an HXL hashtag row.
    Csv { width: usize, cols: Vec<Col> },
}

impl Format {
    /// JSON Lines when the first non-blank character is `{`, otherwise CSV, whose second row
    /// must hold HXL hashtags. Consumes the CSV header rows, not the first JSON line.
    fn detect<R: BufRead>(lines: &mut Lines<R>, kind: Kind) -> Result<(Format, Vec<String>)> {
        let Some(first) = lines.next_non_blank()? else {
            bail!("the file is empty");
        };
        let start = first
            .bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        lines.unread(vec![first]);
        match start {
            Some(b'{') => return Ok((Format::JsonLines, Vec::new())),
            Some(b'[') => bail!("a JSON array is not JSON Lines; write one JSON object per line"),
            _ => {}
        }
        let header = match next_record(lines, None)? {
            Some(Record::Row { fields, .. }) => fields,
            Some(Record::Bad { line, message }) => {
                bail!("line {line}: the header row is not valid CSV: {message}")
            }
            None => bail!("the file is empty"),
        };
        let width = header.len();
        let no_hxl = "the second row must be an HXL hashtag row, such as \
             #meta+ref,#event+title,#date,#adm1+code (see docs/IMPORT.md)";
        if is_hxl_row(&header) {
            bail!("line 1 holds HXL hashtags; put a header row above it: {no_hxl}");
        }
        let (line, hxl) = match next_record(lines, Some(width))? {
            Some(Record::Row { line, fields }) => (line, fields),
            Some(Record::Bad { line, message }) => bail!("line {line}: {message}; {no_hxl}"),
            None => bail!("the file has a header row only; {no_hxl}"),
        };
        if !is_hxl_row(&hxl) {
            bail!("line {line}: not a CSV file with HXL hashtags: {no_hxl}");
        }
        if hxl.len() != width {
            bail!(
                "line {line}: the HXL row has {} fields, the header {width}",
                hxl.len()
            );
        }
        let tags = hxl
            .iter()
            .map(|c| String::from_utf8(c.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| anyhow!("line {line}: the HXL row is not valid UTF-8"))?;
        let (cols, notes) = map_columns(kind, &tags).with_context(|| format!("line {line}"))?;
        Ok((Format::Csv { width, cols }, notes))
    }
}

/// Whether every cell is empty or a hashtag, and one is a hashtag.
fn is_hxl_row(cells: &[Vec<u8>]) -> bool {
    let trimmed = |c: &Vec<u8>| -> Vec<u8> {
        c.iter()
            .copied()
            .skip_while(u8::is_ascii_whitespace)
            .collect()
    };
    let cells: Vec<Vec<u8>> = cells.iter().map(trimmed).collect();
    cells.iter().any(|c| c.starts_with(b"#"))
        && cells.iter().all(|c| c.is_empty() || c.starts_with(b"#"))
}

// ---------------------------------------------------------------------------------------------
// Rows into inputs

/// The text of column `col`, or a fault if it is not UTF-8.
fn cell<'a>(col: &Col, fields: &'a [Vec<u8>], faults: &mut Vec<Fault>) -> Option<&'a str> {
    let bytes = fields.get(col.index)?;
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            faults.push(fault(col.field.clone(), utf8_message(&e)));
            None
        }
    }
}

fn split_list(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(LIST_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.to_owned()).filter(|t| !t.trim().is_empty())
}

/// The province code for an English province name, case-insensitively.
fn province_by_name(name: &str) -> Option<&'static str> {
    let name = name.trim();
    PROVINCES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(c, _)| *c)
}

fn incident_from_csv(cols: &[Col], fields: &[Vec<u8>]) -> Result<IncidentInput, Vec<Fault>> {
    let mut input = IncidentInput::default();
    let mut faults = Vec::new();
    let mut province_name = None;
    for col in cols {
        let Some(text) = cell(col, fields, &mut faults) else {
            continue;
        };
        match col.target {
            Target::Ref => input.reference = non_empty(text),
            Target::Title => input.title = text.to_owned(),
            Target::Description => input.description = text.to_owned(),
            Target::Date => input.date = text.to_owned(),
            Target::DatePrecision => input.date_precision = non_empty(text.trim()),
            Target::Province => input.province = text.to_owned(),
            Target::ProvinceName => province_name = non_empty(text),
            Target::ViolationTypes => input.violation_types.extend(split_list(text)),
            Target::Perpetrators => input.perpetrators.extend(split_list(text)),
            Target::Edicts => input.edicts.extend(split_list(text)),
            Target::ExactLocation => input.exact_location = non_empty(text),
            Target::Reliability => input.source_reliability = non_empty(text),
            Target::Verification => input.verification_status = non_empty(text.trim()),
            Target::Credibility => match text.trim() {
                "" => {}
                t => match t.parse::<u8>() {
                    Ok(n) => input.source_credibility = Some(n),
                    Err(_) => faults.push(fault(
                        "source_credibility",
                        format!("{t:?} is not a number from 1 to 6"),
                    )),
                },
            },
            _ => {}
        }
    }
    if input.province.trim().is_empty()
        && let Some(name) = province_name
    {
        match province_by_name(&name) {
            Some(code) => input.province = code.to_owned(),
            None => faults.push(fault(
                "province",
                format!(
                    "{name:?} is not a province name; use the English name (Kabul, Herat, …) or \
                     an ISO 3166-2:AF code in #adm1+code"
                ),
            )),
        }
    }
    if faults.is_empty() {
        Ok(input)
    } else {
        Err(faults)
    }
}

fn edict_from_csv(cols: &[Col], fields: &[Vec<u8>]) -> Result<Edict, Vec<Fault>> {
    let mut e = Edict {
        id: String::new(),
        date: String::new(),
        domain: String::new(),
        title: Translated::default(),
        summary: Translated::default(),
        issuing_body: Translated::default(),
        scope: Translated::default(),
        sources: Vec::new(),
    };
    let mut faults = Vec::new();
    let (mut titles, mut urls) = (Vec::new(), Vec::new());
    for col in cols {
        let Some(text) = cell(col, fields, &mut faults) else {
            continue;
        };
        let text = text.to_owned();
        let set = |t: &mut Translated, v: String| match col.lang {
            "fa" => t.fa = v,
            "ps" => t.ps = v,
            _ => t.en = v,
        };
        match col.target {
            Target::Id => e.id = text,
            Target::Date => e.date = text,
            Target::Domain => e.domain = text,
            Target::Title => set(&mut e.title, text),
            Target::Summary => set(&mut e.summary, text),
            Target::IssuingBody => set(&mut e.issuing_body, text),
            Target::Scope => set(&mut e.scope, text),
            Target::SourceTitle => titles.push(text),
            Target::SourceUrl => urls.push(text),
            _ => {}
        }
    }
    for i in 0..titles.len().max(urls.len()) {
        let title = titles.get(i).cloned().unwrap_or_default();
        let url = urls.get(i).cloned().unwrap_or_default();
        if !title.trim().is_empty() || !url.trim().is_empty() {
            e.sources.push(Source { title, url });
        }
    }
    if faults.is_empty() {
        Ok(e)
    } else {
        Err(faults)
    }
}

/// A JSON line as an object, or why it is not one.
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, Vec<Fault>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![row_fault(format!(
            "invalid UTF-8 at byte {} of the line; save the file as UTF-8",
            e.valid_up_to() + 1
        ))]
    })?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(vec![row_fault(
            "not a JSON object; write one object per line",
        )]),
        Err(e) => {
            let m = e.to_string();
            let m = m.split(" at line ").next().unwrap_or_default();
            Err(vec![row_fault(format!(
                "invalid JSON at column {}: {m}",
                e.column()
            ))])
        }
    }
}

/// Faults for keys of `obj` not in `known`, named `prefix` + key.
fn unknown_keys(obj: &Map<String, Value>, known: &[&str], prefix: &str) -> Vec<Fault> {
    obj.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            fault(
                format!("{prefix}{k}"),
                format!("is not a known field; known fields: {}", known.join(", ")),
            )
        })
        .collect()
}

fn incident_keys() -> Vec<String> {
    match serde_json::to_value(IncidentInput::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn incident_from_json(bytes: &[u8], known: &[&str]) -> Result<IncidentInput, Vec<Fault>> {
    let obj = json_object(bytes)?;
    let unknown = unknown_keys(&obj, known, "");
    if !unknown.is_empty() {
        return Err(unknown);
    }
    // Each field on its own, so that a wrong type is named by its field.
    let mut faults = Vec::new();
    for (k, v) in &obj {
        let one = Map::from_iter([(k.clone(), v.clone())]);
        if let Err(e) = serde_json::from_value::<IncidentInput>(Value::Object(one)) {
            let expected = match k.as_str() {
                "violation_types" | "perpetrators" | "edicts" => "must be a list of strings",
                "source_credibility" => "must be a whole number from 1 to 6",
                _ => "must be a string",
            };
            faults.push(fault(k.clone(), format!("{expected} ({e})")));
        }
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    serde_json::from_value(Value::Object(obj)).map_err(|e| vec![row_fault(e.to_string())])
}

const EDICT_KEYS: [&str; 8] = [
    "id",
    "date",
    "domain",
    "title",
    "summary",
    "issuing_body",
    "scope",
    "sources",
];
const TRANSLATED_KEYS: [&str; 3] = ["en", "fa", "ps"];
const SOURCE_KEYS: [&str; 2] = ["title", "url"];

/// An edict object, as `GET /api/v1/edicts` lists them. Missing translations (`fa`, `ps`) are
/// taken as empty; unknown fields, at any depth, are refused.
fn edict_from_json(bytes: &[u8]) -> Result<Edict, Vec<Fault>> {
    let obj = json_object(bytes)?;
    let mut faults = unknown_keys(&obj, &EDICT_KEYS, "");
    fn get<T: DeserializeOwned + Default>(
        obj: &Map<String, Value>,
        key: &str,
        faults: &mut Vec<Fault>,
    ) -> T {
        match obj.get(key) {
            None => {
                faults.push(fault(key, "is required"));
                T::default()
            }
            Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                faults.push(fault(key, e.to_string()));
                T::default()
            }),
        }
    }
    let text = |key: &str, faults: &mut Vec<Fault>| -> Translated {
        match obj.get(key) {
            None => {
                faults.push(fault(format!("{key}.en"), "is required"));
                Translated::default()
            }
            Some(Value::Object(t)) => {
                faults.extend(unknown_keys(t, &TRANSLATED_KEYS, &format!("{key}.")));
                let lang = |l: &str, faults: &mut Vec<Fault>| -> String {
                    match t.get(l) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(_) => {
                            faults.push(fault(format!("{key}.{l}"), "must be a string"));
                            String::new()
                        }
                    }
                };
                Translated {
                    en: lang("en", faults),
                    fa: lang("fa", faults),
                    ps: lang("ps", faults),
                }
            }
            Some(_) => {
                faults.push(fault(key, "must be an object with en, fa and ps"));
                Translated::default()
            }
        }
    };
    let title = text("title", &mut faults);
    let summary = text("summary", &mut faults);
    let issuing_body = text("issuing_body", &mut faults);
    let scope = text("scope", &mut faults);
    let mut sources = Vec::new();
    match obj.get("sources") {
        None => faults.push(fault("sources", "is required")),
        Some(Value::Array(list)) => {
            for (i, s) in list.iter().enumerate() {
                let name = format!("sources[{}]", i + 1);
                match s {
                    Value::Object(m) => {
                        faults.extend(unknown_keys(m, &SOURCE_KEYS, &format!("{name}.")));
                        let mut f = Vec::new();
                        let title: String = get(m, "title", &mut f);
                        let url: String = get(m, "url", &mut f);
                        faults.extend(
                            f.into_iter()
                                .map(|(k, msg)| (k.map(|k| format!("{name}.{k}")), msg)),
                        );
                        sources.push(Source { title, url });
                    }
                    _ => faults.push(fault(name, "must be an object with title and url")),
                }
            }
        }
        Some(_) => faults.push(fault("sources", "must be a list of {title, url} objects")),
    }
    let e = Edict {
        id: get(&obj, "id", &mut faults),
        date: get(&obj, "date", &mut faults),
        domain: get(&obj, "domain", &mut faults),
        title,
        summary,
        issuing_body,
        scope,
        sources,
    };
    if faults.is_empty() {
        Ok(e)
    } else {
        Err(faults)
    }
}

// ---------------------------------------------------------------------------------------------
// Validation of edicts (incidents validate themselves)

fn check_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    faults: &mut Vec<Fault>,
) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        faults.push(fault(field, "is required"));
    } else if v.chars().count() > max {
        faults.push(fault(field, format!("is longer than {max} characters")));
    } else if v
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        faults.push(fault(field, "contains control characters"));
    }
    v.to_owned()
}

fn check_translated(
    field: &str,
    t: &Translated,
    max: usize,
    en_required: bool,
    faults: &mut Vec<Fault>,
) -> Translated {
    Translated {
        en: check_text(&format!("{field}.en"), &t.en, max, en_required, faults),
        fa: check_text(&format!("{field}.fa"), &t.fa, max, false, faults),
        ps: check_text(&format!("{field}.ps"), &t.ps, max, false, faults),
    }
}

/// Checks and normalises an edict: id (upper-cased) of letters, digits, `_`, `.`, `-`; a
/// date as for incidents; a known domain; an English title; at least one source with a title
/// and an http(s) address.
fn validate_edict(e: &Edict) -> Result<Edict, Vec<Fault>> {
    let mut faults = Vec::new();
    let id = e.id.trim().to_ascii_uppercase();
    let id_ok = (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !id_ok {
        faults.push(fault(
            "id",
            format!(
                "{:?} is not an edict id; use 1 to 64 letters, digits, '_', '.' or '-', \
                 such as E001",
                e.id
            ),
        ));
    }
    let date = e.date.trim().to_owned();
    if let Err(m) = parse_date(&date) {
        faults.push(fault("date", m));
    }
    let domain = e.domain.trim().to_ascii_lowercase();
    if !gawah_demo::DOMAINS.contains(&domain.as_str()) {
        faults.push(fault(
            "domain",
            format!(
                "{:?} is not a domain; use one of {}",
                e.domain,
                gawah_demo::DOMAINS.join(", ")
            ),
        ));
    }
    let title = check_translated("title", &e.title, MAX_TITLE, true, &mut faults);
    let summary = check_translated("summary", &e.summary, MAX_DESCRIPTION, false, &mut faults);
    let issuing_body = check_translated(
        "issuing_body",
        &e.issuing_body,
        MAX_SHORT,
        false,
        &mut faults,
    );
    let scope = check_translated("scope", &e.scope, MAX_SHORT, false, &mut faults);
    if e.sources.is_empty() {
        faults.push(fault(
            "sources",
            "at least one source (title and address) is required",
        ));
    }
    let sources = e
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = format!("sources[{}]", i + 1);
            let title = check_text(
                &format!("{name}.title"),
                &s.title,
                MAX_SHORT,
                true,
                &mut faults,
            );
            let url = s.url.trim().to_owned();
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            let url_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
                && url.len() <= MAX_URL
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if !url_ok {
                faults.push(fault(
                    format!("{name}.url"),
                    format!("{:?} is not an http(s) address", s.url),
                ));
            }
            Source { title, url }
        })
        .collect();
    if !faults.is_empty() {
        return Err(faults);
    }
    Ok(Edict {
        id,
        date,
        domain,
        title,
        summary,
        issuing_body,
        scope,
        sources,
    })
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
        for (field, message) in faults {
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
    kind: Kind,
    org: OrgId,
    known_edicts: HashSet<String>,
    report: Report,
    /// Changes not yet committed, with their line numbers.
    batch: Vec<(u64, Change)>,
    imported: u64,
}

impl Importer<'_> {
    fn read_all<R: BufRead>(&mut self, lines: &mut Lines<R>, format: &Format) -> Result<()> {
        let keys = incident_keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        loop {
            let (line, parsed) = match format {
                Format::JsonLines => {
                    let Some(l) = lines.next_non_blank()? else {
                        break;
                    };
                    if l.too_long {
                        (l.no, Err(vec![row_fault(too_long_message())]))
                    } else {
                        (l.no, self.parse_json(&l.bytes, &keys))
                    }
                }
                Format::Csv { width, cols } => match next_record(lines, Some(*width))? {
                    None => break,
                    Some(Record::Bad { line, message }) => (line, Err(vec![row_fault(message)])),
                    Some(Record::Row { line, fields }) => {
                        if fields.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                            continue;
                        }
                        if fields.len() != *width {
                            let m = format!("has {} fields; the header has {width}", fields.len());
                            (line, Err(vec![row_fault(m)]))
                        } else {
                            (line, self.parse_csv(cols, &fields))
                        }
                    }
                },
            };
            self.report.bar.set_position(lines.consumed);
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

    fn parse_json(&self, bytes: &[u8], keys: &[&str]) -> Result<Row, Vec<Fault>> {
        match self.kind {
            Kind::Incidents => incident_from_json(bytes, keys).map(Row::Incident),
            Kind::Edicts => edict_from_json(bytes).map(Row::Edict),
        }
    }

    fn parse_csv(&self, cols: &[Col], fields: &[Vec<u8>]) -> Result<Row, Vec<Fault>> {
        match self.kind {
            Kind::Incidents => incident_from_csv(cols, fields).map(Row::Incident),
            Kind::Edicts => edict_from_csv(cols, fields).map(Row::Edict),
        }
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
        let edict = match validate_edict(e) {
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

/// A parsed row.
#[derive(Debug)]
enum Row {
    Incident(IncidentInput),
    Edict(Edict),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &str) -> Vec<String> {
        parse_record(s.as_bytes())
            .unwrap()
            .into_iter()
            .map(|f| String::from_utf8(f).unwrap())
            .collect()
    }

    #[test]
    fn import_csv_records_follow_rfc_4180() {
        assert_eq!(fields("a,b,c"), ["a", "b", "c"]);
        assert_eq!(fields(""), [""]);
        assert_eq!(fields("a,,"), ["a", "", ""]);
        assert_eq!(
            fields("\"x, y\",\"say \"\"hi\"\"\",z"),
            ["x, y", "say \"hi\"", "z"]
        );
        assert_eq!(fields("\"two\nlines\",b"), ["two\nlines", "b"]);
        assert_eq!(fields("\"\",b"), ["", "b"]);
        assert!(parse_record(b"\"open,b").is_err());
        assert!(parse_record(b"\"a\"b,c").is_err());
        assert!(parse_record(b"a\"b,c").is_err());
    }

    fn records(text: &str, width: usize) -> Vec<String> {
        let mut lines = Lines::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(r) = next_record(&mut lines, Some(width)).unwrap() {
            out.push(match r {
                Record::Row { line, fields } => format!("{line}:{}", fields.len()),
                Record::Bad { line, .. } => format!("{line}:bad"),
            });
        }
        out
    }

    #[test]
    fn import_an_unclosed_quote_loses_only_its_row() {
        assert_eq!(
            records("a,b\n\"open,b\nc,d\n\"e\",f\ng,h\n", 2),
            ["1:2", "2:bad", "3:2", "4:2", "5:2"]
        );
        assert_eq!(records("a,b\n\"open,b\nc,d\n", 2), ["1:2", "2:bad", "3:2"]);
        assert_eq!(records("\"multi\nline\",b\r\n\r\nc,d", 2), ["1:2", "4:2"]);
        assert_eq!(records("a,\"b\"x\nc,d", 2), ["1:bad", "2:2"]);
    }

    #[test]
    fn import_hxl_tags_ignore_case_spaces_and_attribute_order() {
        assert_eq!(
            Tag::parse(" #META +Source+Reliability").unwrap(),
            Tag::parse("#meta+reliability+source").unwrap()
        );
        assert_eq!(Tag::parse("").unwrap(), None);
        assert!(Tag::parse("title").is_err());
        assert!(Tag::parse("#date+").is_err());
        let tags: Vec<String> = ["#Event+Title", "", "#ADM1+code", "#date", "#x_custom"]
            .map(String::from)
            .to_vec();
        let (cols, notes) = map_columns(Kind::Incidents, &tags).unwrap();
        let got: Vec<(usize, &str)> = cols.iter().map(|c| (c.index, c.field.as_str())).collect();
        assert_eq!(got, [(0, "title"), (2, "province"), (3, "date")]);
        assert_eq!(notes.len(), 1);
        let dup: Vec<String> = [
            "#event+title",
            "#date",
            "#adm1+code",
            "#meta+source+reliability",
            "#META+reliability+Source",
        ]
        .map(String::from)
        .to_vec();
        assert!(map_columns(Kind::Incidents, &dup).is_err());
        let edicts: Vec<String> = [
            "#meta+id",
            "#date",
            "#sector",
            "#event+i_fa+title",
            "#event+title+i_en",
        ]
        .map(String::from)
        .to_vec();
        let (cols, _) = map_columns(Kind::Edicts, &edicts).unwrap();
        assert_eq!(cols[3].field, "title.fa");
        assert_eq!(cols[4].field, "title.en");
    }

    #[test]
    fn import_every_incident_tag_maps_to_an_api_field() {
        let keys = incident_keys();
        for ((tag, field), target) in INCIDENT_TAGS.iter().zip(INCIDENT_TARGETS) {
            assert!(Tag::parse(tag).unwrap().is_some(), "{tag}");
            assert!(field.starts_with(target.field()), "{tag}");
            assert!(keys.iter().any(|k| k == target.field()), "{tag}");
        }
    }
}
