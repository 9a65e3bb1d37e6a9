//! Members' pages for anonymous submissions: the list at `/intake` (no content), the opened
//! submission (a POST with the form token, logged as a view), and its status.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gawah_core::vocab::Role;
use gawah_store::intake::{SubmissionRow, SubmissionStatus};

use super::{Page, error_page, province_label, render};
use crate::ctx::Ctx;
use crate::intake::{self, OpenedPart};
use crate::state::{AppState, blocking};

/// A submission as listed.
struct Listed {
    id: String,
    received: String,
    updated: String,
    status: String,
    parts: u32,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct ListPage {
    page: Page,
    enabled: bool,
    is_admin: bool,
    org: String,
    rows: Vec<Listed>,
}

/// An opened part, ready to show.
struct Shown {
    part: u32,
    day: String,
    text: String,
    when: String,
    province: String,
    contact: String,
    consent: String,
    language: String,
}

#[derive(Template)]
#[template(path = "intake_open.html")]
struct OpenPage {
    page: Page,
    id: String,
    status: String,
    received: String,
    statuses: Vec<(&'static str, String, bool)>,
    parts: Vec<Shown>,
}

fn listed(ctx: &Ctx, r: &SubmissionRow) -> Listed {
    Listed {
        id: r.id.to_string(),
        received: r.created_day.clone(),
        updated: r.updated_day.clone(),
        status: ctx
            .tr
            .t(&format!("submission-status-{}", r.status.as_str())),
        parts: r.parts,
    }
}

fn shown(ctx: &Ctx, p: OpenedPart) -> Shown {
    let lang = ctx.tr.code();
    let b = p.body;
    Shown {
        part: p.part,
        day: p.day,
        text: b.text,
        when: b.when.unwrap_or_default(),
        province: b
            .province
            .map(|c| province_label(&c, lang))
            .unwrap_or_default(),
        contact: b.contact.unwrap_or_default(),
        consent: b
            .consent
            .iter()
            .map(|c| ctx.tr.t(&format!("consent-{}", c.as_str())))
            .collect::<Vec<_>>()
            .join(if ctx.tr.dir() == "rtl" { "، " } else { ", " }),
        language: ctx.tr.t(&format!("language-{}", b.language)),
    }
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

async fn list(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    let is_admin = m.role == Role::Admin;
    let found = blocking(&state, move |s| {
        let rows = intake::list(s, &m)?;
        Ok((rows, intake::takes_submissions(s, &m.org)?, m.org))
    })
    .await;
    let (rows, enabled, org) = match found {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let page = ListPage {
        page: Page::new(&ctx, "intake-title", "/intake"),
        enabled,
        is_admin,
        org: org.to_string(),
        rows: rows.iter().map(|r| listed(&ctx, r)).collect(),
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

async fn open(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        ctx.check_csrf(csrf_of(&pairs))?;
        let m = ctx.member()?.clone();
        blocking(&state, move |s| intake::open(s, &m, &id)).await
    }
    .await;
    let (row, parts) = match result {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let page = OpenPage {
        page: Page::new(&ctx, "intake-open-title", "/intake"),
        id: row.id.to_string(),
        status: ctx
            .tr
            .t(&format!("submission-status-{}", row.status.as_str())),
        received: row.created_day.clone(),
        statuses: SubmissionStatus::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str(),
                    ctx.tr.t(&format!("submission-status-{}", s.as_str())),
                    *s == row.status,
                )
            })
            .collect(),
        parts: parts.into_iter().map(|p| shown(&ctx, p)).collect(),
    };
    let mut resp = render(&page).unwrap_or_else(|e| error_page(&ctx, &e));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn set_status(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        ctx.check_csrf(csrf_of(&pairs))?;
        let m = ctx.member()?.clone();
        let status = pairs
            .iter()
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        blocking(&state, move |s| intake::set_status(s, &m, &id, &status)).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/intake").into_response(),
        Err(e) => error_page(&ctx, &e),
    }
}

async fn enable(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        ctx.check_csrf(csrf_of(&pairs))?;
        let m = ctx.member()?.clone();
        blocking(&state, move |s| intake::enable(s, &m)).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/intake").into_response(),
        Err(e) => error_page(&ctx, &e),
    }
}

/// The members' intake routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/intake", get(list))
        .route("/intake/enable", post(enable))
        .route("/intake/{id}/open", post(open))
        .route("/intake/{id}/status", post(set_status))
}
