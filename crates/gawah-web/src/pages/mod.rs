//! Server-rendered HTML pages. They work without JavaScript; forms post back and redirect.

mod access;
mod analysis;
mod field_errors;
mod figures;
mod incidents;
mod intake;
mod login;
mod public;
mod redact;
mod search;
mod submit;
mod testimonies;
mod vocab;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::ctx::{Ctx, LANG_COOKIE, Member, query_lang};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::state::AppState;

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Page {
    /// Translations.
    pub tr: Tr,
    /// The signed-in member.
    pub member: Option<Member>,
    /// The form token.
    pub csrf: String,
    /// The page title.
    pub title: String,
    /// The path, for language links.
    pub path: String,
}

impl Page {
    /// A page titled by the message `title_key`.
    pub fn new(ctx: &Ctx, title_key: &str, path: &str) -> Self {
        Self {
            tr: ctx.tr,
            member: ctx.member.clone(),
            csrf: ctx.csrf.clone(),
            title: ctx.tr.t(title_key),
            path: path.to_owned(),
        }
    }

    /// Languages for the switcher: (code, own name, is current).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), native_name(*l), *l == self.tr.lang))
            .collect()
    }
}

fn native_name(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Fa => "دری",
        Lang::Ps => "پښتو",
    }
}

/// A province's name in `lang`, from the demo dataset's translations; the code if unknown.
pub fn province_label(code: &str, lang: &str) -> String {
    static NAMES: std::sync::OnceLock<Vec<gawah_demo::Province>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| gawah_demo::provinces().unwrap_or_default());
    names.iter().find(|p| p.code == code).map_or_else(
        || code.to_owned(),
        |p| match lang {
            "fa" => p.fa.clone(),
            "ps" => p.ps.clone(),
            _ => p.en.clone(),
        },
    )
}

/// A perpetrator institution's name in `lang` when it is one the project translates (the
/// demo's institutions, stored by their English name); otherwise the name as recorded.
pub fn perpetrator_label(name: &str, lang: &str) -> String {
    gawah_demo::synthetic::perpetrators()
        .iter()
        .find(|(_, l)| l.en == name)
        .map_or_else(
            || name.to_owned(),
            |(_, l)| match lang {
                "fa" => l.fa.to_owned(),
                "ps" => l.ps.to_owned(),
                _ => l.en.to_owned(),
            },
        )
}

/// Renders a template into a response.
pub fn render(t: &impl Template) -> Result<Response, AppError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

/// An error as a page, for browsers.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    message: String,
}

/// Renders an error for a browser: the status and a short message in the page's language.
pub fn error_page(ctx: &Ctx, e: &AppError) -> Response {
    let key = match e {
        AppError::Unauthenticated => "error-unauthenticated",
        AppError::Forbidden => "error-forbidden",
        AppError::NotFound => "error-not-found",
        AppError::TooMany => "error-too-many",
        AppError::Internal(_) | AppError::Unavailable { .. } | AppError::StorageFull { .. } => {
            "error-internal"
        }
        _ => "error-bad-request",
    };
    if let AppError::Internal(detail) = e {
        tracing::error!(%detail, "internal error");
    }
    let page = ErrorPage {
        page: Page::new(ctx, "error-title", "/"),
        message: ctx.tr.t(key),
    };
    let body = page.render().unwrap_or_else(|_| "error".into());
    (e.status(), Html(body)).into_response()
}

/// Remembers `?lang=` in a cookie.
async fn remember_lang(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let chosen = query_lang(&parts).and_then(|l| Lang::from_code(&l));
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

static CSS: &str = include_str!("../../assets/app.css");
/// The incident page's resumable upload (tus), for browsers with JavaScript on; the page's
/// plain form works without it.
static UPLOAD_JS: &str = include_str!("../../assets/upload.js");
/// The redaction page's drawing of rectangles, for browsers with JavaScript on; the page's
/// number inputs work without it.
static REDACT_JS: &str = include_str!("../../assets/redact.js");
/// Vazirmatn (SIL Open Font License), which covers Dari and Pashto letters.
static FONT: &[u8] = include_bytes!("../../assets/fonts/vazirmatn-variable.woff2");

async fn font() -> Response {
    (
        [
            (header::CONTENT_TYPE, "font/woff2"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        FONT,
    )
        .into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn upload_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        UPLOAD_JS,
    )
        .into_response()
}

async fn redact_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        REDACT_JS,
    )
        .into_response()
}

/// Every page route.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .merge(public::routes())
        .merge(login::routes())
        .merge(incidents::routes())
        .merge(testimonies::routes())
        .route("/assets/app.css", axum::routing::get(css))
        .route("/assets/upload.js", axum::routing::get(upload_js))
        .route("/assets/redact.js", axum::routing::get(redact_js))
        .merge(redact::routes())
        .merge(submit::routes())
        .merge(intake::routes())
        .merge(figures::routes())
        .merge(search::routes())
        .merge(analysis::routes())
        .merge(access::routes())
        .merge(vocab::routes())
        .route(
            "/assets/fonts/vazirmatn-variable.woff2",
            axum::routing::get(font),
        )
        .layer(axum::middleware::from_fn(remember_lang))
}
