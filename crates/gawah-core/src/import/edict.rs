//! Checking and normalising an imported edict (incidents validate themselves, with
//! [`IncidentInput::validate`](crate::incident::IncidentInput::validate)).

use super::{Fault, fault};
use crate::edict::{Edict, Source, Translated};
use crate::incident::{MAX_DESCRIPTION, MAX_SHORT, MAX_TITLE, parse_date};

/// Longest source address accepted for an edict.
pub const MAX_URL: usize = 2000;

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
/// and an http(s) address. `domains` are the known domains (`gawah_demo::DOMAINS`, which this
/// crate cannot name).
pub fn validate_edict(e: &Edict, domains: &[&str]) -> Result<Edict, Vec<Fault>> {
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
    if !domains.contains(&domain.as_str()) {
        faults.push(fault(
            "domain",
            format!(
                "{:?} is not a domain; use one of {}",
                e.domain,
                domains.join(", ")
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
