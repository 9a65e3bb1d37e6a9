//! Field errors of the incident form in the page's language.
//!
//! Validation (`gawah_core::incident`) describes each error in English for the API, which keeps
//! those messages and field names. Pages show a translated sentence instead, chosen by the
//! field and the shape of the English message; a test below produces every error validation
//! can give and checks that each one has its own message, so a new or reworded error cannot
//! slip through untranslated.

use gawah_core::calendar::to_persian_digits;
use gawah_core::incident::FieldError;

use crate::i18n::Tr;
use crate::lang::Lang;

/// The message key and arguments that say `e` in the interface languages.
fn message_key(e: &FieldError) -> (&'static str, Vec<(&'static str, String)>) {
    let m = e.message.as_str();
    if m == "is required" {
        return ("field-error-required", Vec::new());
    }
    if m == "contains control characters" {
        return ("field-error-control", Vec::new());
    }
    if let Some(rest) = m.strip_prefix("is longer than ") {
        let max: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return ("field-error-too-long", vec![("max", max)]);
    }
    let key = match e.field {
        "date" if m.starts_with("year ") => "field-error-year",
        "date" => "field-error-date",
        "date_precision" if m.contains("does not match") => "field-error-precision-mismatch",
        "date_precision" => "field-error-precision",
        "province" => "field-error-province",
        "violation_types" => "field-error-violation-type",
        "source_reliability" => "field-error-reliability",
        "source_credibility" => "field-error-credibility",
        "verification_status" => "field-error-status",
        "edicts" => "field-error-edicts",
        "form" => "field-error-conflict",
        _ => "field-error-invalid",
    };
    (key, Vec::new())
}

/// `e` with its message in `tr`'s language (numbers in Persian digits in Dari and Pashto).
pub fn localise(tr: &Tr, e: &FieldError) -> FieldError {
    let (key, mut args) = message_key(e);
    if tr.lang != Lang::En {
        for (_, v) in &mut args {
            *v = to_persian_digits(v);
        }
    }
    FieldError {
        field: e.field,
        message: if args.is_empty() {
            tr.t(key)
        } else {
            tr.t_args(key, &args)
        },
    }
}

#[cfg(test)]
mod tests {
    use gawah_core::incident::IncidentInput;

    use super::*;

    fn good() -> IncidentInput {
        IncidentInput {
            title: "t".into(),
            date: "2022-03-23".into(),
            province: "AF-KAB".into(),
            violation_types: vec!["education".into()],
            ..Default::default()
        }
    }

    /// Every kind of error validation gives, one input each.
    fn every_error() -> Vec<FieldError> {
        let inputs = [
            IncidentInput {
                title: String::new(),
                ..good()
            },
            IncidentInput {
                title: "x".repeat(301),
                description: "a\u{0}b".into(),
                ..good()
            },
            IncidentInput {
                date: "2021-13-01".into(),
                ..good()
            },
            IncidentInput {
                date: "1800".into(),
                ..good()
            },
            IncidentInput {
                date_precision: Some("week".into()),
                ..good()
            },
            IncidentInput {
                date: "2021".into(),
                date_precision: Some("day".into()),
                ..good()
            },
            IncidentInput {
                province: "XX".into(),
                violation_types: vec!["nope".into()],
                source_reliability: Some("Z".into()),
                source_credibility: Some(9),
                verification_status: Some("maybe".into()),
                ..good()
            },
        ];
        let errors: Vec<FieldError> = inputs
            .iter()
            .flat_map(|i| i.validate().err().unwrap_or_default())
            .collect();
        assert_eq!(errors.len(), 12, "{errors:#?}");
        errors
    }

    #[test]
    fn every_validation_error_has_its_own_message() {
        let mut keys: Vec<&str> = every_error()
            .iter()
            .map(|e| {
                let (key, _) = message_key(e);
                assert_ne!(key, "field-error-invalid", "untranslated: {e:?}");
                key
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 12, "{keys:?}");
    }

    #[test]
    fn messages_are_translated_with_persian_digits() {
        for lang in Lang::ALL {
            let tr = Tr::new(lang);
            for e in every_error() {
                let shown = localise(&tr, &e);
                assert_eq!(shown.field, e.field);
                assert_ne!(shown.message, e.message, "{lang:?}");
                let (key, _) = message_key(&e);
                assert_ne!(shown.message, key, "{lang:?} lacks {key}");
            }
        }
        let long = FieldError {
            field: "title",
            message: "is longer than 300 characters".into(),
        };
        assert!(localise(&Tr::new(Lang::En), &long).message.contains("300"));
        for lang in [Lang::Fa, Lang::Ps] {
            let shown = localise(&Tr::new(lang), &long).message;
            assert!(shown.contains("۳۰۰") && !shown.contains("300"), "{shown}");
        }
    }
}
