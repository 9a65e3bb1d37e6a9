//! Edicts: decrees, orders and official statements, with translations and sources.

use serde::{Deserialize, Serialize};

/// A text in English, Dari and Pashto.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translated {
    /// English.
    pub en: String,
    /// Dari.
    pub fa: String,
    /// Pashto.
    pub ps: String,
}

impl Translated {
    /// The text in `lang` (`fa`, `ps`, otherwise English), falling back to English when that
    /// translation is empty.
    pub fn get(&self, lang: &str) -> &str {
        let t = match lang {
            "fa" => &self.fa,
            "ps" => &self.ps,
            _ => &self.en,
        };
        if t.is_empty() { &self.en } else { t }
    }
}

/// Where a fact comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The source's title.
    pub title: String,
    /// Its address.
    pub url: String,
}

/// An edict (or, with domain `accountability`, an accountability milestone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edict {
    /// Stable id such as `E001`.
    pub id: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: String,
    /// The domain of life it restricts.
    pub domain: String,
    /// Title.
    pub title: Translated,
    /// Summary.
    pub summary: Translated,
    /// Who issued it.
    pub issuing_body: Translated,
    /// Where it applies.
    pub scope: Translated,
    /// Sources.
    pub sources: Vec<Source>,
}
