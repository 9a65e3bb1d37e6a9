//! Controlled vocabularies: roles, provinces, violation types, source ratings, statuses.
//!
//! Province codes are ISO 3166-2:AF (the 34 provinces), as listed in the project's reference
//! data (`shared/data/af-provinces.csv`, from the ISO 3166-2 standard).

use std::fmt;
use std::str::FromStr;

/// What a member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Members, roles, keys, backups.
    Admin,
    /// Intake of incidents, testimonies and files.
    Documenter,
    /// Verification, ratings, links, search and counts.
    Analyst,
    /// Evidence bundles for legal mechanisms.
    Legal,
    /// Reads what the organisation holds, changes nothing.
    Viewer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Documenter,
        Role::Analyst,
        Role::Legal,
        Role::Viewer,
    ];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Documenter => "documenter",
            Role::Analyst => "analyst",
            Role::Legal => "legal",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role may create and edit incidents.
    pub fn can_write_records(self) -> bool {
        matches!(self, Role::Admin | Role::Documenter | Role::Analyst)
    }

    /// Whether this role may record analytical judgements (verification, ratings).
    pub fn can_analyse(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst)
    }

    /// Whether this role may read confidential fields (names, contacts, exact places,
    /// statements, confidential files). Every such read is logged. Viewers never may.
    pub fn can_read_confidential(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Documenter | Role::Analyst | Role::Legal
        )
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?}; one of admin, documenter, analyst, legal, viewer")
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ISO 3166-2:AF codes and English names of the 34 provinces.
pub const PROVINCES: [(&str, &str); 34] = [
    ("AF-BAL", "Balkh"),
    ("AF-BAM", "Bamyan"),
    ("AF-BDG", "Badghis"),
    ("AF-BDS", "Badakhshan"),
    ("AF-BGL", "Baghlan"),
    ("AF-DAY", "Daykundi"),
    ("AF-FRA", "Farah"),
    ("AF-FYB", "Faryab"),
    ("AF-GHA", "Ghazni"),
    ("AF-GHO", "Ghor"),
    ("AF-HEL", "Helmand"),
    ("AF-HER", "Herat"),
    ("AF-JOW", "Jowzjan"),
    ("AF-KAB", "Kabul"),
    ("AF-KAN", "Kandahar"),
    ("AF-KAP", "Kapisa"),
    ("AF-KDZ", "Kunduz"),
    ("AF-KHO", "Khost"),
    ("AF-KNR", "Kunar"),
    ("AF-LAG", "Laghman"),
    ("AF-LOG", "Logar"),
    ("AF-NAN", "Nangarhar"),
    ("AF-NIM", "Nimroz"),
    ("AF-NUR", "Nuristan"),
    ("AF-PAN", "Panjshir"),
    ("AF-PAR", "Parwan"),
    ("AF-PIA", "Paktia"),
    ("AF-PKA", "Paktika"),
    ("AF-SAM", "Samangan"),
    ("AF-SAR", "Sar-e Pul"),
    ("AF-TAK", "Takhar"),
    ("AF-URU", "Uruzgan"),
    ("AF-WAR", "Wardak"),
    ("AF-ZAB", "Zabul"),
];

/// Whether `code` is one of the 34 province codes.
pub fn is_province(code: &str) -> bool {
    PROVINCES.iter().any(|(c, _)| *c == code)
}

/// The default violation types: domains of rights the edicts restrict.
pub const VIOLATION_TYPES: [&str; 10] = [
    "education",
    "employment",
    "movement",
    "dress",
    "health",
    "justice",
    "public_space",
    "media",
    "political_participation",
    "other",
];

/// Verification statuses of an incident.
pub const VERIFICATION_STATUSES: [&str; 4] =
    ["unverified", "partially_verified", "verified", "disputed"];

/// Source reliability grades (A completely reliable … F cannot be judged).
pub const RELIABILITY: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

/// Date precisions.
pub const DATE_PRECISIONS: [&str; 4] = ["day", "month", "year", "approximate"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_provinces_match() {
        let csv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/af-provinces.csv"
        ))
        .expect("shared/data/af-provinces.csv beside the repository");
        let codes: Vec<&str> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        assert_eq!(codes.len(), 34);
        for c in codes {
            assert!(is_province(c), "{c}");
        }
        assert!(!is_province("AF-XXX"));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
