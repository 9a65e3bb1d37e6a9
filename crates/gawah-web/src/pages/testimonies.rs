//! Testimony pages: the form to record one in an incident (no JavaScript needed), and the
//! testimony's page, whose confidential fields open only on a POST that logs the read.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gawah_core::TestimonyId;
use gawah_core::incident::FieldError;
use gawah_core::testimony::{Consent, TestimonyConfidential, TestimonyInput, TestimonyInternal};

use super::{Page, error_page, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::state::{AppState, blocking};
use crate::testimonies;

/// Languages offered for a statement (any ISO 639-1 code is accepted by the API).
const LANGUAGES: [&str; 5] = ["fa", "ps", "en", "uz", "tk"];

#[derive(Template)]
#[template(path = "testimony_form.html")]
struct FormPage {
    page: Page,
    incident: String,
    input: TestimonyInput,
    errors: Vec<(String, String)>,
    languages: Vec<(&'static str, String)>,
    consents: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "testimony.html")]
struct ShowPage {
    page: Page,
    id: String,
    incident: String,
    language: String,
    taken_on: String,
    consent: Vec<String>,
    erased: bool,
    can_reveal: bool,
    revealed: Option<TestimonyConfidential>,
}

fn form_page(ctx: &Ctx, incident: &str, input: TestimonyInput, errors: &[FieldError]) -> Response {
    let page = FormPage {
        page: Page::new(
            ctx,
            "testimony-new",
            &format!("/incidents/{incident}/testimonies/new"),
        ),
        incident: incident.to_owned(),
        errors: errors
            .iter()
            .map(|e| {
                (
                    e.field.to_owned(),
                    ctx.tr.t(&format!("testimony-error-{}", e.field)),
                )
            })
            .collect(),
        languages: LANGUAGES
            .iter()
            .map(|l| (*l, ctx.tr.t(&format!("language-{l}"))))
            .collect(),
        consents: Consent::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    ctx.tr.t(&format!("consent-{}", c.as_str())),
                    input.consent.iter().any(|x| x == c.as_str()),
                )
            })
            .collect(),
        input,
    };
    render(&page).unwrap_or_else(|e| error_page(ctx, &e))
}

async fn new_form(ctx: Ctx, Path(incident): Path<String>) -> Response {
    let Some(m) = &ctx.member else {
        return Redirect::to("/login").into_response();
    };
    if !m.role.can_write_records() {
        return error_page(&ctx, &AppError::Forbidden);
    }
    let input = TestimonyInput {
        consent: vec![Consent::Internal.as_str().to_owned()],
        language: ctx.tr.code().to_owned(),
        ..TestimonyInput::default()
    };
    form_page(&ctx, &incident, input, &[])
}

fn input_from(pairs: &[(String, String)]) -> (TestimonyInput, String) {
    let mut input = TestimonyInput::default();
    let mut csrf = String::new();
    let opt = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    for (k, v) in pairs {
        match k.as_str() {
            "statement" => input.statement = v.clone(),
            "witness_name" => input.witness_name = opt(v),
            "witness_contact" => input.witness_contact = opt(v),
            "language" => input.language = v.clone(),
            "consent" => input.consent.push(v.clone()),
            "taken_on" => input.taken_on = opt(v),
            "csrf" => csrf = v.clone(),
            _ => {}
        }
    }
    (input, csrf)
}

async fn create(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(incident): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (input, csrf) = input_from(&pairs);
    let Some(m) = ctx.member.clone() else {
        return error_page(&ctx, &AppError::Unauthenticated);
    };
    if let Err(e) = ctx.check_csrf(&csrf) {
        return error_page(&ctx, &e);
    }
    let to_save = input.clone();
    let target = incident.clone();
    match blocking(&state, move |s| {
        testimonies::create_testimony(s, &m, &target, &to_save)
    })
    .await
    {
        Ok((id, _)) => Redirect::to(&format!("/testimonies/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => form_page(&ctx, &incident, input, &errors),
        Err(e) => error_page(&ctx, &e),
    }
}

async fn show(ctx: Ctx, State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    show_page(ctx, state, id, false).await
}

async fn reveal(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (_, csrf) = input_from(&pairs);
    if let Err(e) = ctx.check_csrf(&csrf) {
        return error_page(&ctx, &e);
    }
    show_page(ctx, state, id, true).await
}

async fn show_page(ctx: Ctx, state: Arc<AppState>, id: String, reveal: bool) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    let can_reveal = m.role.can_read_confidential();
    let found = blocking(&state, move |s| {
        let tid: TestimonyId = id.parse().map_err(|_| AppError::NotFound)?;
        let row = s
            .ledger
            .store
            .testimony(&m.org, &tid)?
            .ok_or(AppError::NotFound)?;
        let internal: TestimonyInternal = serde_json::from_str(&row.record.internal)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let revealed = if reveal && can_reveal && row.record.sealed.is_some() {
            Some(testimonies::open_testimony(s, &m, &row)?)
        } else {
            None
        };
        Ok((row, internal, revealed))
    })
    .await;
    let (row, internal, revealed) = match found {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let page = ShowPage {
        page: Page::new(
            &ctx,
            "testimony-title",
            &format!("/testimonies/{}", row.record.id),
        ),
        id: row.record.id.clone(),
        incident: row.incident.to_string(),
        language: ctx.tr.t(&format!("language-{}", internal.language)),
        taken_on: internal.taken_on.clone().unwrap_or_default(),
        consent: internal
            .consent
            .iter()
            .map(|c| ctx.tr.t(&format!("consent-{}", c.as_str())))
            .collect(),
        erased: row.record.sealed.is_none(),
        can_reveal,
        revealed,
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

/// The testimony routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/incidents/{id}/testimonies/new", get(new_form))
        .route("/incidents/{id}/testimonies", post(create))
        .route("/testimonies/{id}", get(show))
        .route("/testimonies/{id}/reveal", post(reveal))
}
