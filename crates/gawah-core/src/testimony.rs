//! Testimonies: a witness's statement, who gave it, and what they consented to.
//!
//! The statement and the witness's name and contact are confidential: they are split off
//! ([`Testimony::split`]) and sealed; the rest (language, consent, date, person) is internal.

use serde::{Deserialize, Serialize};

use crate::incident::{FieldError, err, optional};

/// Longest statement, in characters.
pub const MAX_STATEMENT: usize = 100_000;
const MAX_NAME: usize = 200;
const MAX_CONTACT: usize = 500;

/// What a witness agreed their testimony may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Analysis inside the organisation.
    Internal,
    /// Use in legal proceedings (evidence bundles for a mechanism).
    Legal,
    /// Counted in anonymised public figures.
    AnonymisedPublication,
    /// Published with the witness's name.
    NamedPublication,
}

impl Consent {
    /// Every scope, in order.
    pub const ALL: [Consent; 4] = [
        Self::Internal,
        Self::Legal,
        Self::AnonymisedPublication,
        Self::NamedPublication,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Legal => "legal",
            Self::AnonymisedPublication => "anonymised_publication",
            Self::NamedPublication => "named_publication",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A testimony as given through the API or a form, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestimonyInput {
    /// What the witness said (confidential).
    #[serde(default)]
    pub statement: String,
    /// The witness's name (confidential).
    #[serde(default)]
    pub witness_name: Option<String>,
    /// How to reach the witness (confidential).
    #[serde(default)]
    pub witness_contact: Option<String>,
    /// Language of the statement (`fa`, `ps`, `en`, or another ISO 639-1 code).
    #[serde(default)]
    pub language: String,
    /// Consent scopes.
    #[serde(default)]
    pub consent: Vec<String>,
    /// When it was taken (`YYYY-MM-DD`), if known.
    #[serde(default)]
    pub taken_on: Option<String>,
}

/// The internal part of a testimony: stored in the clear, indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestimonyInternal {
    /// Language of the statement.
    pub language: String,
    /// Consent scopes, sorted, without repeats.
    pub consent: Vec<Consent>,
    /// When it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_on: Option<String>,
}

/// The confidential part of a testimony: only ever stored sealed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestimonyConfidential {
    /// What the witness said.
    pub statement: String,
    /// The witness's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness_name: Option<String>,
    /// How to reach the witness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness_contact: Option<String>,
}

impl std::fmt::Debug for TestimonyConfidential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestimonyConfidential(<redacted>)")
    }
}

impl TestimonyInput {
    /// Validates every field, naming each one that is wrong.
    pub fn validate(&self) -> Result<(TestimonyInternal, TestimonyConfidential), Vec<FieldError>> {
        let mut errors = Vec::new();
        let statement = self.statement.trim();
        if statement.is_empty() {
            errors.push(err("statement", "the statement is required"));
        } else if statement.chars().count() > MAX_STATEMENT {
            errors.push(err(
                "statement",
                format!("at most {MAX_STATEMENT} characters"),
            ));
        }
        let witness_name = optional("witness_name", &self.witness_name, MAX_NAME, &mut errors);
        let witness_contact = optional(
            "witness_contact",
            &self.witness_contact,
            MAX_CONTACT,
            &mut errors,
        );
        let language = self.language.trim().to_ascii_lowercase();
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
            errors.push(err(
                "language",
                "a language code such as fa, ps or en is required",
            ));
        }
        let mut consent = Vec::new();
        for c in &self.consent {
            match Consent::parse(c.trim()) {
                Some(c) => consent.push(c),
                None => errors.push(err(
                    "consent",
                    format!(
                        "unknown consent scope {c:?}; use internal, legal, anonymised_publication or named_publication"
                    ),
                )),
            }
        }
        consent.sort();
        consent.dedup();
        if consent.contains(&Consent::NamedPublication) && witness_name.is_none() {
            errors.push(err(
                "witness_name",
                "named publication needs the witness's name",
            ));
        }
        let taken_on = self
            .taken_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(d) = taken_on
            && crate::incident::parse_date(d) != Ok("day")
        {
            errors.push(err("taken_on", "a date as YYYY-MM-DD"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            TestimonyInternal {
                language,
                consent,
                taken_on: taken_on.map(crate::calendar::to_ascii_digits),
            },
            TestimonyConfidential {
                statement: statement.to_owned(),
                witness_name,
                witness_contact,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TestimonyInput {
        TestimonyInput {
            statement: "  آنها مکتب را بستند  ".into(),
            witness_name: Some("Witness".into()),
            witness_contact: Some(" ".into()),
            language: "FA".into(),
            consent: vec!["legal".into(), "internal".into(), "legal".into()],
            taken_on: Some("2024-03-05".into()),
        }
    }

    #[test]
    fn a_valid_testimony_splits_into_internal_and_confidential_parts() {
        let (internal, conf) = input().validate().unwrap();
        assert_eq!(internal.language, "fa");
        assert_eq!(internal.consent, vec![Consent::Internal, Consent::Legal]);
        assert_eq!(conf.statement, "آنها مکتب را بستند");
        assert_eq!(conf.witness_contact, None);
        let json = serde_json::to_string(&internal).unwrap();
        assert!(
            !json.contains("مکتب") && !json.contains("Witness"),
            "{json}"
        );
        assert!(!format!("{conf:?}").contains("Witness"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = TestimonyInput {
            statement: " ".into(),
            language: "farsi!".into(),
            consent: vec!["everything".into(), "named_publication".into()],
            taken_on: Some("2024-13".into()),
            ..TestimonyInput::default()
        };
        let fields: Vec<_> = bad
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "statement",
                "language",
                "consent",
                "witness_name",
                "taken_on"
            ]
        );
    }
}
