//! The project's own demo dataset, and a deterministic synthetic corpus.
//!
//! # Layout
//!
//! - `data/edicts.json`: the Taliban's edicts against women and girls since August 2021, written
//!   by the project from the sourced facts in `shared/data/edicts-facts.csv`, in English, Dari
//!   (`fa`) and Pashto (`ps`), each with the public source it was read from.
//! - `data/milestones.json`: accountability milestones (UN reports, ICC applications and
//!   warrants, treaty work), from `shared/data/accountability-facts.csv`, domain `accountability`.
//! - `data/provinces.json`: the 34 ISO 3166-2:AF provinces with their Dari and Pashto names.
//! - `data/declaration.json`: the demo coalition's declaration. It is sample text shipped with
//!   the software and speaks for no real organisation.
//! - [`synthetic`]: clearly labelled synthetic incidents for demos, tests and benchmarks.
//!
//! The JSON files are embedded at compile time, so the demo needs no file at run time.
//!
//! Invariant: nothing in this crate names a real victim or witness; synthetic incidents use
//! roles and pseudonyms only, and every one of them says it is synthetic.

use serde::{Deserialize, Serialize};

pub mod synthetic;

const EDICTS_JSON: &str = include_str!("../data/edicts.json");
const MILESTONES_JSON: &str = include_str!("../data/milestones.json");
const PROVINCES_JSON: &str = include_str!("../data/provinces.json");
const DECLARATION_JSON: &str = include_str!("../data/declaration.json");

/// The domains an edict or incident can belong to; `accountability` is used by milestones only.
pub const DOMAINS: [&str; 11] = [
    "education",
    "employment",
    "movement",
    "dress",
    "public_space",
    "health",
    "media",
    "justice",
    "political_participation",
    "other",
    "accountability",
];

/// Why an embedded dataset could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// An embedded JSON file did not parse; a build shipping this is broken.
    #[error("demo dataset {file} is malformed: {source}")]
    Malformed {
        /// The file under `data/`.
        file: &'static str,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
}

/// A text in the three languages of the project.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Translated {
    /// English.
    pub en: String,
    /// Dari.
    pub fa: String,
    /// Pashto.
    pub ps: String,
}

impl Translated {
    /// The text in `lang` (`fa` or `ps`); any other code gives English.
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "fa" => &self.fa,
            "ps" => &self.ps,
            _ => &self.en,
        }
    }
}

/// A public source a fact was read from.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The source's title, as recorded in the facts file.
    pub title: String,
    /// Where to read it.
    pub url: String,
}

/// An edict, or an accountability milestone, as shipped in the demo dataset.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DemoEdict {
    /// `E001`… for edicts, `A001`… for milestones.
    pub id: String,
    /// `YYYY-MM-DD` or `YYYY-MM`: the precision the sources support.
    pub date: String,
    /// One of [`DOMAINS`].
    pub domain: String,
    /// A short title.
    pub title: Translated,
    /// One to three neutral sentences, keeping the sources' caveats.
    pub summary: Translated,
    /// Who issued it.
    pub issuing_body: Translated,
    /// Where it applies.
    pub scope: Translated,
    /// Where the facts come from.
    pub sources: Vec<Source>,
}

/// A province of Afghanistan.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Province {
    /// ISO 3166-2:AF code, e.g. `AF-BAL`.
    pub code: String,
    /// English name as in the ISO list.
    pub en: String,
    /// Dari name.
    pub fa: String,
    /// Pashto name.
    pub ps: String,
}

/// The demo coalition's declaration.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// Its title.
    pub title: Translated,
    /// Its paragraphs, in order.
    pub paragraphs: Vec<Translated>,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<T, DemoError> {
    serde_json::from_str(text).map_err(|source| DemoError::Malformed { file, source })
}

/// The edicts, ordered by id (`E001`…).
pub fn edicts() -> Result<Vec<DemoEdict>, DemoError> {
    parse("edicts.json", EDICTS_JSON)
}

/// The accountability milestones, ordered by id (`A001`…).
pub fn milestones() -> Result<Vec<DemoEdict>, DemoError> {
    parse("milestones.json", MILESTONES_JSON)
}

/// The 34 provinces, ordered by code.
pub fn provinces() -> Result<Vec<Province>, DemoError> {
    parse("provinces.json", PROVINCES_JSON)
}

/// The demo coalition's declaration.
pub fn declaration() -> Result<Declaration, DemoError> {
    parse("declaration.json", DECLARATION_JSON)
}

#[cfg(test)]
mod tests;
