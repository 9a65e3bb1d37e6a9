//! The HXL hashtag row of a CSV file: which column fills which field, and finding the file's
//! format from its first rows.

use std::collections::BTreeSet;
use std::io::BufRead;

use super::csv::{Record, next_record};
use super::lines::Lines;
use super::{ImportError, Kind};

/// A parsed HXL hashtag: the tag name and its attributes, lowercased; attribute order is
/// irrelevant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    name: String,
    attrs: BTreeSet<String>,
}

impl Tag {
    /// Parses `#name +attr +attr` (case-insensitive, spaces around `+` allowed); an empty cell
    /// is an untagged column.
    pub(crate) fn parse(cell: &str) -> Result<Option<Tag>, String> {
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
pub(crate) enum Target {
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
    pub(crate) fn field(self) -> &'static str {
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

pub(crate) const INCIDENT_TARGETS: [Target; 14] = [
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
pub(crate) struct Col {
    pub(crate) index: usize,
    pub(crate) target: Target,
    /// `en`, `fa` or `ps` for translated edict texts.
    pub(crate) lang: &'static str,
    /// The API field it fills, for messages (`title`, `title.fa`, …).
    pub(crate) field: String,
}

/// Maps the hashtag row to fields; returns the columns and notes on columns not imported.
pub(crate) fn map_columns(kind: Kind, tags: &[String]) -> Result<(Vec<Col>, Vec<String>), String> {
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
        let Some(mut tag) = Tag::parse(cell).map_err(|e| format!("HXL row, column {n}: {e}"))?
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
            return Err(format!(
                "HXL row: columns {} and {n} both give {field}",
                other.index + 1
            ));
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
            return Err(format!(
                "HXL row: no {tag} column, which {} need (see docs/IMPORT.md)",
                kind.name()
            ));
        }
    }
    Ok((cols, notes))
}

/// The file's format, found from its content.
#[derive(Debug)]
pub(crate) enum Format {
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header row and an HXL hashtag row.
    Csv { width: usize, cols: Vec<Col> },
}

impl Format {
    /// JSON Lines when the first non-blank character is `{`, otherwise CSV, whose second row
    /// must hold HXL hashtags. Consumes the CSV header rows, not the first JSON line.
    pub(crate) fn detect<R: BufRead>(
        lines: &mut Lines<R>,
        kind: Kind,
    ) -> Result<(Format, Vec<String>), ImportError> {
        let Some(first) = lines.next_non_blank()? else {
            return Err(ImportError::format("the file is empty"));
        };
        let start = first
            .bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        lines.unread(vec![first]);
        match start {
            Some(b'{') => return Ok((Format::JsonLines, Vec::new())),
            Some(b'[') => {
                return Err(ImportError::format(
                    "a JSON array is not JSON Lines; write one JSON object per line",
                ));
            }
            _ => {}
        }
        let header = match next_record(lines, None)? {
            Some(Record::Row { fields, .. }) => fields,
            Some(Record::Bad { line, message }) => {
                return Err(ImportError::format(format!(
                    "line {line}: the header row is not valid CSV: {message}"
                )));
            }
            None => return Err(ImportError::format("the file is empty")),
        };
        let width = header.len();
        let no_hxl = "the second row must be an HXL hashtag row, such as \
             #meta+ref,#event+title,#date,#adm1+code (see docs/IMPORT.md)";
        if is_hxl_row(&header) {
            return Err(ImportError::format(format!(
                "line 1 holds HXL hashtags; put a header row above it: {no_hxl}"
            )));
        }
        let (line, hxl) = match next_record(lines, Some(width))? {
            Some(Record::Row { line, fields }) => (line, fields),
            Some(Record::Bad { line, message }) => {
                return Err(ImportError::format(format!(
                    "line {line}: {message}; {no_hxl}"
                )));
            }
            None => {
                return Err(ImportError::format(format!(
                    "the file has a header row only; {no_hxl}"
                )));
            }
        };
        if !is_hxl_row(&hxl) {
            return Err(ImportError::format(format!(
                "line {line}: not a CSV file with HXL hashtags: {no_hxl}"
            )));
        }
        if hxl.len() != width {
            return Err(ImportError::format(format!(
                "line {line}: the HXL row has {} fields, the header {width}",
                hxl.len()
            )));
        }
        let tags = hxl
            .iter()
            .map(|c| String::from_utf8(c.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                ImportError::format(format!("line {line}: the HXL row is not valid UTF-8"))
            })?;
        let (cols, notes) = map_columns(kind, &tags)
            .map_err(|e| ImportError::format(format!("line {line}: {e}")))?;
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
