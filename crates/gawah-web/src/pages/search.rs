//! The search page: full text, facets as links (no JavaScript), paging, and the duplicate
//! suggestions of an incident with the form that links two reports.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gawah_core::IncidentId;
use serde::Deserialize;

use super::public::dual_date;
use super::{Page, error_page, province_label, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::search::{self, Params, Suggestion};
use crate::state::{AppState, blocking};
use crate::vocab::OrgLabels;

/// One result.
struct Hit {
    id: String,
    reference: String,
    title: String,
    date: String,
    iso: String,
    province: String,
    types: String,
    status: String,
}

/// One value of a facet: label, count, link, chosen.
struct FacetValue {
    label: String,
    count: u64,
    href: String,
    chosen: bool,
}

/// A facet: its heading and values.
struct Facet {
    title: String,
    values: Vec<FacetValue>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Page,
    q: String,
    from: String,
    to: String,
    sort: String,
    /// Chosen filters, kept as hidden fields when the text changes.
    kept: Vec<(String, String)>,
    total: u64,
    hits: Vec<Hit>,
    facets: Vec<Facet>,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

/// Facets in the order the page shows them.
const FACET_ORDER: [&str; 8] = [
    "province",
    "violation_type",
    "year",
    "status",
    "edict",
    "perpetrator",
    "language",
    "reliability",
];

/// Values shown per facet.
const FACET_VALUES: usize = 12;

/// A facet value as people read it (types, statuses and institutions by the organisation's
/// labels).
fn facet_label(
    labels: &OrgLabels,
    facet: &str,
    value: &str,
    edicts: &BTreeMap<String, String>,
) -> String {
    let tr = labels.tr();
    match facet {
        "province" => province_label(value, tr.code()),
        "violation_type" => labels.domain(value),
        "status" => labels.status(value),
        "language" => tr.t(&format!("language-{value}")),
        "perpetrator" => labels.perpetrator(value),
        "edict" => edicts
            .get(value)
            .map_or_else(|| value.to_owned(), |t| format!("{value} · {t}")),
        _ => value.to_owned(),
    }
}

/// The URL parameter a facet filters by.
fn param_of(facet: &str) -> &str {
    match facet {
        "violation_type" => "type",
        other => other,
    }
}

async fn page(ctx: Ctx, State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    let params = Params::parse(raw.as_deref());
    let query = params.query(&m.org);
    let result = match query {
        Ok(q) => {
            let q2 = q.clone();
            let (org, tr) = (m.org.clone(), ctx.tr);
            blocking(&state, move |s| {
                let labels = OrgLabels::load(s, &org, tr)?;
                Ok((search::run(s, &q2)?, s.ledger.store.edicts()?, labels))
            })
            .await
            .map(|r| (q, r))
        }
        Err(e) => Err(e),
    };
    let lang = ctx.tr.code();
    let mut view = SearchPage {
        page: Page::new(&ctx, "search-title", "/search"),
        q: params.one("q").unwrap_or_default(),
        from: params.one("from").unwrap_or_default(),
        to: params.one("to").unwrap_or_default(),
        sort: params.one("sort").unwrap_or_else(|| "relevance".into()),
        kept: params
            .pairs
            .iter()
            .filter(|(k, _)| search::FILTERS.contains(&k.as_str()))
            .cloned()
            .collect(),
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        prev: None,
        next: None,
        error: None,
    };
    let (q, (results, edicts, labels)) = match result {
        Ok(r) => r,
        Err(AppError::BadRequest(message)) => {
            view.error = Some(message);
            return render(&view).unwrap_or_else(|e| error_page(&ctx, &e));
        }
        Err(e) => return error_page(&ctx, &e),
    };
    let edicts: BTreeMap<String, String> = edicts
        .into_iter()
        .map(|e| (e.id.clone(), e.title.get(lang).to_owned()))
        .collect();
    view.total = results.total;
    view.hits = results
        .hits
        .iter()
        .map(|h| Hit {
            id: h.id.clone(),
            reference: h.reference.clone().unwrap_or_default(),
            title: h.title.clone(),
            date: dual_date(&h.date, lang),
            iso: h.date.clone(),
            province: province_label(&h.province, lang),
            types: h
                .violation_types
                .iter()
                .map(|t| labels.domain(t))
                .collect::<Vec<_>>()
                .join(", "),
            status: labels.status(&h.verification_status),
        })
        .collect();
    for name in FACET_ORDER {
        let Some(counts) = results.facets.get(name) else {
            continue;
        };
        let mut values: Vec<(&String, &u64)> = counts.iter().collect();
        values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let values = values
            .into_iter()
            .take(FACET_VALUES)
            .map(|(v, n)| {
                let (href, chosen) = if name == "year" {
                    let chosen = view.from == *v && view.to == *v;
                    let mut p = params.clone();
                    p.pairs
                        .retain(|(k, _)| k != "from" && k != "to" && k != "offset");
                    if !chosen {
                        p.pairs.push(("from".into(), v.clone()));
                        p.pairs.push(("to".into(), v.clone()));
                    }
                    (p.at(0), chosen)
                } else {
                    let key = param_of(name);
                    (params.toggled(key, v), params.has(key, v))
                };
                FacetValue {
                    label: facet_label(&labels, name, v, &edicts),
                    count: *n,
                    href,
                    chosen,
                }
            })
            .collect::<Vec<_>>();
        if !values.is_empty() {
            view.facets.push(Facet {
                title: ctx.tr.t(&format!("facet-{name}")),
                values,
            });
        }
    }
    let shown = q.offset + results.hits.len();
    view.next = (u64::try_from(shown).unwrap_or(u64::MAX) < results.total
        && !results.hits.is_empty())
    .then(|| params.at(shown));
    view.prev = (q.offset > 0).then(|| params.at(q.offset.saturating_sub(q.limit)));
    render(&view).unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    page: Page,
    id: String,
    title: String,
    suggestions: Vec<(Suggestion, String, Vec<String>)>,
    links: Vec<(String, String, u64)>,
    can_link: bool,
}

async fn duplicates(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return error_page(&ctx, &AppError::NotFound);
    };
    let org = m.org.clone();
    let found = blocking(&state, move |s| {
        let row = s
            .ledger
            .store
            .incident(&org, &id)?
            .ok_or(AppError::NotFound)?;
        let suggestions = search::duplicates(s, &org, &id)?;
        let mut links = Vec::new();
        for l in s.ledger.store.incident_links(&org, &id)? {
            if let Some(o) = s.ledger.store.incident(&org, &l.other)? {
                links.push((l.other.to_string(), o.incident.title, l.log_index));
            }
        }
        Ok((row, suggestions, links))
    })
    .await;
    let (row, suggestions, links) = match found {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let lang = ctx.tr.code();
    let view = DuplicatesPage {
        page: Page::new(
            &ctx,
            "duplicates-title",
            &format!("/incidents/{}/duplicates", row.id),
        ),
        id: row.id.to_string(),
        title: row.incident.title,
        suggestions: suggestions
            .into_iter()
            .map(|s| {
                let reasons = s
                    .reasons
                    .iter()
                    .map(|r| ctx.tr.t(&format!("duplicate-{r}")))
                    .collect();
                let place = format!(
                    "{} · {}",
                    dual_date(&s.date, lang),
                    province_label(&s.province, lang)
                );
                (s, place, reasons)
            })
            .collect(),
        links,
        can_link: m.role.can_analyse(),
    };
    render(&view).unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    other: String,
}

async fn link(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(f): Form<LinkForm>,
) -> Response {
    let result = async {
        let m = ctx.member()?.clone();
        ctx.check_csrf(&f.csrf)?;
        let a: IncidentId = id.parse().map_err(|_| AppError::NotFound)?;
        let b: IncidentId = f.other.parse().map_err(|_| AppError::NotFound)?;
        let back = format!("/incidents/{a}/duplicates");
        blocking(&state, move |s| search::link(s, &m, &a, &b)).await?;
        Ok::<_, AppError>(back)
    }
    .await;
    match result {
        Ok(back) => Redirect::to(&back).into_response(),
        Err(e) => error_page(&ctx, &e),
    }
}

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/search", get(page))
        .route("/incidents/{id}/duplicates", get(duplicates))
        .route("/incidents/{id}/links", post(link))
}
