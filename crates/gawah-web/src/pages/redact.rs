//! The redaction page: `GET /evidence/{id}/redact` shows the image and a form of rectangles
//! (x, y, width, height in pixels), `POST` makes the redacted copy and goes back to the
//! incident. It works without JavaScript: rows of number inputs, more rows by resubmitting
//! with "More rows"; with it, `assets/redact.js` lets the user draw the rectangles on the
//! image and fills the inputs.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{Page, error_page, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::redact::{MAX_RECTS, Rect, may_redact};
use crate::state::{AppState, blocking};

/// Empty rows offered at first, and added by "More rows".
const ROWS: usize = 5;

/// One row of the form, as typed.
#[derive(Debug, Clone, Default)]
struct Row {
    x: String,
    y: String,
    w: String,
    h: String,
}

impl Row {
    fn is_empty(&self) -> bool {
        [&self.x, &self.y, &self.w, &self.h]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

#[derive(Template)]
#[template(path = "redact.html")]
struct RedactPage {
    page: Page,
    item: String,
    incident: Option<String>,
    /// The image's size as displayed, if its header could be read.
    size: Option<Size>,
    /// That size, said.
    size_text: String,
    /// Each row with its legend.
    rows: Vec<(String, Row)>,
    error: Option<String>,
}

/// An image's width and height in pixels.
type Size = (u32, u32);

/// Blocking: the item (404 if not the member's, 403 if the role may not redact), its
/// incident, and its size.
fn load(s: &AppState, ctx: &Ctx, id: &str) -> Result<(Option<String>, Option<Size>), AppError> {
    let m = ctx.member()?;
    if !may_redact(m.role) {
        return Err(AppError::Forbidden);
    }
    let owned = crate::evidence::owned_item(s, m, id)?;
    let size = crate::redact::dimensions(s, &owned.item);
    Ok((owned.incident.map(|i| i.to_string()), size))
}

async fn page(
    ctx: Ctx,
    state: &Arc<AppState>,
    id: String,
    rows: Vec<Row>,
    error: Option<String>,
) -> Response {
    if ctx.member.is_none() {
        return Redirect::to("/login").into_response();
    }
    let c = ctx.clone();
    let target = id.clone();
    let (incident, size) = match blocking(state, move |s| load(s, &c, &target)).await {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = RedactPage {
        page: Page::new(&ctx, "redact-title", &format!("/evidence/{id}/redact")),
        item: id,
        incident,
        size,
        size_text: size
            .map(|(w, h)| {
                ctx.tr.t_args(
                    "redact-size",
                    &[("width", w.to_string()), ("height", h.to_string())],
                )
            })
            .unwrap_or_default(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let legend = ctx.tr.t_args("redact-row", &[("row", (i + 1).to_string())]);
                (legend, r)
            })
            .collect(),
        error,
    };
    (status, render(&p).unwrap_or_else(|e| error_page(&ctx, &e))).into_response()
}

async fn show(ctx: Ctx, State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    page(ctx, &state, id, vec![Row::default(); ROWS], None).await
}

/// Reads the posted rows: repeated `x`, `y`, `w`, `h` fields, in order.
fn rows_from(pairs: &[(String, String)]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut n = [0usize; 4];
    for (k, v) in pairs {
        let col = match k.as_str() {
            "x" => 0,
            "y" => 1,
            "w" => 2,
            "h" => 3,
            _ => continue,
        };
        let i = n[col];
        n[col] += 1;
        if i >= MAX_RECTS + ROWS {
            continue;
        }
        if rows.len() <= i {
            rows.resize(i + 1, Row::default());
        }
        let cell = match col {
            0 => &mut rows[i].x,
            1 => &mut rows[i].y,
            2 => &mut rows[i].w,
            _ => &mut rows[i].h,
        };
        *cell = v.trim().to_owned();
    }
    rows
}

/// The rectangles of the filled rows, or the message for the page.
fn rects_of(ctx: &Ctx, rows: &[Row]) -> Result<Vec<Rect>, String> {
    let mut list = Vec::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
        let nums: Option<Vec<u32>> = [&r.x, &r.y, &r.w, &r.h]
            .iter()
            .map(|v| gawah_core::calendar::to_ascii_digits(v).parse().ok())
            .collect();
        match nums.as_deref() {
            Some(&[x, y, w, h]) => list.push(serde_json::json!([x, y, w, h])),
            _ => {
                return Err(ctx
                    .tr
                    .t_args("redact-error-row", &[("row", (i + 1).to_string())]));
            }
        }
    }
    crate::redact::parse_rects(&serde_json::Value::Array(list))
        .map_err(|_| ctx.tr.t("redact-error-rects"))
}

async fn submit(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(m) = ctx.member.clone() else {
        return error_page(&ctx, &AppError::Unauthenticated);
    };
    if let Err(e) = ctx.check_csrf(&field("csrf").unwrap_or_default()) {
        return error_page(&ctx, &e);
    }
    let mut rows = rows_from(&pairs);
    if field("more").is_some() {
        rows.retain(|r| !r.is_empty());
        let room = (MAX_RECTS + ROWS).saturating_sub(rows.len()).min(ROWS);
        rows.extend(std::iter::repeat_n(Row::default(), room));
        return page(ctx, &state, id, rows, None).await;
    }
    let rects = match rects_of(&ctx, &rows) {
        Ok(r) => r,
        Err(msg) => return page(ctx, &state, id, rows, Some(msg)).await,
    };
    let target = id.clone();
    match blocking(&state, move |s| {
        crate::redact::redact(s, &m, &target, &rects)
    })
    .await
    {
        Ok(done) => {
            let to = done.incident.map_or_else(
                || "/incidents".to_owned(),
                |i| format!("/incidents/{i}#evidence"),
            );
            Redirect::to(&to).into_response()
        }
        Err(AppError::Invalid(fields)) => {
            let key = match fields.first().map(|f| f.field) {
                Some("item") => "redact-error-item",
                _ => "redact-error-rects",
            };
            let msg = ctx.tr.t(key);
            page(ctx, &state, id, rows, Some(msg)).await
        }
        Err(e) => error_page(&ctx, &e),
    }
}

/// The page routes of redaction.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/evidence/{id}/redact", get(show).post(submit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_order_and_are_bounded() {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let rows = rows_from(&[
            p("csrf", "t"),
            p("x", "1"),
            p("y", "2"),
            p("w", "3"),
            p("h", "4"),
            p("x", ""),
            p("y", ""),
            p("w", ""),
            p("h", "9"),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].x.as_str(), rows[0].h.as_str()), ("1", "4"));
        assert!(!rows[1].is_empty());
        let many: Vec<_> = (0..1000).map(|_| p("x", "1")).collect();
        assert_eq!(rows_from(&many).len(), MAX_RECTS + ROWS);
    }
}
