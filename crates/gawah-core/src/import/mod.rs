//! Reading a bulk import file (`gawah import incidents|edicts`): bytes into rows, rows into
//! incident inputs or edicts, every bad row reported with its line number and the field at
//! fault. The formats and the column mapping are described in `docs/IMPORT.md`.
//!
//! This is the pure part of the import, kept apart from the command that commits the rows so
//! that it can be tested and fuzzed on bytes alone (`fuzz/`, targets `import_csv` and
//! `import_jsonl`). It reads in bounded memory: one line of at most [`MAX_LINE`] bytes, or one
//! CSV row of at most [`MAX_RECORD`], at a time.
//!
//! - `lines`: physical lines, with lines given back to be read again;
//! - `csv`: RFC 4180 records, strictly;
//! - `hxl`: the hashtag row, the column mapping and the format's detection;
//! - `rows`: a row into an [`IncidentInput`] or an [`Edict`];
//! - `edict`: checking an edict ([`validate_edict`]).

mod csv;
mod edict;
mod hxl;
mod lines;
mod rows;
#[cfg(test)]
mod tests;

use std::io::{self, BufRead};

pub use csv::{MAX_RECORD, parse_record};
pub use edict::{MAX_URL, validate_edict};
pub use hxl::INCIDENT_TAGS;
pub use lines::MAX_LINE;

use crate::edict::Edict;
use crate::incident::IncidentInput;
use csv::{Record, next_record};
use hxl::Format;
use lines::{Lines, too_long_message};

/// Separators of list cells in CSV (`#event+type`, `#group+perpetrator`, `#meta+edict`).
const LIST_SEPARATORS: [char; 2] = [';', '|'];

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Incidents, into one organisation.
    Incidents,
    /// Edicts, shared by every organisation.
    Edicts,
}

impl Kind {
    /// The plural name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Incidents => "incidents",
            Kind::Edicts => "edicts",
        }
    }
}

/// One thing wrong with a row: the field (API name), if one is at fault, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The field, such as `date` or `sources[1].url`; `None` when the row as a whole is wrong.
    pub field: Option<String>,
    /// Why, for the person who fixes the file.
    pub message: String,
}

/// A fault of `field`.
pub fn fault(field: impl Into<String>, message: impl Into<String>) -> Fault {
    Fault {
        field: Some(field.into()),
        message: message.into(),
    }
}

/// A fault of the whole row.
pub fn row_fault(message: impl Into<String>) -> Fault {
    Fault {
        field: None,
        message: message.into(),
    }
}

/// Why a file cannot be imported at all (as opposed to a bad row, which is a [`Fault`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Reading the file failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The file is not in an importable format; the message says why and where.
    #[error("{0}")]
    Format(String),
}

impl ImportError {
    fn format(message: impl Into<String>) -> Self {
        Self::Format(message.into())
    }
}

/// A parsed row, not yet validated.
#[derive(Debug, Clone)]
pub enum Row {
    /// An incident, to be checked with [`IncidentInput::validate`].
    Incident(IncidentInput),
    /// An edict, to be checked with [`validate_edict`].
    Edict(Edict),
}

/// A row parsed, or why it cannot be.
pub type Parsed = Result<Row, Vec<Fault>>;

/// The rows of an import file, read one at a time.
#[derive(Debug)]
pub struct Rows<R> {
    lines: Lines<R>,
    format: Format,
    kind: Kind,
    /// The incident fields a JSON line may hold.
    keys: Vec<String>,
}

impl<R: BufRead> Rows<R> {
    /// Finds the format from the content (JSON Lines when the first non-blank character is
    /// `{`, otherwise CSV whose second row holds HXL hashtags) and reads the CSV header rows.
    /// Returns the reader and notes on columns that are not imported.
    pub fn open(reader: R, kind: Kind) -> Result<(Self, Vec<String>), ImportError> {
        let mut lines = Lines::new(reader);
        let (format, notes) = Format::detect(&mut lines, kind)?;
        let rows = Rows {
            lines,
            format,
            kind,
            keys: rows::incident_keys(),
        };
        Ok((rows, notes))
    }

    /// The next row that is not blank: the line it starts on, and the parsed row or its
    /// faults. `None` at the end of the file; an error only if reading fails.
    pub fn next_row(&mut self) -> io::Result<Option<(u64, Parsed)>> {
        loop {
            let (line, parsed) = match &self.format {
                Format::JsonLines => {
                    let Some(l) = self.lines.next_non_blank()? else {
                        return Ok(None);
                    };
                    if l.too_long {
                        (l.no, Err(vec![row_fault(too_long_message())]))
                    } else {
                        (l.no, self.parse_json(&l.bytes))
                    }
                }
                Format::Csv { width, cols } => match next_record(&mut self.lines, Some(*width))? {
                    None => return Ok(None),
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
            return Ok(Some((line, parsed)));
        }
    }

    /// Bytes read from the file so far (for a progress bar).
    pub fn consumed(&self) -> u64 {
        self.lines.consumed
    }

    /// Whether the file is JSON Lines (otherwise CSV).
    pub fn is_json_lines(&self) -> bool {
        matches!(self.format, Format::JsonLines)
    }

    fn parse_json(&self, bytes: &[u8]) -> Parsed {
        match self.kind {
            Kind::Incidents => rows::incident_from_json(bytes, &self.keys).map(Row::Incident),
            Kind::Edicts => rows::edict_from_json(bytes).map(Row::Edict),
        }
    }

    fn parse_csv(&self, cols: &[hxl::Col], fields: &[Vec<u8>]) -> Parsed {
        match self.kind {
            Kind::Incidents => rows::incident_from_csv(cols, fields).map(Row::Incident),
            Kind::Edicts => rows::edict_from_csv(cols, fields).map(Row::Edict),
        }
    }
}
