//! The index schema, the document built from an [`IncidentDoc`], and date intervals.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::IncidentDoc;
use crate::analyze::{TOKENIZER_NAME, detect_language};

/// Bump whenever the schema or the analysis changes: [`crate::SearchIndex::open`] then wipes
/// the old index and the caller rebuilds it.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Facet names; each is also the name of its field.
pub(crate) const FACETS: [&str; 8] = [
    "province",
    "violation_type",
    "perpetrator",
    "edict",
    "status",
    "reliability",
    "language",
    "year",
];

/// The fields of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    /// The unique key built by [`key`], for delete-by-id.
    pub key: Field,
    pub id: Field,
    pub org: Field,
    pub reference: Field,
    pub title: Field,
    pub description: Field,
    /// Title, description, reference and perpetrators, analysed: what text queries search.
    pub text: Field,
    pub date: Field,
    /// First and last day (days since 1970-01-01) of the date interval.
    pub date_start: Field,
    pub date_end: Field,
    pub province: Field,
    pub violation_type: Field,
    pub perpetrator: Field,
    pub edict: Field,
    pub status: Field,
    pub reliability: Field,
    pub language: Field,
    pub year: Field,
    pub credibility: Field,
    pub seq: Field,
}

/// The schema of this version, and its fields.
pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stored_facet = STRING | FAST | STORED;
    let facet = STRING | FAST;
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        id: b.add_text_field("id", STORED),
        org: b.add_text_field("org", STRING),
        reference: b.add_text_field("reference", STORED),
        title: b.add_text_field("title", STORED),
        description: b.add_text_field("description", STORED),
        text: b.add_text_field("text", text),
        date: b.add_text_field("date", STORED),
        date_start: b.add_i64_field("date_start", FAST | INDEXED),
        date_end: b.add_i64_field("date_end", FAST | INDEXED),
        province: b.add_text_field("province", stored_facet.clone()),
        violation_type: b.add_text_field("violation_type", stored_facet.clone()),
        perpetrator: b.add_text_field("perpetrator", facet.clone()),
        edict: b.add_text_field("edict", facet.clone()),
        status: b.add_text_field("status", stored_facet.clone()),
        reliability: b.add_text_field("reliability", facet.clone()),
        language: b.add_text_field("language", stored_facet),
        year: b.add_text_field("year", facet),
        credibility: b.add_u64_field("credibility", STORED),
        seq: b.add_u64_field("seq", STORED),
    };
    (b.build(), fields)
}

/// The unique key of an incident: the organisation's length first, so that no pair of
/// organisation and id can produce another pair's key, whatever characters they hold.
pub(crate) fn key(org: &str, id: &str) -> String {
    format!("{}:{org}{id}", org.len())
}

/// The tantivy document of `doc`. Only `doc`'s own fields go in (see the crate doc).
pub(crate) fn document(f: &Fields, doc: &IncidentDoc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(f.key, key(&doc.org, &doc.id));
    d.add_text(f.id, &doc.id);
    d.add_text(f.org, &doc.org);
    d.add_text(f.title, &doc.title);
    d.add_text(f.description, &doc.description);
    d.add_text(f.text, &doc.title);
    d.add_text(f.text, &doc.description);
    if let Some(reference) = &doc.reference {
        d.add_text(f.reference, reference);
        d.add_text(f.text, reference);
    }
    for perpetrator in &doc.perpetrators {
        d.add_text(f.text, perpetrator);
        add_value(&mut d, f.perpetrator, perpetrator);
    }
    d.add_text(f.date, &doc.date);
    if let Some(interval) = DateInterval::parse(&doc.date) {
        d.add_i64(f.date_start, interval.start);
        d.add_i64(f.date_end, interval.end);
        d.add_text(f.year, &doc.date[..4]);
    }
    add_value(&mut d, f.province, &doc.province);
    for value in &doc.violation_types {
        add_value(&mut d, f.violation_type, value);
    }
    for value in &doc.edicts {
        add_value(&mut d, f.edict, value);
    }
    add_value(&mut d, f.status, &doc.verification_status);
    if let Some(reliability) = &doc.source_reliability {
        add_value(&mut d, f.reliability, reliability);
    }
    let text = format!("{} {}", doc.title, doc.description);
    if let Some(language) = detect_language(&text) {
        d.add_text(f.language, language);
    }
    if let Some(credibility) = doc.source_credibility {
        d.add_u64(f.credibility, u64::from(credibility));
    }
    d.add_u64(f.seq, doc.seq);
    d
}

/// Facet values are kept as given; empty ones are left out so they are not counted.
fn add_value(d: &mut TantivyDocument, field: Field, value: &str) {
    if !value.is_empty() {
        d.add_text(field, value);
    }
}

/// The days a `YYYY`, `YYYY-MM` or `YYYY-MM-DD` date covers, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateInterval {
    /// First day.
    pub start: i64,
    /// Last day.
    pub end: i64,
}

impl DateInterval {
    /// `None` unless `date` is one of the three forms and a real date.
    pub(crate) fn parse(date: &str) -> Option<DateInterval> {
        let number = |part: &str| -> Option<i64> {
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let mut parts = date.split('-');
        let year_part = parts.next()?;
        if year_part.len() != 4 {
            return None;
        }
        let year = number(year_part)?;
        let month = parts.next().map(|m| (m.len() == 2).then(|| number(m))?);
        let day = parts.next().map(|d| (d.len() == 2).then(|| number(d))?);
        if parts.next().is_some() {
            return None;
        }
        let interval = match (month, day) {
            (None, None) => (days(year, 1, 1), days(year, 12, 31)),
            (Some(m), None) => {
                let m = m.filter(|m| (1..=12).contains(m))?;
                (days(year, m, 1), days(year, m, month_length(year, m)))
            }
            (Some(m), Some(d)) => {
                let m = m.filter(|m| (1..=12).contains(m))?;
                let d = d.filter(|d| (1..=month_length(year, m)).contains(d))?;
                (days(year, m, d), days(year, m, d))
            }
            (None, Some(_)) => return None,
        };
        Some(DateInterval {
            start: interval.0,
            end: interval.1,
        })
    }
}

fn month_length(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(date: &str) -> Option<(i64, i64)> {
        DateInterval::parse(date).map(|i| (i.start, i.end))
    }

    #[test]
    fn dates_cover_their_whole_precision() {
        assert_eq!(interval("1970-01-01"), Some((0, 0)));
        assert_eq!(interval("1970-01"), Some((0, 30)));
        assert_eq!(interval("1970"), Some((0, 364)));
        assert_eq!(interval("2024-02"), Some((19_754, 19_782)), "leap February");
        assert_eq!(interval("2023-02-29"), None);
        assert_eq!(interval("2024-02-29"), Some((19_782, 19_782)));
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "22",
            "2022-1",
            "2022-13",
            "2022-00",
            "2022-01-32",
            "2022-01-01-01",
            "2022--01",
            "+022",
            "2022-1a",
            "۲۰۲۲",
            "2022-01-",
        ] {
            assert_eq!(interval(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn keys_of_different_pairs_differ() {
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert_ne!(key("1:a", "b"), key("1", ":ab"));
        assert_eq!(key("org", "id"), "3:orgid");
    }
}
