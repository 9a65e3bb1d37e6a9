//! The access report for admins (`/admin/access`): every custody event of a record, or every
//! event caused by a member of the organisation, with the number of reads (views and exports).
//! The same report as `GET /api/v1/access`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::public::DualTime;
use super::{Page, error_page, render};
use crate::ctx::Ctx;
use crate::disposition::{AccessQuery, access_events};
use crate::error::AppError;
use crate::state::{AppState, blocking};

#[derive(Deserialize)]
struct Form {
    record: Option<String>,
    username: Option<String>,
}

struct Event {
    time: DualTime,
    action: String,
    subject: String,
    actor: String,
    log_index: u64,
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    page: Page,
    record: String,
    username: String,
    asked: bool,
    reads: usize,
    events: Vec<Event>,
    error: Option<String>,
}

async fn page(ctx: Ctx, State(state): State<Arc<AppState>>, Query(f): Query<Form>) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    if m.role != gawah_core::vocab::Role::Admin {
        return error_page(&ctx, &AppError::Forbidden);
    }
    let record = f
        .record
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let username = f
        .username
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    let mut view = AccessPage {
        page: Page::new(&ctx, "access-title", "/admin/access"),
        record: record.clone().unwrap_or_default(),
        username: username.clone().unwrap_or_default(),
        asked: record.is_some() || username.is_some(),
        reads: 0,
        events: Vec::new(),
        error: None,
    };
    if view.asked {
        let member = m.clone();
        let found = blocking(&state, move |s| {
            let member_id = match &username {
                Some(u) => Some(
                    s.ledger
                        .store
                        .member_by_username(u)?
                        .filter(|row| row.org == member.org)
                        .ok_or(AppError::NotFound)?
                        .id
                        .to_string(),
                ),
                None => None,
            };
            access_events(
                s,
                &member,
                &AccessQuery {
                    record,
                    member: member_id,
                },
            )
        })
        .await;
        match found {
            Ok((reads, events)) => {
                view.reads = reads;
                view.events = events
                    .into_iter()
                    .map(|e| Event {
                        time: DualTime::new(e.time, ctx.tr.code()),
                        action: e.action,
                        subject: e.subject,
                        actor: e.actor,
                        log_index: e.log_index,
                    })
                    .collect();
            }
            Err(AppError::NotFound) => view.error = Some(ctx.tr.t("access-not-found")),
            Err(AppError::BadRequest(_)) => view.error = Some(ctx.tr.t("access-one-of")),
            Err(e) => return error_page(&ctx, &e),
        }
    }
    render(&view).unwrap_or_else(|e| error_page(&ctx, &e))
}

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/admin/access", get(page))
}
