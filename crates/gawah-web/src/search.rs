//! Search over an organisation's incidents: the query parameters the page and the API share,
//! the index kept in step with the database, and suggestions of possible duplicate reports.
//!
//! The index holds internal fields only (see `gawah_store::search`). Before answering, the
//! index catches up with every incident committed since it was last written, by this process
//! or another; a background task does the same every second, so the index follows each commit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gawah_core::{Action, IncidentId, LogEntry, OrgId};
use gawah_search::{SearchError, SearchIndex, SearchQuery, SearchResults, Sort};
use gawah_store::analysis::LinkWrite;
use gawah_store::search::{SyncError, sync_index};
use gawah_store::{Change, RecordWrite};
use serde::Serialize;
use serde_json::{Value, json};

use crate::ctx::{ApiMember, Member};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// Results per page, unless asked otherwise.
pub const PAGE: usize = 20;
/// Most results per page.
const MAX_PAGE: usize = 200;
/// The repeatable filters, as named in URLs and in the facets.
pub const FILTERS: [&str; 7] = [
    "province",
    "type",
    "perpetrator",
    "edict",
    "status",
    "reliability",
    "language",
];

/// A search as asked in a URL: `q`, the filters (each repeatable), `from`, `to`, `sort`,
/// `offset`, `limit`.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// The pairs as given (filters with empty values dropped), to rebuild links.
    pub pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
            .filter(|(k, v)| !v.is_empty() && k != "lang")
            .collect();
        Self { pairs }
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The first value of `key`.
    pub fn one(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// Whether `key=value` is chosen.
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == key && v == value)
    }

    /// The query string with `key=value` added, or removed if present; paging restarts.
    pub fn toggled(&self, key: &str, value: &str) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "offset")
            .cloned()
            .collect();
        if self.has(key, value) {
            pairs.retain(|(k, v)| !(k == key && v == value));
        } else {
            pairs.push((key.to_owned(), value.to_owned()));
        }
        encode(&pairs)
    }

    /// The query string at another offset.
    pub fn at(&self, offset: usize) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "offset")
            .cloned()
            .collect();
        if offset > 0 {
            pairs.push(("offset".into(), offset.to_string()));
        }
        encode(&pairs)
    }

    /// The search over `org`'s incidents these parameters ask for.
    pub fn query(&self, org: &OrgId) -> Result<SearchQuery, AppError> {
        let number = |key: &str, default: usize| -> Result<usize, AppError> {
            self.one(key).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| AppError::BadRequest(format!("{key} must be a whole number")))
            })
        };
        let sort = match self.one("sort").as_deref() {
            None | Some("relevance") => Sort::Relevance,
            Some("newest") => Sort::Newest,
            Some("oldest") => Sort::Oldest,
            Some(other) => {
                return Err(AppError::BadRequest(format!(
                    "sort {other:?}: use relevance, newest or oldest"
                )));
            }
        };
        Ok(SearchQuery {
            org: org.to_string(),
            text: self.one("q").unwrap_or_default(),
            province: self.all("province"),
            violation_type: self.all("type"),
            perpetrator: self.all("perpetrator"),
            edict: self.all("edict"),
            status: self.all("status"),
            reliability: self.all("reliability"),
            language: self.all("language"),
            from: self.one("from"),
            to: self.one("to"),
            sort,
            offset: number("offset", 0)?,
            limit: number("limit", PAGE)?.min(MAX_PAGE),
        })
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A search error as the user should see it.
pub fn search_error(e: SearchError) -> AppError {
    match e {
        SearchError::Query(m) => AppError::BadRequest(m.to_string()),
        other => AppError::Internal(format!("search: {other}")),
    }
}

/// The index, brought up to date with the database first. If another process is writing
/// it, or its disk is full, the answer comes from what it holds (a moment behind), not an
/// error: a full disk must not stop reads.
pub fn fresh(s: &AppState) -> Result<&SearchIndex, AppError> {
    let _one_writer = s.search_sync.lock().unwrap_or_else(|p| p.into_inner());
    match sync_index(s.ledger.store.as_ref(), &s.search) {
        Ok(_) | Err(SyncError::Search(SearchError::Busy)) => Ok(&s.search),
        Err(SyncError::Search(e)) if e.is_storage_full() => {
            tracing::warn!(error = %e, "the search index's disk is full; answering from the index as it stands");
            Ok(&s.search)
        }
        Err(e) => Err(AppError::Internal(format!("search index: {e}"))),
    }
}

/// Runs a search on a fresh index.
pub fn run(s: &AppState, q: &SearchQuery) -> Result<SearchResults, AppError> {
    fresh(s)?.search(q).map_err(search_error)
}

/// Keeps the index in step with every commit, about once a second.
pub async fn follow_commits(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let s = state.clone();
        match tokio::task::spawn_blocking(move || fresh(&s).map(|_| ())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "updating the search index failed; will retry")
            }
            Err(e) => tracing::error!(error = %e, "search index task failed"),
        }
    }
}

/// The JSON answer: `{"total","items":[{"id","ref",...}],"facets":{...}}`; the CLI prints
/// the same.
pub fn results_json(r: &SearchResults) -> Value {
    let items: Vec<Value> = r
        .hits
        .iter()
        .map(|h| {
            json!({
                "id": h.id,
                "ref": h.reference,
                "title": h.title,
                "date": h.date,
                "province": h.province,
                "violation_types": h.violation_types,
                "verification_status": h.verification_status,
                "language": h.language,
                "score": h.score,
            })
        })
        .collect();
    json!({"total": r.total, "items": items, "facets": r.facets})
}

/// `GET /api/v1/search`.
pub async fn api_search(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, AppError> {
    let q = Params::parse(raw.as_deref()).query(&m.org)?;
    let r = blocking(&state, move |s| run(s, &q)).await?;
    Ok(Json(results_json(&r)))
}

/// A possible duplicate of an incident, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// The other incident.
    pub id: String,
    /// Its reference.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Its title.
    pub title: String,
    /// Its date.
    pub date: String,
    /// Its province.
    pub province: String,
    /// Why: `similar_text`, `same_province`, `close_date`, `same_file`.
    pub reasons: Vec<&'static str>,
    /// Higher is likelier.
    pub score: f32,
}

/// Days since 1970 of the first day a date may mean, and of the last.
fn day_span(date: &str) -> Option<(i64, i64)> {
    let mut p = date.split('-').map(|s| s.parse::<i64>().ok());
    let y = p.next()??;
    let (m1, m2) = match p.next() {
        Some(m) => (m?, m?),
        None => (1, 12),
    };
    let (d1, d2) = match p.next() {
        Some(d) => (d?, d?),
        None => (1, days_in(y, m2)),
    };
    Some((days(y, m1, d1), days(y, m2, d2)))
}

fn days_in(y: i64, m: i64) -> i64 {
    days(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    ) - days(y, m, 1)
}

/// Days since 1970-01-01 (proleptic Gregorian).
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// How far apart two dates can be at the least, in days (0 if they may be the same day).
fn gap(a: &str, b: &str) -> Option<i64> {
    let (a1, a2) = day_span(a)?;
    let (b1, b2) = day_span(b)?;
    Some((b1 - a2).max(a1 - b2).max(0))
}

/// Dates this close count as close.
const CLOSE_DAYS: i64 = 7;

/// Likely duplicate reports of an incident within its organisation: similar text, the same
/// province, close dates, the same evidence file. Already linked ones are left out.
pub fn duplicates(s: &AppState, org: &OrgId, id: &IncidentId) -> Result<Vec<Suggestion>, AppError> {
    let Some(row) = s.ledger.store.incident(org, id)? else {
        return Err(AppError::NotFound);
    };
    let index = fresh(s)?;
    let mut found: BTreeMap<String, (f32, Vec<&'static str>)> = BTreeMap::new();
    let similar = match index.similar(org.as_str(), id.as_str(), 20) {
        Ok(v) => v,
        // Written a moment ago by another process and not indexed yet: no text match yet.
        Err(SearchError::UnknownIncident { .. }) => Vec::new(),
        Err(e) => return Err(search_error(e)),
    };
    let top = similar.first().map_or(1.0, |(_, s)| s.max(f32::EPSILON));
    for (other, score) in similar {
        let e = found.entry(other).or_default();
        e.0 += 2.0 * score / top;
        e.1.push("similar_text");
    }
    // Same province, overlapping or close dates.
    let (start, end) = day_span(&row.incident.date).unwrap_or((0, 0));
    let around = SearchQuery {
        org: org.to_string(),
        province: vec![row.incident.province.clone()],
        from: Some(civil(start - CLOSE_DAYS)),
        to: Some(civil(end + CLOSE_DAYS)),
        limit: 50,
        ..Default::default()
    };
    for h in index.search(&around).map_err(search_error)?.hits {
        let e = found.entry(h.id).or_default();
        e.0 += 1.0;
        e.1.push("same_province");
        e.1.push("close_date");
    }
    for other in s.ledger.store.same_file_incidents(org, id)? {
        let e = found.entry(other.to_string()).or_default();
        e.0 += 3.0;
        e.1.push("same_file");
    }
    found.remove(id.as_str());
    for l in s.ledger.store.incident_links(org, id)? {
        found.remove(l.other.as_str());
    }
    let mut out = Vec::new();
    for (other, (mut score, mut reasons)) in found {
        let Ok(other_id) = other.parse::<IncidentId>() else {
            continue;
        };
        let Some(o) = s.ledger.store.incident(org, &other_id)? else {
            continue;
        };
        // Text alone is weak: similar wording from one template is common. Reasons are
        // completed from the records so each is stated only when true.
        if o.incident.province == row.incident.province && !reasons.contains(&"same_province") {
            reasons.push("same_province");
            score += 0.5;
        }
        if gap(&o.incident.date, &row.incident.date).is_some_and(|g| g <= CLOSE_DAYS)
            && !reasons.contains(&"close_date")
        {
            reasons.push("close_date");
            score += 0.5;
        }
        reasons.sort_unstable();
        reasons.dedup();
        if reasons == ["similar_text"] && score < 1.5 {
            continue;
        }
        out.push(Suggestion {
            id: other,
            reference: o.incident.reference,
            title: o.incident.title,
            date: o.incident.date,
            province: o.incident.province,
            reasons,
            score,
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out.truncate(10);
    Ok(out)
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Links two incidents as reports of the same event (analysts and admins): a logged
/// analysis; neither report changes. Returns the entry's index.
pub fn link(s: &AppState, m: &Member, a: &IncidentId, b: &IncidentId) -> Result<u64, AppError> {
    if !m.role.can_analyse() {
        return Err(AppError::Forbidden);
    }
    if a == b {
        return Err(AppError::BadRequest(
            "an incident cannot be linked to itself".into(),
        ));
    }
    for id in [a, b] {
        if s.ledger.store.incident(&m.org, id)?.is_none() {
            return Err(AppError::NotFound);
        }
    }
    let entry = LogEntry::new(
        s.ledger.clock().now(),
        m.id.as_str(),
        Action::Analysis,
        a.as_str(),
    )
    .with_field("org", m.org.as_str())
    .with_field("link", b.as_str())
    .with_field("kind", "duplicate");
    let indexes = s.ledger.commit(&[Change {
        record: RecordWrite::IncidentLink(LinkWrite {
            org: m.org.clone(),
            a: a.clone(),
            b: b.clone(),
            by: m.id.clone(),
        }),
        entry,
    }])?;
    indexes
        .first()
        .copied()
        .ok_or_else(|| AppError::Internal("commit returned no index".into()))
}

/// `GET /api/v1/incidents/{id}/duplicates`: suggestions and existing links.
pub async fn api_duplicates(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id: IncidentId = id.parse().map_err(|_| AppError::NotFound)?;
    let (suggestions, links) = blocking(&state, move |s| {
        Ok((
            duplicates(s, &m.org, &id)?,
            s.ledger.store.incident_links(&m.org, &id)?,
        ))
    })
    .await?;
    let links: Vec<Value> = links
        .iter()
        .map(|l| json!({"id": l.other.as_str(), "kind": l.kind, "log_index": l.log_index}))
        .collect();
    Ok(Json(json!({"suggestions": suggestions, "links": links})))
}

/// `POST /api/v1/incidents/{id}/links` with `{"other": ID}` → 201.
pub async fn api_link(
    ApiMember(m): ApiMember,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        other: String,
    }
    let a: IncidentId = id.parse().map_err(|_| AppError::NotFound)?;
    let body: Body = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
    let b: IncidentId = body
        .other
        .parse()
        .map_err(|_| AppError::BadRequest("other: not an incident id".into()))?;
    let other = b.to_string();
    let idx = blocking(&state, move |s| link(s, &m, &a, &b)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"other": other, "kind": "duplicate", "log_index": idx})),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_gaps_respect_precision() {
        assert_eq!(gap("2022-03-23", "2022-03-23"), Some(0));
        assert_eq!(gap("2022-03-23", "2022-03-30"), Some(7));
        assert_eq!(gap("2022-03", "2022-03-30"), Some(0));
        assert_eq!(gap("2022-03", "2022-04-05"), Some(5));
        assert_eq!(gap("2022", "2023-01-02"), Some(2));
        assert_eq!(gap("2022-02-28", "2022-03-01"), Some(1));
        assert_eq!(
            gap("2024-02", "2024-03-01"),
            Some(1),
            "leap February has 29 days"
        );
        assert_eq!(gap("bad", "2022"), None);
        assert_eq!(civil(days(2024, 2, 29)), "2024-02-29");
        assert_eq!(civil(0), "1970-01-01");
    }

    #[test]
    fn params_toggle_and_page() {
        let p = Params::parse(Some("q=school&province=AF-KAB&offset=40&lang=fa&type="));
        assert_eq!(p.all("province"), ["AF-KAB"]);
        assert_eq!(p.one("type"), None, "empty values are dropped");
        assert_eq!(p.toggled("province", "AF-KAB"), "q=school");
        assert_eq!(
            p.toggled("province", "AF-HER"),
            "q=school&province=AF-KAB&province=AF-HER"
        );
        assert_eq!(p.at(0), "q=school&province=AF-KAB");
        let org = OrgId::random().unwrap();
        let q = p.query(&org).unwrap();
        assert_eq!((q.text.as_str(), q.offset, q.limit), ("school", 40, PAGE));
        assert_eq!(q.org, org.to_string());
        assert!(Params::parse(Some("sort=sideways")).query(&org).is_err());
        assert!(Params::parse(Some("offset=-1")).query(&org).is_err());
        let big = Params::parse(Some("limit=100000")).query(&org).unwrap();
        assert_eq!(big.limit, MAX_PAGE);
    }
}
