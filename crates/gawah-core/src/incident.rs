//! Incidents: what happened, when, where, to whom, by whom; and their validation.
//!
//! Validation names the field at fault so that forms and the API can say exactly what to fix
//! while keeping everything else the user typed.

use serde::{Deserialize, Serialize};

use crate::vocab::{
    DATE_PRECISIONS, RELIABILITY, VERIFICATION_STATUSES, VIOLATION_TYPES, is_province,
};

/// Longest title accepted, in characters.
pub const MAX_TITLE: usize = 300;
/// Longest description accepted, in characters.
pub const MAX_DESCRIPTION: usize = 20_000;
/// Longest short text (reference, location, perpetrator) accepted, in characters.
pub const MAX_SHORT: usize = 500;

/// An incident's fields as a user or a script gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentInput {
    /// The source's own reference.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// A short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: String,
    /// `day`, `month`, `year` or `approximate`; derived from `date` when absent.
    pub date_precision: Option<String>,
    /// ISO 3166-2:AF province code.
    pub province: String,
    /// Violation types from the vocabulary.
    pub violation_types: Vec<String>,
    /// Perpetrators (institutions or units).
    pub perpetrators: Vec<String>,
    /// The exact place (confidential).
    pub exact_location: Option<String>,
    /// Source reliability, A to F.
    pub source_reliability: Option<String>,
    /// Information credibility, 1 to 6.
    pub source_credibility: Option<u8>,
    /// Verification status.
    pub verification_status: Option<String>,
    /// Ids of edicts this incident enforces.
    pub edicts: Vec<String>,
}

/// A valid incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The source's own reference.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// A short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// The date as given.
    pub date: String,
    /// Its precision.
    pub date_precision: String,
    /// ISO 3166-2:AF province code.
    pub province: String,
    /// Violation types.
    pub violation_types: Vec<String>,
    /// Perpetrators.
    pub perpetrators: Vec<String>,
    /// The exact place (confidential).
    pub exact_location: Option<String>,
    /// Source reliability.
    pub source_reliability: Option<String>,
    /// Information credibility.
    pub source_credibility: Option<u8>,
    /// Verification status.
    pub verification_status: String,
    /// Ids of edicts it enforces.
    pub edicts: Vec<String>,
}

/// The confidential fields of an incident: only ever stored sealed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentConfidential {
    /// The exact place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_location: Option<String>,
}

impl std::fmt::Debug for IncidentConfidential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IncidentConfidential(<redacted>)")
    }
}

impl Incident {
    /// Takes the confidential fields out, leaving the internal ones.
    pub fn split(mut self) -> (Incident, IncidentConfidential) {
        let confidential = IncidentConfidential {
            exact_location: self.exact_location.take(),
        };
        (self, confidential)
    }

    /// Puts opened confidential fields back.
    pub fn join(mut self, confidential: IncidentConfidential) -> Incident {
        self.exact_location = confidential.exact_location;
        self
    }
}

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as in the API.
    pub field: &'static str,
    /// What is wrong, in English.
    pub message: String,
}

pub(crate) fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a real calendar date, years 1900–2100) and
/// returns the precision it implies.
pub fn parse_date(date: &str) -> Result<&'static str, String> {
    let parts: Vec<&str> = date.split('-').collect();
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let bad = || format!("{date:?} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD");
    let year = parts.first().and_then(|y| num(y, 4)).ok_or_else(bad)?;
    if !(1900..=2100).contains(&year) {
        return Err(format!("year {year} is out of range (1900 to 2100)"));
    }
    let month = match parts.get(1) {
        None => return Ok("year"),
        Some(m) => num(m, 2).filter(|m| (1..=12).contains(m)).ok_or_else(bad)?,
    };
    let day = match parts.get(2) {
        None => return Ok("month"),
        Some(d) => num(d, 2).ok_or_else(bad)?,
    };
    if parts.len() > 3 || day == 0 || day > days_in_month(year, month) {
        return Err(bad());
    }
    Ok("day")
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(err(field, "is required"));
    } else if v.chars().count() > max {
        errors.push(err(field, format!("is longer than {max} characters")));
    } else if v
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push(err(field, "contains control characters"));
    }
    v.to_owned()
}

/// An optional text field: trimmed, `None` if empty, checked like every text field.
pub(crate) fn optional(
    field: &'static str,
    value: &Option<String>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    value
        .as_deref()
        .map(|v| text(field, v, max, false, errors))
        .filter(|v| !v.is_empty())
}

impl IncidentInput {
    /// Validates every field; returns every error found, not only the first.
    pub fn validate(&self) -> Result<Incident, Vec<FieldError>> {
        let mut errors = Vec::new();
        let reference = optional("ref", &self.reference, MAX_SHORT, &mut errors);
        let title = text("title", &self.title, MAX_TITLE, true, &mut errors);
        let description = text(
            "description",
            &self.description,
            MAX_DESCRIPTION,
            false,
            &mut errors,
        );
        let date = crate::calendar::to_ascii_digits(self.date.trim());
        let date_precision = self.validate_date(&date, &mut errors);
        let province = self.province.trim().to_uppercase();
        if !is_province(&province) {
            errors.push(err(
                "province",
                format!(
                    "{:?} is not an ISO 3166-2:AF province code (AF-KAB, AF-HER, …)",
                    self.province
                ),
            ));
        }
        let violation_types = self.validate_types(&mut errors);
        let perpetrators: Vec<String> = self
            .perpetrators
            .iter()
            .map(|p| text("perpetrators", p, MAX_SHORT, false, &mut errors))
            .filter(|p| !p.is_empty())
            .collect();
        let exact_location = optional(
            "exact_location",
            &self.exact_location,
            MAX_SHORT,
            &mut errors,
        );
        let source_reliability = self
            .source_reliability
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_uppercase);
        if let Some(r) = &source_reliability
            && !RELIABILITY.contains(&r.as_str())
        {
            errors.push(err("source_reliability", "must be one of A, B, C, D, E, F"));
        }
        if let Some(c) = self.source_credibility
            && !(1..=6).contains(&c)
        {
            errors.push(err("source_credibility", "must be 1 to 6"));
        }
        let verification_status = self
            .verification_status
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unverified".into());
        if !VERIFICATION_STATUSES.contains(&verification_status.as_str()) {
            errors.push(err(
                "verification_status",
                format!("must be one of {}", VERIFICATION_STATUSES.join(", ")),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Incident {
            reference,
            title,
            description,
            date,
            date_precision,
            province,
            violation_types,
            perpetrators,
            exact_location,
            source_reliability,
            source_credibility: self.source_credibility,
            verification_status,
            edicts: self.edicts.clone(),
        })
    }

    fn validate_date(&self, date: &str, errors: &mut Vec<FieldError>) -> String {
        let implied = match parse_date(date) {
            Ok(p) => p,
            Err(e) => {
                errors.push(err("date", e));
                return String::new();
            }
        };
        match self.date_precision.as_deref().filter(|p| !p.is_empty()) {
            None => implied.to_owned(),
            Some(p) if !DATE_PRECISIONS.contains(&p) => {
                errors.push(err(
                    "date_precision",
                    "must be day, month, year or approximate",
                ));
                String::new()
            }
            Some(p) if p != "approximate" && p != implied => {
                errors.push(err(
                    "date_precision",
                    format!("{p:?} does not match the date {date:?}"),
                ));
                String::new()
            }
            Some(p) => p.to_owned(),
        }
    }

    fn validate_types(&self, errors: &mut Vec<FieldError>) -> Vec<String> {
        let mut types: Vec<String> = self
            .violation_types
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        types.sort();
        types.dedup();
        if let Some(bad) = types
            .iter()
            .find(|t| !VIOLATION_TYPES.contains(&t.as_str()))
        {
            errors.push(err(
                "violation_types",
                format!("{bad:?} is not a violation type"),
            ));
        }
        types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> IncidentInput {
        IncidentInput {
            title: "Girls turned away from school".into(),
            date: "2022-03-23".into(),
            province: "af-kab".into(),
            violation_types: vec!["education".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_good_incident_validates_and_normalises() {
        let i = good().validate().unwrap();
        assert_eq!(i.province, "AF-KAB");
        assert_eq!(i.date_precision, "day");
        assert_eq!(i.verification_status, "unverified");
    }

    #[test]
    fn dates_and_precisions() {
        assert_eq!(parse_date("2022"), Ok("year"));
        assert_eq!(parse_date("2022-12"), Ok("month"));
        assert_eq!(parse_date("2024-02-29"), Ok("day"));
        for bad in [
            "2023-02-29",
            "2022-13",
            "22-01-01",
            "2022-1-1",
            "2022/01/01",
            "",
            "2022-01-01-01",
            "1800",
            "٢٠٢٢",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        let mut i = good();
        i.date_precision = Some("month".into());
        assert_eq!(i.validate().unwrap_err()[0].field, "date_precision");
        i.date_precision = Some("approximate".into());
        assert_eq!(i.validate().unwrap().date_precision, "approximate");
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = IncidentInput {
            title: "x".repeat(MAX_TITLE + 1),
            date: "2022-02-30".into(),
            province: "AF-XYZ".into(),
            violation_types: vec!["flying".into()],
            source_reliability: Some("G".into()),
            source_credibility: Some(7),
            verification_status: Some("maybe".into()),
            ..Default::default()
        };
        let fields: Vec<&str> = bad
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "date",
                "province",
                "violation_types",
                "source_reliability",
                "source_credibility",
                "verification_status"
            ]
        );
    }
}
