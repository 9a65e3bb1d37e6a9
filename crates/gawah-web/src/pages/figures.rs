//! Public figures (`/figures`, `/figures.csv`): counts by month, province and domain, small
//! cells suppressed, only incidents whose witnesses consented to anonymised publication. The
//! rules are in [`gawah_core::figures`]; what may be counted in
//! [`gawah_store::analysis::AnalysisStore::publishable_incidents`].

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gawah_core::figures::{CSV_HEADER, CSV_HXL, Cell, Figures, THRESHOLD, figures};

use super::{Page, error_page, province_label, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::state::{AppState, blocking};

async fn compute(state: &Arc<AppState>) -> Result<Figures, AppError> {
    blocking(state, |s| {
        let inputs = s.ledger.store.publishable_incidents()?;
        Ok(figures(&inputs))
    })
    .await
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    page: Page,
    threshold: u64,
    total: Cell,
    without_month: Cell,
    by_month: Vec<(String, Cell)>,
    by_province: Vec<(String, String, Cell)>,
    by_domain: Vec<(String, Cell)>,
}

async fn page(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    let f = match compute(&state).await {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, &e),
    };
    let lang = ctx.tr.code();
    let page = FiguresPage {
        page: Page::new(&ctx, "figures-title", "/figures"),
        threshold: THRESHOLD,
        total: f.total,
        without_month: f.without_month,
        by_month: f.by_month,
        by_province: f
            .by_province
            .into_iter()
            .map(|(code, c)| (province_label(&code, lang), code, c))
            .collect(),
        by_domain: f
            .by_domain
            .into_iter()
            .map(|(d, c)| (ctx.tr.t(&format!("domain-{d}")), c))
            .collect(),
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

async fn csv(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    let f = match compute(&state).await {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, &e),
    };
    let body = gawah_charts::csv_table(&CSV_HEADER, Some(&CSV_HXL), &f.csv_rows());
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"gawah-figures.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/figures", get(page))
        .route("/figures.csv", get(csv))
}
