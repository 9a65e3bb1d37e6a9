//! The vocabularies page for admins (`/admin/vocabularies`): the organisation's perpetrator
//! institutions (add, relabel in English, Dari and Pashto, retire) and its labels of the
//! fixed vocabularies (violation types, verification statuses). One form per term, each
//! save one logged change (`crate::vocab::save`); no JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gawah_core::incident::FieldError;
use gawah_core::vocab::Role;
use gawah_store::vocab::{VocabKind, VocabTermRow};

use super::{Page, error_page, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::state::{AppState, blocking};
use crate::vocab::{TermInput, fixed_default, save};

/// One label input of a term's form.
struct LabelField {
    lang: &'static str,
    name: String,
    value: String,
    /// For a fixed vocabulary: the interface's label in that language.
    default: String,
}

/// One term's form.
struct TermForm {
    vocab: &'static str,
    key: String,
    labels: Vec<LabelField>,
    active: bool,
    version: u64,
}

impl TermForm {
    fn anchor(&self) -> String {
        format!("{}-{}", self.vocab, self.key)
    }
}

#[derive(Template)]
#[template(path = "vocab.html")]
struct VocabPage {
    page: Page,
    institutions: Vec<TermForm>,
    new_institution: TermForm,
    violation_types: Vec<TermForm>,
    statuses: Vec<TermForm>,
    errors: Vec<String>,
}

/// The posted form.
#[derive(Default)]
struct Posted {
    csrf: String,
    vocab: String,
    input: TermInput,
}

fn posted(pairs: &[(String, String)]) -> Posted {
    let mut p = Posted::default();
    p.input.active = Some(false);
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => p.csrf = v.clone(),
            "vocab" => p.vocab = v.clone(),
            "key" => p.input.key = v.clone(),
            "en" => p.input.en = Some(v.clone()),
            "fa" => p.input.fa = Some(v.clone()),
            "ps" => p.input.ps = Some(v.clone()),
            "active" => p.input.active = Some(true),
            "version" => p.input.version = Some(v.parse().unwrap_or(0)),
            _ => {}
        }
    }
    p
}

/// The form of a term: its stored values, or what the admin just typed if that is the
/// term the page comes back for.
fn term_form(
    vocab: VocabKind,
    key: &str,
    row: Option<&VocabTermRow>,
    typed: Option<&TermInput>,
    tr: &Tr,
) -> TermForm {
    let stored = row.map(|r| &r.term);
    let labels = Lang::ALL
        .iter()
        .map(|lang| {
            let code = lang.code();
            let value = match typed {
                Some(t) => match code {
                    "fa" => t.fa.clone(),
                    "ps" => t.ps.clone(),
                    _ => t.en.clone(),
                },
                None => stored.and_then(|s| s.label(code).map(str::to_owned)),
            };
            LabelField {
                lang: code,
                name: tr.t(&format!("language-{code}")),
                value: value.unwrap_or_default(),
                default: match vocab {
                    VocabKind::Institution => String::new(),
                    _ => fixed_default(vocab, key, &crate::i18n::Tr::new(*lang)),
                },
            }
        })
        .collect();
    TermForm {
        vocab: vocab.as_str(),
        key: key.to_owned(),
        labels,
        active: match typed {
            Some(t) => t.active.unwrap_or(true),
            None => stored.is_none_or(|s| s.active),
        },
        version: row.map_or(0, |r| r.version),
    }
}

/// The page, with what the admin typed kept for the term it was about.
async fn show(
    ctx: &Ctx,
    state: &Arc<AppState>,
    typed: Option<(VocabKind, TermInput)>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    if m.role != Role::Admin {
        return error_page(ctx, &AppError::Forbidden);
    }
    let rows = match blocking(state, move |s| Ok(s.ledger.store.vocab_terms(&m.org)?)).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, &e),
    };
    let tr = &ctx.tr;
    let typed_for = |vocab: VocabKind, key: &str| {
        typed
            .as_ref()
            .filter(|(v, t)| *v == vocab && t.key.trim().to_lowercase() == key)
            .map(|(_, t)| t)
    };
    let fixed = |vocab: VocabKind| -> Vec<TermForm> {
        let keys = vocab.fixed_keys().unwrap_or_default();
        keys.iter()
            .map(|k| {
                let row = rows
                    .iter()
                    .find(|r| r.term.vocab == vocab && r.term.key == *k);
                term_form(vocab, k, row, typed_for(vocab, k), tr)
            })
            .collect()
    };
    let institution = VocabKind::Institution;
    let new_typed = typed
        .as_ref()
        .filter(|(v, t)| *v == institution && t.version == Some(0))
        .map(|(_, t)| t);
    let mut new_institution = term_form(institution, "", None, new_typed, tr);
    if let Some(t) = new_typed {
        new_institution.key = t.key.clone();
    }
    let view = VocabPage {
        page: Page::new(ctx, "vocab-title", "/admin/vocabularies"),
        institutions: rows
            .iter()
            .filter(|r| r.term.vocab == institution)
            .map(|r| {
                let typed = typed_for(institution, &r.term.key).filter(|t| t.version != Some(0));
                term_form(institution, &r.term.key, Some(r), typed, tr)
            })
            .collect(),
        new_institution,
        violation_types: fixed(VocabKind::ViolationType),
        statuses: fixed(VocabKind::VerificationStatus),
        errors,
    };
    (
        status,
        render(&view).unwrap_or_else(|e| error_page(ctx, &e)),
    )
        .into_response()
}

async fn page(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    show(&ctx, &state, None, Vec::new(), StatusCode::OK).await
}

/// A field error in the page's language.
fn message(tr: &Tr, e: &FieldError) -> String {
    let key = match e.field {
        "key" => "vocab-error-key",
        "active" => "vocab-error-active",
        _ => "vocab-error-label",
    };
    tr.t(key)
}

async fn post(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Posted { csrf, vocab, input } = posted(&pairs);
    let Some(m) = ctx.member.clone() else {
        return error_page(&ctx, &AppError::Unauthenticated);
    };
    if let Err(e) = ctx.check_csrf(&csrf) {
        return error_page(&ctx, &e);
    }
    if m.role != Role::Admin {
        return error_page(&ctx, &AppError::Forbidden);
    }
    let Ok(vocab) = vocab.parse::<VocabKind>() else {
        return error_page(&ctx, &AppError::NotFound);
    };
    let mut input = input;
    if vocab.fixed_keys().is_some() {
        // Fixed terms are always offered; their form has no such box.
        input.active = Some(true);
    }
    let to_save = input.clone();
    match blocking(&state, move |s| save(s, &m, vocab, &to_save)).await {
        Ok((row, _)) => {
            Redirect::to(&format!("/admin/vocabularies#{vocab}-{}", row.term.key)).into_response()
        }
        Err(AppError::Invalid(errors)) => {
            let mut messages: Vec<String> = errors.iter().map(|e| message(&ctx.tr, e)).collect();
            messages.dedup();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(&ctx, &state, Some((vocab, input)), messages, status).await
        }
        Err(AppError::Conflict(_)) => {
            let messages = vec![ctx.tr.t("vocab-error-conflict")];
            show(
                &ctx,
                &state,
                Some((vocab, input)),
                messages,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => error_page(&ctx, &e),
    }
}

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/admin/vocabularies", get(page).post(post))
}
