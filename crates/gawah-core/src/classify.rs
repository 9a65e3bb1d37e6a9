//! The classification of every field of every record type: public, internal or confidential.
//!
//! - **Public**: may appear on public pages and in public exports (edicts, aggregate figures).
//! - **Internal**: members of the organisation see it; indexed for search; stored in the clear.
//! - **Confidential**: names, contacts, exact places, statements, file names and confidential
//!   files. Only ever stored sealed; never indexed; every read is logged.
//!
//! A field not listed is confidential: the safe default for anything added without thought.

/// How sensitive a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Classification {
    /// Anyone may see it.
    Public,
    /// Members of the organisation may see it.
    Internal,
    /// Sealed at rest; reads are logged.
    Confidential,
}

impl Classification {
    /// The name used in the UI and in OpenAPI (`x-classification`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
            Self::Confidential => "confidential",
        }
    }
}

use Classification::{Confidential, Internal, Public};

/// Every classified field: (record type, field, classification).
pub const FIELDS: &[(&str, &str, Classification)] = &[
    ("edict", "id", Public),
    ("edict", "date", Public),
    ("edict", "domain", Public),
    ("edict", "title", Public),
    ("edict", "text", Public),
    ("edict", "sources", Public),
    ("incident", "ref", Internal),
    ("incident", "title", Internal),
    ("incident", "description", Internal),
    ("incident", "date", Internal),
    ("incident", "date_precision", Internal),
    ("incident", "province", Internal),
    ("incident", "violation_types", Internal),
    ("incident", "perpetrators", Internal),
    ("incident", "exact_location", Confidential),
    ("incident", "source_reliability", Internal),
    ("incident", "source_credibility", Internal),
    ("incident", "verification_status", Internal),
    ("incident", "edicts", Internal),
    ("person", "pseudonym", Internal),
    ("person", "roles", Internal),
    ("person", "gender", Internal),
    ("person", "age_group", Internal),
    ("person", "name", Confidential),
    ("person", "contact", Confidential),
    ("person", "notes", Confidential),
    ("testimony", "statement", Confidential),
    ("testimony", "witness_name", Confidential),
    ("testimony", "witness_contact", Confidential),
    ("testimony", "language", Internal),
    ("testimony", "consent", Internal),
    ("testimony", "taken_on", Internal),
    ("act", "violation_type", Internal),
    ("act", "victims", Internal),
    ("act", "perpetrators", Internal),
    ("item", "sha256", Internal),
    ("item", "bytes", Internal),
    ("item", "case", Internal),
    ("item", "file_name", Confidential),
    ("item", "content", Internal),
    ("confidential_item", "content", Confidential),
    ("organisation", "name", Public),
    ("member", "username", Internal),
    ("member", "role", Internal),
];

/// The classification of `field` of `record`; confidential if unlisted.
pub fn of(record: &str, field: &str) -> Classification {
    FIELDS
        .iter()
        .find(|(r, f, _)| *r == record && *f == field)
        .map_or(Confidential, |(_, _, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dangerous_fields_are_confidential_and_unknown_ones_default_to_it() {
        for (r, f) in [
            ("incident", "exact_location"),
            ("person", "name"),
            ("person", "contact"),
            ("testimony", "statement"),
            ("testimony", "witness_name"),
            ("testimony", "witness_contact"),
            ("item", "file_name"),
            ("confidential_item", "content"),
            ("incident", "a_field_added_later"),
        ] {
            assert_eq!(of(r, f), Confidential, "{r}.{f}");
        }
        assert_eq!(of("incident", "province"), Internal);
        assert_eq!(of("edict", "title"), Public);
    }

    #[test]
    fn every_field_is_listed_once() {
        for (i, (r, f, _)) in FIELDS.iter().enumerate() {
            assert!(
                !FIELDS[..i].iter().any(|(r2, f2, _)| r2 == r && f2 == f),
                "{r}.{f} twice"
            );
        }
    }
}
