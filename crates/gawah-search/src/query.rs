//! The search text syntax, and the tantivy query built from a [`SearchQuery`].
//!
//! Syntax: words are ANDed; `"a phrase"` (also `«…»` and `“…”`) matches its words in order;
//! `-word` or `-"a phrase"` excludes. Everything else is text: tantivy's query syntax is never
//! parsed, so `AND`, `title:`, `*` or `~` are plain words (or punctuation, which is dropped).
//! Every part goes through the same analysis as the indexed text ([`Mode::Query`]).
//!
//! A word or phrase written with ZWNJ also matches its parts in order, so "سیمه‌ییزې" finds text
//! that wrote the ZWNJ as a space ("سیمه ییزې") as well as the joined forms; without the ZWNJ
//! the split point is unknown, and only the affix rules of [`Mode`] apply.

#[cfg(feature = "index")]
use std::ops::Bound;

#[cfg(feature = "index")]
use tantivy::Term;
#[cfg(feature = "index")]
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery,
};
#[cfg(feature = "index")]
use tantivy::schema::{Field, IndexRecordOption};

use crate::QueryError;
#[cfg(feature = "index")]
use crate::SearchQuery;
use crate::analyze::{Mode, analyze, may_be_detached};
#[cfg(feature = "index")]
use crate::schema::{DateInterval, Fields};

/// The longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// The most words a search may hold (phrases count word by word).
pub const MAX_QUERY_TERMS: usize = 32;
/// The deepest a search may page: `offset + limit` at most this.
pub const MAX_WINDOW: usize = 10_000;

/// One part of the search text, analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// One token.
    Term(String),
    /// Tokens in order, with the slop allowed between them.
    Phrase(Vec<String>, u32),
    /// Any of these: a word written with ZWNJ matches its joined form, or its parts in order
    /// (for text that wrote the ZWNJ as a space).
    Either(Vec<Clause>),
}

/// Clauses of a boolean query.
#[cfg(feature = "index")]
type Clauses = Vec<(Occur, Box<dyn Query>)>;

/// The search text, parsed: public so that the fuzz target (`fuzz/`) checks what the
/// parser makes of any text, not only that it returns.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedText {
    /// Parts every result must match.
    pub include: Vec<Clause>,
    /// Parts no result may match.
    pub exclude: Vec<Clause>,
}

/// One piece of the raw text before analysis.
enum Piece<'a> {
    Word(&'a str),
    Phrase(&'a str),
    Excluded(&'a str),
}

/// Parse and analyse the search text.
pub fn parse_text(text: &str) -> Result<ParsedText, QueryError> {
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            chars,
            max: MAX_QUERY_CHARS,
        });
    }
    let mut parsed = ParsedText::default();
    // Bare words are analysed together, so that a detached affix ("می گوید") joins its word.
    let mut run = String::new();
    for piece in pieces(text)? {
        match piece {
            Piece::Word(word) if word.contains(ZWNJ) => parsed.include.extend(clause(word)),
            Piece::Word(word) => {
                run.push_str(word);
                run.push(' ');
            }
            Piece::Phrase(phrase) => parsed.include.extend(clause(phrase)),
            Piece::Excluded(excluded) => parsed.exclude.extend(clause(excluded)),
        }
    }
    let words = analyze(&run, Mode::Query);
    parsed.include.extend(words.into_iter().map(Clause::Term));
    let terms: usize = (parsed.include.iter().chain(&parsed.exclude))
        .map(Clause::terms)
        .sum();
    if terms > MAX_QUERY_TERMS {
        return Err(QueryError::TooManyTerms {
            terms,
            max: MAX_QUERY_TERMS,
        });
    }
    Ok(parsed)
}

/// Split the text into bare words, quoted phrases and exclusions.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, QueryError> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while let Some(first) = rest.chars().next() {
        let excluded = first == '-';
        let body = if excluded { &rest[1..] } else { rest };
        let (content, quoted, after) = match body.chars().next().and_then(closing_quote) {
            Some(close) => {
                let open_len = body.chars().next().map_or(0, char::len_utf8);
                let inner = &body[open_len..];
                let end = inner.find(close).ok_or(QueryError::UnclosedQuote)?;
                (&inner[..end], true, &inner[end + close.len_utf8()..])
            }
            None => {
                let end = body
                    .find(|c: char| c.is_whitespace() || closing_quote(c).is_some())
                    .unwrap_or(body.len());
                (&body[..end], false, &body[end..])
            }
        };
        out.push(match (excluded, quoted) {
            (true, _) => Piece::Excluded(content),
            (false, true) => Piece::Phrase(content),
            (false, false) => Piece::Word(content),
        });
        rest = after.trim_start();
    }
    Ok(out)
}

/// The closing quote of an opening quote character.
fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '«' => Some('»'),
        '“' => Some('”'),
        _ => None,
    }
}

impl Clause {
    /// How many terms the clause searches for.
    pub fn terms(&self) -> usize {
        match self {
            Clause::Term(_) => 1,
            Clause::Phrase(tokens, _) => tokens.len(),
            Clause::Either(clauses) => clauses.iter().map(Clause::terms).sum(),
        }
    }
}

/// Zero-width non-joiner, which joins the parts of a word (see [`Clause::Either`]).
const ZWNJ: char = '\u{200C}';

/// A phrase, a word written with ZWNJ, or an excluded word, analysed.
fn clause(text: &str) -> Option<Clause> {
    let joined = tokens_clause(analyze(text, Mode::Query))?;
    if !text.contains(ZWNJ) {
        return Some(joined);
    }
    match tokens_clause(analyze(&text.replace(ZWNJ, " "), Mode::Query)) {
        Some(parts) if parts != joined => Some(Clause::Either(vec![joined, parts])),
        _ => Some(joined),
    }
}

/// One token is a term, several a phrase, none nothing.
fn tokens_clause(mut tokens: Vec<String>) -> Option<Clause> {
    match tokens.len() {
        0 => None,
        1 => tokens.pop().map(Clause::Term),
        _ => {
            let slop = tokens.iter().filter(|t| may_be_detached(t)).count() as u32;
            Some(Clause::Phrase(tokens, slop))
        }
    }
}

/// The tantivy query for `q`, text clauses scored by BM25 and filters scoring nothing, and
/// whether the text holds any word to score.
#[cfg(feature = "index")]
pub(crate) fn build(q: &SearchQuery, f: &Fields) -> Result<(Box<dyn Query>, bool), QueryError> {
    if q.org.is_empty() {
        return Err(QueryError::NoOrganisation);
    }
    if q.offset.saturating_add(q.limit) > MAX_WINDOW {
        return Err(QueryError::PageTooDeep { max: MAX_WINDOW });
    }
    let parsed = parse_text(&q.text)?;
    let mut clauses: Clauses = vec![filter(f.org, std::slice::from_ref(&q.org))];
    for clause in &parsed.include {
        clauses.push((Occur::Must, text_query(f.text, clause)));
    }
    for clause in &parsed.exclude {
        clauses.push((Occur::MustNot, text_query(f.text, clause)));
    }
    let filters = [
        (f.province, &q.province),
        (f.violation_type, &q.violation_type),
        (f.perpetrator, &q.perpetrator),
        (f.edict, &q.edict),
        (f.status, &q.status),
        (f.reliability, &q.reliability),
        (f.language, &q.language),
    ];
    for (field, values) in filters {
        if !values.is_empty() {
            clauses.push(filter(field, values));
        }
    }
    clauses.extend(date_filters(q, f)?);
    Ok((
        Box::new(BooleanQuery::new(clauses)),
        !parsed.include.is_empty(),
    ))
}

#[cfg(feature = "index")]
fn text_query(field: Field, clause: &Clause) -> Box<dyn Query> {
    let term = |t: &str| Term::from_field_text(field, t);
    match clause {
        Clause::Term(t) => Box::new(TermQuery::new(term(t), IndexRecordOption::WithFreqs)),
        Clause::Phrase(tokens, slop) => {
            let terms = tokens.iter().enumerate().map(|(i, t)| (i, term(t)));
            Box::new(PhraseQuery::new_with_offset_and_slop(
                terms.collect(),
                *slop,
            ))
        }
        Clause::Either(clauses) => Box::new(BooleanQuery::new(
            clauses
                .iter()
                .map(|c| (Occur::Should, text_query(field, c)))
                .collect(),
        )),
    }
}

/// Any of `values` in `field`, as a filter that adds nothing to the score.
#[cfg(feature = "index")]
fn filter(field: Field, values: &[String]) -> (Occur, Box<dyn Query>) {
    let terms = values.iter().map(|v| Term::from_field_text(field, v));
    let set = Box::new(TermSetQuery::new(terms));
    (Occur::Must, Box::new(ConstScoreQuery::new(set, 0.0)))
}

/// Interval overlap: the incident's interval ends on or after `from` starts, and starts on or
/// before `to` ends.
#[cfg(feature = "index")]
fn date_filters(q: &SearchQuery, f: &Fields) -> Result<Clauses, QueryError> {
    let parse = |value: &String| {
        DateInterval::parse(value).ok_or_else(|| QueryError::BadDate {
            value: value.clone(),
        })
    };
    let from = q.from.as_ref().map(parse).transpose()?;
    let to = q.to.as_ref().map(parse).transpose()?;
    if let (Some(start), Some(end), Some(from_text), Some(to_text)) = (from, to, &q.from, &q.to)
        && start.start > end.end
    {
        return Err(QueryError::EmptyDateRange {
            from: from_text.clone(),
            to: to_text.clone(),
        });
    }
    let mut clauses: Clauses = Vec::new();
    if let Some(from) = from {
        let lower = Bound::Included(Term::from_field_i64(f.date_end, from.start));
        let range = Box::new(RangeQuery::new(lower, Bound::Unbounded));
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(range, 0.0))));
    }
    if let Some(to) = to {
        let upper = Bound::Included(Term::from_field_i64(f.date_start, to.end));
        let range = Box::new(RangeQuery::new(Bound::Unbounded, upper));
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(range, 0.0))));
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str]) -> Vec<Clause> {
        words
            .iter()
            .map(|w| Clause::Term((*w).to_owned()))
            .collect()
    }

    #[test]
    fn words_phrases_and_exclusions() {
        let parsed = parse_text(r#"Schools  "girls banned" -parks -"public baths""#).unwrap();
        assert_eq!(
            parsed.include,
            [
                Clause::Phrase(vec!["girl".into(), "ban".into()], 0),
                Clause::Term("school".into()),
            ]
        );
        assert_eq!(
            parsed.exclude,
            [
                Clause::Term("park".into()),
                Clause::Phrase(vec!["public".into(), "bath".into()], 0),
            ]
        );
    }

    #[test]
    fn persian_quotes_and_detached_affixes() {
        let parsed = parse_text("«می گوید کابل» مکتب ها").unwrap();
        assert_eq!(
            parsed.include,
            [
                Clause::Phrase(vec!["میگوید".into(), "کابل".into()], 1),
                Clause::Term("مکتبها".into()),
            ]
        );
    }

    #[test]
    fn a_word_written_with_zwnj_also_matches_its_parts() {
        let parsed = parse_text("سیمه‌ییزې -مکتب‌ها").unwrap();
        assert_eq!(
            parsed.include,
            [Clause::Either(vec![
                Clause::Term("سیمهییزې".into()),
                Clause::Phrase(vec!["سیمه".into(), "ییزې".into()], 0),
            ])]
        );
        // An affix the analyser joins anyway needs no alternative.
        assert_eq!(parsed.exclude, terms(&["مکتبها"]));
    }

    #[test]
    fn tantivy_syntax_is_plain_text() {
        let parsed = parse_text("title:kabul AND school* OR (x~2) ^3 -").unwrap();
        assert_eq!(
            parsed.include,
            // UAX #29 keeps "title:kabul" one word (a colon between letters joins them).
            terms(&["title:kabul", "and", "school", "or", "x", "2", "3"])
        );
        assert!(parsed.exclude.is_empty());
        assert_eq!(parse_text("").unwrap(), ParsedText::default());
        assert_eq!(parse_text(" - \"\" ").unwrap(), ParsedText::default());
    }

    #[test]
    fn limits_and_unclosed_quotes_are_errors() {
        assert_eq!(parse_text("school \"girls"), Err(QueryError::UnclosedQuote));
        assert_eq!(parse_text("«کابل"), Err(QueryError::UnclosedQuote));
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert!(matches!(parse_text(&long), Err(QueryError::TooLong { .. })));
        let many = vec!["word"; MAX_QUERY_TERMS + 1].join(" ");
        assert!(matches!(
            parse_text(&many),
            Err(QueryError::TooManyTerms { terms: 33, .. })
        ));
        assert!(parse_text(&vec!["word"; MAX_QUERY_TERMS].join(" ")).is_ok());
    }
}
