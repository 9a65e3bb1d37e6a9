//! Analysis pages: server-rendered SVG charts of an organisation's incidents (no JavaScript),
//! each downloadable as SVG, PNG and CSV. Internal fields only; every member may see them.
//!
//! - `monthly`: incidents per month stacked by domain, with the edicts most enforced marked;
//! - `provinces`: a tile-grid map of the 34 provinces;
//! - `edicts`: edict → incidents linked to it as enforcing it;
//! - `perpetrators`: incidents by perpetrator institution.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gawah_charts::{
    Bar, BarChart, ChartText, Digits, Domain, Marker, MonthCounts, MonthlyChart, ProvinceValue,
    Style, TileMap, Value,
};
use gawah_core::edict::Edict;
use gawah_core::vocab::PROVINCES;
use gawah_store::records::IncidentRow;

use super::{Page, error_page, province_label, render};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::{AppState, blocking};
use crate::vocab::OrgLabels;

/// The charts, by the name their files carry.
const CHARTS: [&str; 4] = ["monthly", "provinces", "edicts", "perpetrators"];
/// Bars drawn in a bar chart (the CSV has them all).
const MAX_BARS: usize = 20;
/// Edicts marked on the monthly chart: those with the most incidents enforcing them.
const MARKERS: usize = 8;

/// Names a bar from its key.
type Labeller<'a> = dyn Fn(&str) -> String + 'a;

/// What the charts count.
#[derive(Default)]
struct Counts {
    months: BTreeMap<String, [u64; 10]>,
    provinces: BTreeMap<String, u64>,
    edicts: BTreeMap<String, u64>,
    perpetrators: BTreeMap<String, u64>,
}

impl Counts {
    fn of(rows: &[IncidentRow]) -> Self {
        let mut c = Counts::default();
        for r in rows {
            let i = &r.incident;
            if let Some(month) = i.date.get(..7).filter(|m| m.len() == 7) {
                let cell = c.months.entry(month.to_owned()).or_default();
                for t in &i.violation_types {
                    if let Ok(d) = Domain::from_str(t) {
                        cell[d.index()] += 1;
                    }
                }
            }
            *c.provinces.entry(i.province.clone()).or_default() += 1;
            for e in &i.edicts {
                *c.edicts.entry(e.clone()).or_default() += 1;
            }
            for p in &i.perpetrators {
                *c.perpetrators.entry(p.clone()).or_default() += 1;
            }
        }
        c
    }
}

/// Values sorted by count, largest first, then by name.
fn ranked(m: &BTreeMap<String, u64>) -> Vec<(&String, u64)> {
    let mut v: Vec<(&String, u64)> = m.iter().map(|(k, n)| (k, *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

fn style(tr: &Tr) -> Style {
    let rtl = tr.dir() == "rtl";
    Style {
        rtl,
        digits: if rtl { Digits::Persian } else { Digits::Ascii },
    }
}

fn text(tr: &Tr, chart: &str) -> ChartText {
    ChartText {
        title: tr.t(&format!("analysis-{chart}")),
        desc: tr.t(&format!("analysis-{chart}-desc")),
        no_data: tr.t("analysis-no-data"),
    }
}

/// One chart as SVG, and its table as CSV (header, rows).
struct Chart {
    svg: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn chart(name: &str, labels: &OrgLabels, c: &Counts, edicts: &[Edict]) -> Option<Chart> {
    let tr = labels.tr();
    let lang = tr.code();
    let edict_title = |id: &str| {
        edicts.iter().find(|e| e.id == id).map_or_else(
            || id.to_owned(),
            |e| format!("{id} · {}", e.title.get(lang)),
        )
    };
    match name {
        "monthly" => {
            let markers = ranked(&c.edicts)
                .into_iter()
                .take(MARKERS)
                .filter_map(|(id, _)| edicts.iter().find(|e| e.id == *id))
                .filter_map(|e| {
                    Some(Marker {
                        month: e.date.get(..7)?.to_owned(),
                        label: format!("{} · {}", e.id, e.title.get(lang)),
                    })
                })
                .collect();
            let domain_labels = Domain::ALL.map(|d| labels.domain(d.as_str()));
            let month_names = std::array::from_fn(|i| tr.t(&format!("month-{}", i + 1)));
            let chart = MonthlyChart {
                text: text(tr, name),
                style: style(tr),
                domain_labels: domain_labels.clone(),
                month_names,
                months: c
                    .months
                    .iter()
                    .map(|(m, counts)| MonthCounts {
                        month: m.clone(),
                        counts: *counts,
                    })
                    .collect(),
                markers,
            };
            let mut header = vec![tr.t("figures-month")];
            header.extend(Domain::ALL.iter().map(|d| d.as_str().to_owned()));
            let rows = c
                .months
                .iter()
                .map(|(m, counts)| {
                    let mut row = vec![m.clone()];
                    row.extend(counts.iter().map(u64::to_string));
                    row
                })
                .collect();
            Some(Chart {
                svg: gawah_charts::monthly_stacked(&chart),
                header,
                rows,
            })
        }
        "provinces" => {
            let chart = TileMap {
                text: text(tr, name),
                style: style(tr),
                provinces: PROVINCES
                    .iter()
                    .map(|(code, _)| ProvinceValue {
                        code: (*code).to_owned(),
                        label: province_label(code, lang),
                        value: Some(Value::Count(c.provinces.get(*code).copied().unwrap_or(0))),
                    })
                    .collect(),
            };
            let rows = PROVINCES
                .iter()
                .map(|(code, _)| {
                    vec![
                        (*code).to_owned(),
                        province_label(code, lang),
                        c.provinces.get(*code).copied().unwrap_or(0).to_string(),
                    ]
                })
                .collect();
            Some(Chart {
                svg: gawah_charts::province_tiles(&chart),
                header: vec![
                    "code".into(),
                    tr.t("field-province"),
                    tr.t("figures-incidents"),
                ],
                rows,
            })
        }
        "edicts" | "perpetrators" => {
            let (source, label): (&BTreeMap<String, u64>, &Labeller) = if name == "edicts" {
                (&c.edicts, &edict_title)
            } else {
                (&c.perpetrators, &|p: &str| labels.perpetrator(p))
            };
            let all = ranked(source);
            let chart = BarChart {
                text: text(tr, name),
                style: style(tr),
                bars: all
                    .iter()
                    .take(MAX_BARS)
                    .map(|(k, n)| Bar {
                        label: label(k),
                        value: Value::Count(*n),
                    })
                    .collect(),
            };
            let rows = all
                .iter()
                .map(|(k, n)| vec![(*k).clone(), label(k), n.to_string()])
                .collect();
            Some(Chart {
                svg: gawah_charts::bars(&chart),
                header: vec![
                    "id".into(),
                    tr.t(&format!(
                        "facet-{}",
                        if name == "edicts" {
                            "edict"
                        } else {
                            "perpetrator"
                        }
                    )),
                    tr.t("figures-incidents"),
                ],
                rows,
            })
        }
        _ => None,
    }
}

/// The counts, the edicts and the organisation's labels. A perpetrator is counted by the
/// institution it names, so its key and its English label make one bar.
async fn load(
    state: &Arc<AppState>,
    org: gawah_core::OrgId,
    tr: Tr,
) -> Result<(Counts, Vec<Edict>, OrgLabels), AppError> {
    blocking(state, move |s| {
        let rows = s.ledger.store.org_incidents(&org)?;
        let labels = OrgLabels::load(s, &org, tr)?;
        let mut counts = Counts::of(&rows);
        let mut perpetrators = BTreeMap::new();
        for (p, n) in std::mem::take(&mut counts.perpetrators) {
            *perpetrators.entry(labels.perpetrator_key(&p)).or_default() += n;
        }
        counts.perpetrators = perpetrators;
        Ok((counts, s.ledger.store.edicts()?, labels))
    })
    .await
}

#[derive(Template)]
#[template(path = "analysis.html")]
struct AnalysisPage {
    page: Page,
    /// (name, title, inline SVG)
    charts: Vec<(&'static str, String, String)>,
}

async fn page(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    let (counts, edicts, labels) = match load(&state, m.org, ctx.tr).await {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let charts = CHARTS
        .iter()
        .filter_map(|name| {
            let c = chart(name, &labels, &counts, &edicts)?;
            Some((*name, ctx.tr.t(&format!("analysis-{name}")), c.svg))
        })
        .collect();
    let view = AnalysisPage {
        page: Page::new(&ctx, "analysis-title", "/analysis"),
        charts,
    };
    render(&view).unwrap_or_else(|e| error_page(&ctx, &e))
}

async fn download(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
) -> Response {
    let result = async {
        let m = ctx.member()?.clone();
        let (name, ext) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
        if !CHARTS.contains(&name) || !["svg", "png", "csv"].contains(&ext) {
            return Err(AppError::NotFound);
        }
        let (counts, edicts, labels) = load(&state, m.org, ctx.tr).await?;
        let c = chart(name, &labels, &counts, &edicts).ok_or(AppError::NotFound)?;
        let filename = format!("gawah-{name}-{}.{ext}", ctx.tr.code());
        let (mime, body) = match ext {
            "svg" => ("image/svg+xml", c.svg.into_bytes()),
            "png" => (
                "image/png",
                tokio::task::spawn_blocking(move || gawah_charts::to_png(&c.svg, 2.0))
                    .await
                    .map_err(|e| AppError::Internal(format!("chart worker: {e}")))?
                    .map_err(|e| AppError::Internal(format!("chart: {e}")))?,
            ),
            _ => {
                let header: Vec<&str> = c.header.iter().map(String::as_str).collect();
                (
                    "text/csv; charset=utf-8",
                    gawah_charts::csv_table(&header, None, &c.rows).into_bytes(),
                )
            }
        };
        Ok((mime, filename, body))
    }
    .await;
    match result {
        Ok((mime, filename, body)) => (
            [
                (header::CONTENT_TYPE, mime.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            body,
        )
            .into_response(),
        Err(e) => error_page(&ctx, &e),
    }
}

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/analysis", get(page))
        .route("/analysis/{file}", get(download))
}
