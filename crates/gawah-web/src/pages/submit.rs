//! The anonymous intake form at `/submit` and the receipt pages at `/submit/status`, for
//! witnesses without an account. Plain forms: no JavaScript, nothing from outside the server,
//! so they work in Tor Browser's safest mode.
//!
//! Forms carry a token that must match a session cookie scoped to `/submit` (double submit, as
//! on the login form; the cookie has no lifetime, so it ends with the browser session). The
//! receipt code only ever travels in POST bodies, never in a URL, and every answer here is
//! `Cache-Control: no-store`. The client address is used for the in-memory rate limits only
//! (see [`crate::intake`]).

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use gawah_core::OrgId;
use gawah_core::testimony::Consent;
use gawah_core::vocab::PROVINCES;
use gawah_store::intake::{SubmissionRow, SubmissionStatus};
use gawah_store::records::OrgRow;
use serde::Deserialize;

use super::{Page, error_page, province_label, render};
use crate::auth::{constant_time_eq, new_secret};
use crate::ctx::{Ctx, cookie};
use crate::error::AppError;
use crate::intake::{self, PartBody};
use crate::state::{AppState, blocking};

/// The intake forms' CSRF cookie (double submit), scoped to `/submit`.
pub const SUBMIT_CSRF_COOKIE: &str = "gawah_submit_csrf";

/// The form as typed, to show again with its errors.
#[derive(Debug, Default)]
struct Typed {
    org: String,
    body: PartBody,
    csrf: String,
    code: String,
}

fn typed(pairs: &[(String, String)]) -> Typed {
    let mut t = Typed::default();
    for (k, v) in pairs {
        match k.as_str() {
            "org" => t.org = v.clone(),
            "text" => t.body.text = v.clone(),
            "when" => t.body.when = Some(v.clone()),
            "province" => t.body.province = Some(v.clone()),
            "contact" => t.body.contact = Some(v.clone()),
            "consent" => t.body.consent.extend(Consent::parse(v)),
            "csrf" => t.csrf = v.clone(),
            "code" => t.code = v.clone(),
            _ => {}
        }
    }
    t
}

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    page: Page,
    form_csrf: String,
    orgs: Vec<OrgRow>,
    chosen: String,
    body: PartBody,
    errors: Vec<(&'static str, String)>,
    provinces: Vec<(&'static str, String)>,
    consents: Vec<(&'static str, String, bool)>,
}

impl SubmitPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
    fn province_is(&self, code: &str) -> bool {
        self.body.province.as_deref() == Some(code)
    }
}

#[derive(Template)]
#[template(path = "submit_receipt.html")]
struct ReceiptPage {
    page: Page,
    received: String,
    code: String,
}

/// A submission's state as the witness sees it.
struct StatusView {
    label: String,
    received: String,
    updated: String,
    parts: u32,
    open: bool,
}

#[derive(Template)]
#[template(path = "submit_status.html")]
struct StatusPage {
    page: Page,
    form_csrf: String,
    status: Option<StatusView>,
    code: String,
    notice: Option<String>,
    error: Option<String>,
    add_error: Option<String>,
}

/// The form token: the cookie's if the browser has one, else a new one to set.
fn form_token(headers: &HeaderMap) -> Result<(String, bool), AppError> {
    match cookie(headers, SUBMIT_CSRF_COOKIE).filter(|v| v.len() >= 32) {
        Some(v) => Ok((v.to_owned(), false)),
        None => Ok((
            new_secret().map_err(|e| AppError::Internal(e.to_string()))?,
            true,
        )),
    }
}

fn check_token(headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    let expected = cookie(headers, SUBMIT_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), submitted.as_bytes()) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// `no-store`, and the token cookie when it is new.
fn finish(state: &AppState, mut resp: Response, token: &str, fresh: bool) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if fresh {
        let secure = if state.secure_cookies { "; Secure" } else { "" };
        let c = format!(
            "{SUBMIT_CSRF_COOKIE}={token}; Path=/submit; HttpOnly; SameSite=Strict{secure}"
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn with_status(status: StatusCode, resp: Result<Response, AppError>) -> Result<Response, AppError> {
    resp.map(|mut r| {
        *r.status_mut() = status;
        r
    })
}

#[derive(Deserialize)]
struct Choose {
    org: Option<String>,
}

/// The organisations to offer: only `wanted` if it takes submissions, else all that do.
fn offered(all: Vec<OrgRow>, wanted: Option<&str>) -> Vec<OrgRow> {
    match wanted.and_then(|w| all.iter().find(|o| o.id.as_str() == w)) {
        Some(one) => vec![one.clone()],
        None => all,
    }
}

fn submit_page(
    ctx: &Ctx,
    token: String,
    orgs: Vec<OrgRow>,
    t: Typed,
    problems: &[&'static str],
) -> SubmitPage {
    let lang = ctx.tr.code();
    let chosen = if orgs.len() == 1 {
        orgs[0].id.to_string()
    } else {
        t.org
    };
    SubmitPage {
        page: Page::new(ctx, "submit-title", "/submit"),
        form_csrf: token,
        orgs,
        chosen,
        errors: problems
            .iter()
            .map(|f| (*f, ctx.tr.t(&format!("submit-error-{f}"))))
            .collect(),
        provinces: PROVINCES
            .iter()
            .map(|(c, _)| (*c, province_label(c, lang)))
            .collect(),
        consents: Consent::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    ctx.tr.t(&format!("consent-{}", c.as_str())),
                    t.body.consent.contains(c),
                )
            })
            .collect(),
        body: t.body,
    }
}

async fn show(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<Choose>,
) -> Response {
    let result = async {
        let (token, fresh) = form_token(&headers)?;
        let all = blocking(&state, |s| Ok(s.ledger.store.intake_orgs()?)).await?;
        let orgs = offered(all, q.org.as_deref());
        let t = Typed {
            body: PartBody {
                consent: vec![Consent::Internal],
                ..PartBody::default()
            },
            ..Typed::default()
        };
        let resp = render(&submit_page(&ctx, token.clone(), orgs, t, &[]))?;
        Ok::<_, AppError>(finish(&state, resp, &token, fresh))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&ctx, &e))
}

async fn create(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut t = typed(&pairs);
    t.body.language = ctx.tr.code().to_owned();
    let result = async {
        check_token(&headers, &t.csrf)?;
        let all = blocking(&state, |s| Ok(s.ledger.store.intake_orgs()?)).await?;
        let org = all.iter().find(|o| o.id.as_str() == t.org).cloned();
        let body = t.body.clone();
        let checked = intake::validate(body, true);
        let (org, body) = match (org, checked) {
            (Some(org), Ok(body)) => (org, body),
            (org, checked) => {
                let mut problems = checked.err().unwrap_or_default();
                if org.is_none() {
                    problems.insert(0, "org");
                }
                let orgs = offered(all, Some(&t.org));
                let token = t.csrf.clone();
                let page = submit_page(&ctx, token, orgs, t, &problems);
                return with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page));
            }
        };
        // Counted here, in memory only: a witness fixing a typo is not held back.
        if !state.intake_limiter.allow(addr.ip()) {
            return Err(AppError::TooMany);
        }
        let org_id: OrgId = org.id.clone();
        let (_, code) = blocking(&state, move |s| intake::submit(s, &org_id, body)).await?;
        render(&ReceiptPage {
            page: Page::new(&ctx, "submit-received-title", "/submit/status"),
            received: ctx.tr.t_args("submit-received", &[("org", org.name)]),
            code,
        })
    }
    .await;
    match result {
        Ok(resp) => finish(&state, resp, "", false),
        Err(e) => finish(&state, error_page(&ctx, &e), "", false),
    }
}

fn status_view(ctx: &Ctx, row: &SubmissionRow) -> StatusView {
    StatusView {
        label: ctx
            .tr
            .t(&format!("submission-status-{}", row.status.as_str())),
        received: row.created_day.clone(),
        updated: row.updated_day.clone(),
        parts: row.parts,
        open: row.status != SubmissionStatus::Closed,
    }
}

fn status_page(ctx: &Ctx, token: String) -> StatusPage {
    StatusPage {
        page: Page::new(ctx, "submit-status-title", "/submit/status"),
        form_csrf: token,
        status: None,
        code: String::new(),
        notice: None,
        error: None,
        add_error: None,
    }
}

async fn status_form(ctx: Ctx, State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let result = form_token(&headers).and_then(|(token, fresh)| {
        let resp = render(&status_page(&ctx, token.clone()))?;
        Ok(finish(&state, resp, &token, fresh))
    });
    result.unwrap_or_else(|e| error_page(&ctx, &e))
}

/// Looks up (and for `add`, adds to) the submission of the posted code. Every code that is not
/// a receipt, whatever its form, gets the same page through the same steps.
async fn status_answer(
    ctx: Ctx,
    state: Arc<AppState>,
    addr: SocketAddr,
    headers: HeaderMap,
    pairs: Vec<(String, String)>,
    add: bool,
) -> Response {
    let mut t = typed(&pairs);
    t.body.language = ctx.tr.code().to_owned();
    if let Err(e) = check_token(&headers, &t.csrf) {
        return finish(&state, error_page(&ctx, &e), "", false);
    }
    if !state.receipt_limiter.allow(addr.ip()) {
        return finish(&state, error_page(&ctx, &AppError::TooMany), "", false);
    }
    let mut page = status_page(&ctx, t.csrf.clone());
    let code = t.code.clone();
    let checked = if add {
        Some(intake::validate(t.body.clone(), false))
    } else {
        None
    };
    let allowed = !add || state.intake_limiter.allow(addr.ip());
    let found = blocking(&state, move |s| {
        let row = intake::by_receipt(s, &code)?;
        match checked {
            Some(Ok(body)) if allowed => intake::add_part(s, &code, body).map(|r| (r, true)),
            Some(Ok(_)) => Err(AppError::TooMany),
            _ => Ok((row, false)),
        }
    })
    .await;
    let mut status = StatusCode::OK;
    match found {
        Ok((row, added)) => {
            page.status = Some(status_view(&ctx, &row));
            page.code = intake::normalise_receipt(&t.code);
            if added {
                page.notice = Some(ctx.tr.t("submit-added"));
            } else if add {
                page.add_error = Some(ctx.tr.t("submit-error-add"));
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        }
        Err(AppError::NotFound) => {
            page.error = Some(ctx.tr.t("submit-no-such-code"));
            status = StatusCode::NOT_FOUND;
        }
        Err(AppError::Conflict(_)) => {
            page.error = Some(ctx.tr.t("submit-closed"));
            status = StatusCode::CONFLICT;
        }
        Err(e) => return finish(&state, error_page(&ctx, &e), "", false),
    }
    let resp = with_status(status, render(&page)).unwrap_or_else(|e| error_page(&ctx, &e));
    finish(&state, resp, "", false)
}

async fn status_check(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    status_answer(ctx, state, addr, headers, pairs, false).await
}

async fn status_add(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    status_answer(ctx, state, addr, headers, pairs, true).await
}

/// The anonymous intake routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/submit", get(show).post(create))
        .route("/submit/status", get(status_form).post(status_check))
        .route("/submit/status/add", axum::routing::post(status_add))
}
