//! Public pages: what this is, the edicts timeline, the declaration.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gawah_core::calendar::{format_solar_hijri, to_solar_hijri};
use gawah_core::edict::Edict;
use gawah_core::vocab::Role;
use gawah_core::{Action, LogEntry, Timestamp};
use gawah_store::{Change, RecordWrite};
use serde::Deserialize;

use super::{Page, error_page, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// A date shown both in the Gregorian and the Solar Hijri calendar.
pub fn dual_date(date: &str, lang: &str) -> String {
    let parts: Vec<&str> = date.split('-').collect();
    let hijri = match parts[..] {
        [y, m, d] => match (y.parse(), m.parse(), d.parse()) {
            (Ok(y), Ok(m), Ok(d)) => to_solar_hijri(y, m, d).map(|h| format_solar_hijri(&h, lang)),
            _ => None,
        },
        _ => None,
    };
    match hijri {
        Some(h) => format!("{date} ({h})"),
        None => date.to_owned(),
    }
}

/// An instant as people read it: the date and time in UTC (minutes), and the Solar Hijri date
/// of that day in `lang` (Persian digits in Dari and Pashto), as [`dual_date`] shows dates.
pub struct DualTime {
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub utc: String,
    /// The Solar Hijri date, e.g. `24 Asad 1400`; empty outside the calendar's range.
    pub hijri: String,
}

impl DualTime {
    /// `t` in `lang`.
    pub fn new(t: Timestamp, lang: &str) -> Self {
        let iso = t.to_rfc3339();
        // `YYYY-MM-DDTHH:MM:SS.mmmZ`: the date, then hours and minutes.
        let utc = match (iso.get(..10), iso.get(11..16)) {
            (Some(date), Some(hm)) => format!("{date} {hm} UTC"),
            _ => iso.clone(),
        };
        let (y, m, d) = t.civil_date();
        let hijri = match (i32::try_from(y), u8::try_from(m), u8::try_from(d)) {
            (Ok(y), Ok(m), Ok(d)) => to_solar_hijri(y, m, d),
            _ => None,
        }
        .map(|h| format_solar_hijri(&h, lang))
        .unwrap_or_default();
        Self { iso, utc, hijri }
    }
}

/// An edict as the timeline shows it.
pub struct EdictView {
    id: String,
    iso: String,
    date: String,
    domain: String,
    domain_label: String,
    title: String,
    summary: String,
    issuing_body: String,
    scope: String,
    sources: Vec<(String, String)>,
}

fn view(e: &Edict, ctx: &Ctx) -> EdictView {
    let lang = ctx.tr.code();
    EdictView {
        id: e.id.clone(),
        iso: e.date.clone(),
        date: dual_date(&e.date, lang),
        domain: e.domain.clone(),
        domain_label: ctx.tr.t(&format!("domain-{}", e.domain)),
        title: e.title.get(lang).to_owned(),
        summary: e.summary.get(lang).to_owned(),
        issuing_body: e.issuing_body.get(lang).to_owned(),
        scope: e.scope.get(lang).to_owned(),
        // Only web addresses become links: a stored `javascript:` or `data:` URL (the importer
        // refuses them, the store does not) is never put in an `href`.
        sources: e
            .sources
            .iter()
            .filter(|s| s.url.starts_with("https://") || s.url.starts_with("http://"))
            .map(|s| (s.title.clone(), s.url.clone()))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    page: Page,
    edicts: usize,
    milestones: usize,
    endorsements: usize,
    by_domain: Vec<(String, usize)>,
    latest: Vec<EdictView>,
}

async fn index(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    let result = blocking(&state, |s| {
        Ok((
            s.ledger.store.edicts()?,
            s.ledger.store.endorsements()?.len(),
        ))
    })
    .await;
    let (all, endorsements) = match result {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let (milestones, edicts): (Vec<&Edict>, Vec<&Edict>) =
        all.iter().partition(|e| e.domain == "accountability");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in &edicts {
        *counts
            .entry(ctx.tr.t(&format!("domain-{}", e.domain)))
            .or_default() += 1;
    }
    let mut by_domain: Vec<(String, usize)> = counts.into_iter().collect();
    by_domain.sort_by_key(|d| std::cmp::Reverse(d.1));
    let latest = edicts.iter().rev().take(3).map(|e| view(e, &ctx)).collect();
    let page = IndexPage {
        page: Page::new(&ctx, "home-title", "/"),
        edicts: edicts.len(),
        milestones: milestones.len(),
        endorsements,
        by_domain,
        latest,
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Deserialize)]
struct EdictFilter {
    domain: Option<String>,
}

#[derive(Template)]
#[template(path = "edicts.html")]
struct EdictsPage {
    page: Page,
    domains: Vec<(String, String, bool)>,
    years: Vec<(String, Vec<EdictView>)>,
    total: usize,
}

async fn edicts(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Query(f): Query<EdictFilter>,
) -> Response {
    let all = match blocking(&state, |s| Ok(s.ledger.store.edicts()?)).await {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let chosen = f.domain.filter(|d| !d.is_empty());
    let mut domains: Vec<String> = all.iter().map(|e| e.domain.clone()).collect();
    domains.sort();
    domains.dedup();
    let mut years: BTreeMap<String, Vec<EdictView>> = BTreeMap::new();
    let mut total = 0;
    for e in all
        .iter()
        .filter(|e| chosen.as_ref().is_none_or(|d| *d == e.domain))
    {
        total += 1;
        years
            .entry(e.date[..4].to_owned())
            .or_default()
            .push(view(e, &ctx));
    }
    let page = EdictsPage {
        page: Page::new(&ctx, "edicts-title", "/edicts"),
        domains: domains
            .into_iter()
            .map(|d| {
                (
                    ctx.tr.t(&format!("domain-{d}")),
                    d.clone(),
                    chosen.as_deref() == Some(&d),
                )
            })
            .collect(),
        years: years.into_iter().collect(),
        total,
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Template)]
#[template(path = "declaration.html")]
struct DeclarationPage {
    page: Page,
    title: String,
    paragraphs: Vec<String>,
    endorsers: Vec<(String, String)>,
    can_endorse: bool,
}

async fn declaration(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    let endorsers = match blocking(&state, |s| Ok(s.ledger.store.endorsements()?)).await {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let lang = ctx.tr.code();
    let (title, paragraphs) = match gawah_demo::declaration() {
        Ok(d) => (
            d.title.get(lang).to_owned(),
            d.paragraphs
                .iter()
                .map(|p| p.get(lang).to_owned())
                .collect(),
        ),
        Err(e) => return error_page(&ctx, &AppError::Internal(e.to_string())),
    };
    let can_endorse = ctx
        .member
        .as_ref()
        .is_some_and(|m| m.role == Role::Admin && !endorsers.iter().any(|(o, _)| o.id == m.org));
    let page = DeclarationPage {
        page: Page::new(&ctx, "declaration-title", "/declaration"),
        title,
        paragraphs,
        endorsers: endorsers
            .into_iter()
            .map(|(o, t)| (o.name, t.to_rfc3339()[..10].to_owned()))
            .collect(),
        can_endorse,
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn endorse(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let m = ctx.member()?.clone();
        if m.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        blocking(&state, move |s| {
            let entry = LogEntry::new(
                s.ledger.clock().now(),
                m.id.as_str(),
                Action::Create,
                &format!("endorsement:{}", m.org.as_str()),
            );
            s.ledger.commit(&[Change {
                record: RecordWrite::Endorsement { org: m.org.clone() },
                entry,
            }])?;
            Ok(())
        })
        .await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/declaration").into_response(),
        Err(e) => error_page(&ctx, &e),
    }
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(index))
        .route("/edicts", get(edicts))
        .route("/declaration", get(declaration))
        .route("/declaration/endorse", post(endorse))
}
