//! Vocabularies on the web: the labels an organisation's pages show, and the one logged
//! change an admin makes to a term, shared by `/admin/vocabularies` and the API
//! (`GET /api/v1/vocabularies`, `POST /api/v1/vocabularies/{vocab}`).
//!
//! What is editable (see `gawah_store::vocab` for why): perpetrator institutions (add,
//! relabel, retire), and the per-language labels of violation types and verification
//! statuses. Stored values never change: incidents keep the keys and free text they hold; a
//! page shows a perpetrator by its term's label when the stored value is the term's key or
//! its English label, and a violation type or status by the organisation's label when it
//! has one, else by the interface's message.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use gawah_core::OrgId;
use gawah_core::vocab::Role;
use gawah_store::vocab::{VocabKind, VocabTerm, VocabTermRow, label, term_change};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::{ApiMember, Member};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::state::{AppState, blocking};

/// The labels of one organisation's vocabularies in one language.
#[derive(Debug, Clone)]
pub struct OrgLabels {
    tr: Tr,
    terms: Vec<VocabTerm>,
}

impl OrgLabels {
    /// The labels of `org`'s terms, in `tr`'s language.
    pub fn load(s: &AppState, org: &OrgId, tr: Tr) -> Result<Self, AppError> {
        let terms = s.ledger.store.vocab_terms(org)?;
        Ok(Self {
            tr,
            terms: terms.into_iter().map(|r| r.term).collect(),
        })
    }

    /// The interface's translations.
    pub fn tr(&self) -> &Tr {
        &self.tr
    }

    fn overridden(&self, vocab: VocabKind, key: &str) -> Option<String> {
        self.terms
            .iter()
            .find(|t| t.vocab == vocab && t.key == key)
            .and_then(|t| t.label(self.tr.code()))
            .map(str::to_owned)
    }

    /// A violation type (domain) by the organisation's label, else the interface's.
    pub fn domain(&self, key: &str) -> String {
        self.overridden(VocabKind::ViolationType, key)
            .unwrap_or_else(|| fixed_default(VocabKind::ViolationType, key, &self.tr))
    }

    /// A verification status by the organisation's label, else the interface's.
    pub fn status(&self, key: &str) -> String {
        self.overridden(VocabKind::VerificationStatus, key)
            .unwrap_or_else(|| fixed_default(VocabKind::VerificationStatus, key, &self.tr))
    }

    /// The institution a recorded perpetrator names: by key, else by English label (any
    /// case); retired terms included, since old incidents name them.
    pub fn institution(&self, value: &str) -> Option<&VocabTerm> {
        let value = value.trim();
        let institutions = || {
            self.terms
                .iter()
                .filter(|t| t.vocab == VocabKind::Institution)
        };
        institutions().find(|t| t.key == value).or_else(|| {
            let lower = value.to_lowercase();
            institutions().find(|t| t.en.as_ref().is_some_and(|en| en.to_lowercase() == lower))
        })
    }

    /// A recorded perpetrator as people read it: the institution's label in the page's
    /// language (English if it has none there), else the project's own translation of the
    /// demo institutions, else the text as recorded.
    pub fn perpetrator(&self, value: &str) -> String {
        match self.institution(value) {
            Some(t) => institution_label(t, self.tr.code()),
            None => crate::pages::perpetrator_label(value, self.tr.code()),
        }
    }

    /// A recorded perpetrator as counted: the key of the institution it names, so that a
    /// key and an English label of one institution count together; else as recorded.
    pub fn perpetrator_key(&self, value: &str) -> String {
        self.institution(value)
            .map_or_else(|| value.to_owned(), |t| t.key.clone())
    }

    /// The institutions offered for new incidents: (key, label), by label.
    pub fn offered_institutions(&self) -> Vec<(String, String)> {
        let mut offered: Vec<(String, String)> = self
            .terms
            .iter()
            .filter(|t| t.vocab == VocabKind::Institution && t.active)
            .map(|t| (t.key.clone(), institution_label(t, self.tr.code())))
            .collect();
        offered.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        offered
    }
}

/// An institution's label in `lang`, else its English one, else its key.
fn institution_label(t: &VocabTerm, lang: &str) -> String {
    t.label(lang)
        .or(t.en.as_deref())
        .unwrap_or(&t.key)
        .to_owned()
}

/// The interface's own label of a key of a fixed vocabulary (the Fluent message).
pub fn fixed_default(vocab: VocabKind, key: &str, tr: &Tr) -> String {
    match vocab {
        VocabKind::ViolationType => tr.t(&format!("domain-{key}")),
        VocabKind::VerificationStatus => tr.t(&format!("status-{key}")),
        VocabKind::Institution => key.to_owned(),
    }
}

/// A term as an admin submits it (the API's body; the page's form has the same fields).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermInput {
    /// The key: a new institution's, or the term to change.
    pub key: String,
    /// English label (for a fixed vocabulary: an override; empty or absent for none).
    #[serde(default)]
    pub en: Option<String>,
    /// Dari label.
    #[serde(default)]
    pub fa: Option<String>,
    /// Pashto label.
    #[serde(default)]
    pub ps: Option<String>,
    /// Offered for new incidents; `true` if absent.
    #[serde(default)]
    pub active: Option<bool>,
    /// The version the change is based on (0 for a new term); if given and not the stored
    /// one, the change is refused as a conflict.
    #[serde(default)]
    pub version: Option<u64>,
}

impl TermInput {
    /// The term it describes: key lower-cased, labels trimmed, empty labels absent.
    pub fn term(&self, vocab: VocabKind) -> VocabTerm {
        let opt = |v: &Option<String>| v.as_deref().and_then(label);
        VocabTerm {
            active: self.active.unwrap_or(true),
            en: opt(&self.en),
            fa: opt(&self.fa),
            key: self.key.trim().to_lowercase(),
            ps: opt(&self.ps),
            vocab,
        }
    }
}

/// Admins only: writes the term as a new version, one logged commit; nothing if it is
/// unchanged. Returns the stored term and whether it changed.
pub fn save(
    s: &AppState,
    m: &Member,
    vocab: VocabKind,
    input: &TermInput,
) -> Result<(VocabTermRow, bool), AppError> {
    if m.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let term = input.term(vocab);
    term.validate().map_err(AppError::Invalid)?;
    let store = &s.ledger.store;
    let current = store.vocab_term(&m.org, vocab, &term.key)?;
    let stored = current.as_ref().map_or(0, |r| r.version);
    if input.version.is_some_and(|v| v != stored) {
        return Err(AppError::Conflict(format!(
            "{vocab} {:?} is at version {stored}; reload and try again",
            term.key
        )));
    }
    if let Some(row) = current.filter(|r| r.term == term) {
        return Ok((row, false));
    }
    let key = term.key.clone();
    let now = s.ledger.clock().now();
    let change = term_change(now, m.id.as_str(), &m.org, term, stored + 1)?;
    s.ledger.commit(&[change])?;
    let row = store
        .vocab_term(&m.org, vocab, &key)?
        .ok_or_else(|| AppError::Internal("a committed term is missing".into()))?;
    Ok((row, true))
}

/// A term as the API shows it: the stored labels (`null` where none), the labels in effect
/// in each language, its version (0: never changed) and the entry of its current version.
pub fn term_json(vocab: VocabKind, key: &str, row: Option<&VocabTermRow>) -> Value {
    let term = row.map(|r| &r.term);
    let effective = |lang: Lang| match (vocab, term) {
        (VocabKind::Institution, Some(t)) => institution_label(t, lang.code()),
        (_, Some(t)) if t.label(lang.code()).is_some() => {
            t.label(lang.code()).unwrap_or_default().to_owned()
        }
        _ => fixed_default(vocab, key, &Tr::new(lang)),
    };
    json!({
        "vocab": vocab.as_str(),
        "key": key,
        "active": term.is_none_or(|t| t.active),
        "en": term.and_then(|t| t.en.clone()),
        "fa": term.and_then(|t| t.fa.clone()),
        "ps": term.and_then(|t| t.ps.clone()),
        "labels": {
            "en": effective(Lang::En),
            "fa": effective(Lang::Fa),
            "ps": effective(Lang::Ps),
        },
        "version": row.map_or(0, |r| r.version),
        "log_index": row.map(|r| r.log_index),
    })
}

/// Every vocabulary of an organisation as the API shows it: its institutions, and every key
/// of each fixed vocabulary (edited or not).
pub fn vocabularies_json(rows: &[VocabTermRow]) -> Value {
    let mut all = serde_json::Map::new();
    for vocab in VocabKind::ALL {
        let find = |key: &str| {
            rows.iter()
                .find(|r| r.term.vocab == vocab && r.term.key == key)
        };
        let terms: Vec<Value> = match vocab.fixed_keys() {
            Some(keys) => keys.iter().map(|k| term_json(vocab, k, find(k))).collect(),
            None => rows
                .iter()
                .filter(|r| r.term.vocab == vocab)
                .map(|r| term_json(vocab, &r.term.key, Some(r)))
                .collect(),
        };
        all.insert(vocab.as_str().to_owned(), Value::Array(terms));
    }
    json!({ "vocabularies": all })
}

/// `GET /api/v1/vocabularies`: any member.
pub async fn api_list(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, AppError> {
    let rows = blocking(&state, move |s| Ok(s.ledger.store.vocab_terms(&m.org)?)).await?;
    Ok(Json(vocabularies_json(&rows)))
}

/// `POST /api/v1/vocabularies/{vocab}`: admins add or change a term.
pub async fn api_save(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(vocab): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    if m.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let vocab: VocabKind = vocab.parse().map_err(|_| AppError::NotFound)?;
    let input: TermInput = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let (row, changed) = blocking(&state, move |s| save(s, &m, vocab, &input)).await?;
    let mut v = term_json(vocab, &row.term.key, Some(&row));
    v["changed"] = json!(changed);
    Ok(Json(v))
}
