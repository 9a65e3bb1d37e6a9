//! The documentation team's pages: incidents listed, recorded, shown with their history,
//! edited. A form with errors comes back with everything the user typed.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gawah_core::incident::{FieldError, IncidentInput};
use gawah_core::vocab::{
    DATE_PRECISIONS, PROVINCES, RELIABILITY, VERIFICATION_STATUSES, VIOLATION_TYPES,
};
use gawah_store::records::IncidentQuery;
use serde::Deserialize;

use super::field_errors::localise;
use super::public::{DualTime, dual_date};
use super::{Page, error_page, province_label, render};
use crate::ctx::{Ctx, PageRequest};
use crate::error::AppError;
use crate::records;
use crate::state::{AppState, blocking, reading};
use crate::vocab::OrgLabels;

const PAGE_SIZE: u64 = 50;
/// Bytes per request of the upload script: small enough to lose little when a slow link
/// drops, large enough that the requests' overhead does not matter.
const UPLOAD_CHUNK: u64 = 8 << 20;

/// An incident row in the list.
struct Row {
    id: String,
    reference: String,
    title: String,
    date: String,
    province: String,
    status: String,
}

/// `label(key)`, computed once per key in `seen`.
fn once(seen: &mut Vec<(String, String)>, key: String, label: impl Fn(&str) -> String) -> String {
    if let Some((_, l)) = seen.iter().find(|(k, _)| *k == key) {
        return l.clone();
    }
    let l = label(&key);
    seen.push((key, l.clone()));
    l
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    page: Page,
    rows: Vec<Row>,
    total: u64,
    next: Option<u64>,
    prev: Option<u64>,
    can_write: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    offset: Option<u64>,
}

async fn list(
    req: PageRequest,
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> Response {
    let offset = q.offset.unwrap_or(0);
    let fallback = req.anonymous();
    // The session is looked up in the same store turn as the page (the hottest page).
    let found = reading(&state, move |s| {
        let ctx = req.ctx(s)?;
        let Some(m) = ctx.member.clone() else {
            return Ok((ctx, None));
        };
        let q = IncidentQuery {
            offset,
            limit: PAGE_SIZE,
            ..Default::default()
        };
        let labels = OrgLabels::load(s, &m.org, ctx.tr)?;
        let page = s.ledger.store.incidents(&m.org, &q)?;
        Ok((ctx, Some((m, page, labels))))
    })
    .await;
    let (ctx, (m, (rows, total), labels)) = match found {
        Ok((ctx, Some(found))) => (ctx, found),
        Ok((_, None)) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(&fallback, &e),
    };
    // A page has a few distinct statuses and provinces: each label is looked up once.
    let mut statuses: Vec<(String, String)> = Vec::new();
    let mut provinces: Vec<(String, String)> = Vec::new();
    let rows = rows
        .into_iter()
        .map(|r| Row {
            id: r.id.to_string(),
            reference: r.reference.unwrap_or_default(),
            title: r.title,
            date: r.date,
            province: once(&mut provinces, r.province, |p| {
                province_label(p, ctx.tr.code())
            }),
            status: once(&mut statuses, r.verification_status, |s| labels.status(s)),
        })
        .collect();
    let page = ListPage {
        page: Page::new(&ctx, "incidents-title", "/incidents"),
        rows,
        total,
        next: (offset + PAGE_SIZE < total).then_some(offset + PAGE_SIZE),
        prev: (offset > 0).then(|| offset.saturating_sub(PAGE_SIZE)),
        can_write: m.role.can_write_records(),
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Template)]
#[template(path = "incident_form.html")]
struct FormPage {
    page: Page,
    action: String,
    input: IncidentInput,
    version: u64,
    errors: Vec<FieldError>,
    provinces: Vec<(&'static str, String)>,
    types: Vec<(&'static str, String)>,
    precisions: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    reliability: Vec<&'static str>,
    edicts: Vec<(String, String)>,
    can_analyse: bool,
    /// The organisation's active perpetrator institutions: (key, label).
    institutions: Vec<(String, String)>,
}

impl FormPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
    fn has_type(&self, t: &str) -> bool {
        self.input.violation_types.iter().any(|v| v == t)
    }
    fn has_edict(&self, id: &str) -> bool {
        self.input.edicts.iter().any(|v| v == id)
    }
    fn field_label(&self, field: &str) -> String {
        self.page.tr.t(&format!("field-{field}"))
    }
    /// One input per recorded perpetrator and two empty ones (three at least), each offering
    /// the institutions and taking free text.
    fn perpetrator_fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = self.input.perpetrators.iter().map(String::as_str).collect();
        fields.push("");
        fields.push("");
        while fields.len() < 3 {
            fields.push("");
        }
        fields
    }
    fn credibility(&self) -> String {
        self.input
            .source_credibility
            .map(|c| c.to_string())
            .unwrap_or_default()
    }
}

async fn form_page(
    ctx: &Ctx,
    state: &Arc<AppState>,
    action: String,
    input: IncidentInput,
    version: u64,
    errors: Vec<FieldError>,
) -> Response {
    let Some(org) = ctx.member.as_ref().map(|m| m.org.clone()) else {
        return Redirect::to("/login").into_response();
    };
    let tr = ctx.tr;
    let found = blocking(state, move |s| {
        Ok((s.ledger.store.edicts()?, OrgLabels::load(s, &org, tr)?))
    });
    let (edicts, labels) = match found.await {
        Ok(e) => e,
        Err(e) => return error_page(ctx, &e),
    };
    let lang = ctx.tr.code();
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        page: Page::new(ctx, "incident-form-title", &action),
        action,
        input,
        version,
        errors: errors.iter().map(|e| localise(&ctx.tr, e)).collect(),
        provinces: PROVINCES
            .iter()
            .map(|(c, _)| (*c, province_label(c, lang)))
            .collect(),
        types: VIOLATION_TYPES
            .iter()
            .map(|t| (*t, labels.domain(t)))
            .collect(),
        precisions: DATE_PRECISIONS
            .iter()
            .map(|p| (*p, ctx.tr.t(&format!("precision-{p}"))))
            .collect(),
        statuses: VERIFICATION_STATUSES
            .iter()
            .map(|p| (*p, labels.status(p)))
            .collect(),
        institutions: labels.offered_institutions(),
        reliability: RELIABILITY.to_vec(),
        can_analyse: ctx.member.as_ref().is_some_and(|m| m.role.can_analyse()),
        edicts: edicts
            .iter()
            .filter(|e| e.domain != "accountability")
            .map(|e| (e.id.clone(), format!("{} — {}", e.date, e.title.get(lang))))
            .collect(),
    };
    (
        status,
        render(&page).unwrap_or_else(|e| error_page(ctx, &e)),
    )
        .into_response()
}

async fn new_form(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    if ctx.member.is_none() {
        return Redirect::to("/login").into_response();
    }
    form_page(
        &ctx,
        &state,
        "/incidents/new".into(),
        IncidentInput::default(),
        0,
        Vec::new(),
    )
    .await
}

/// Reads the posted form; repeated keys (checkboxes) become lists.
fn input_from(pairs: &[(String, String)]) -> (IncidentInput, String, u64, Vec<FieldError>) {
    let mut input = IncidentInput::default();
    let (mut csrf, mut version, mut errors) = (String::new(), 0, Vec::new());
    let opt = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    for (k, v) in pairs {
        match k.as_str() {
            "ref" => input.reference = opt(v),
            "title" => input.title = v.clone(),
            "description" => input.description = v.clone(),
            "date" => input.date = v.clone(),
            "date_precision" => input.date_precision = opt(v),
            "province" => input.province = v.clone(),
            "violation_types" => input.violation_types.push(v.clone()),
            // One per field of the form (older clients: one per line of one field).
            "perpetrators" => input.perpetrators.extend(v.lines().map(str::to_owned)),
            "exact_location" => input.exact_location = opt(v),
            "source_reliability" => input.source_reliability = opt(v),
            "source_credibility" if !v.is_empty() => {
                match gawah_core::calendar::to_ascii_digits(v.trim()).parse() {
                    Ok(c) => input.source_credibility = Some(c),
                    Err(_) => errors.push(FieldError {
                        field: "source_credibility",
                        message: "must be 1 to 6".into(),
                    }),
                }
            }
            "verification_status" => input.verification_status = opt(v),
            "edicts" => input.edicts.push(v.clone()),
            "csrf" => csrf = v.clone(),
            "version" => version = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    (input, csrf, version, errors)
}

async fn create(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (input, csrf, _, mut errors) = input_from(&pairs);
    let Some(m) = ctx.member.clone() else {
        return error_page(&ctx, &AppError::Unauthenticated);
    };
    if let Err(e) = ctx.check_csrf(&csrf) {
        return error_page(&ctx, &e);
    }
    if let Err(mut e) = input.validate() {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return form_page(&ctx, &state, "/incidents/new".into(), input, 0, errors).await;
    }
    let to_save = input.clone();
    match blocking(&state, move |s| records::create(s, &m, &to_save)).await {
        Ok((id, _)) => Redirect::to(&format!("/incidents/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            form_page(&ctx, &state, "/incidents/new".into(), input, 0, errors).await
        }
        Err(AppError::BadRequest(msg)) => {
            form_page(
                &ctx,
                &state,
                "/incidents/new".into(),
                input,
                0,
                vec![FieldError {
                    field: "edicts",
                    message: msg,
                }],
            )
            .await
        }
        Err(e) => error_page(&ctx, &e),
    }
}

/// A testimony as listed on its incident's page: nothing confidential.
struct TestimonyLine {
    id: String,
    language: String,
    consent: String,
    taken_on: String,
    erased: bool,
}

fn testimony_line(ctx: &Ctx, t: &gawah_store::records::TestimonyRow) -> TestimonyLine {
    let internal: Option<gawah_core::testimony::TestimonyInternal> =
        serde_json::from_str(&t.record.internal).ok();
    TestimonyLine {
        id: t.record.id.clone(),
        language: internal
            .as_ref()
            .map(|i| ctx.tr.t(&format!("language-{}", i.language)))
            .unwrap_or_default(),
        consent: internal
            .as_ref()
            .map(|i| {
                i.consent
                    .iter()
                    .map(|c| ctx.tr.t(&format!("consent-{}", c.as_str())))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        taken_on: internal.and_then(|i| i.taken_on).unwrap_or_default(),
        erased: t.record.sealed.is_none(),
    }
}

/// An evidence item linked to an incident, as listed on its page.
struct EvidenceLine {
    id: String,
    file_name: String,
    bytes: u64,
    size: String,
    sha256: String,
    log_index: u64,
    confidential: bool,
    /// A PNG or JPEG (a redacted copy can be made of it).
    image: bool,
    /// The original it is a redacted copy of.
    copy_of: Option<String>,
    /// Its redacted copies.
    copies: Vec<String>,
}

/// A size for people: bytes in the largest binary unit that keeps one decimal meaningful.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// One line of an incident's history.
struct HistoryLine {
    log_index: u64,
    time: DualTime,
    action: String,
    /// The evidence item the event is about, when not the incident itself.
    item: Option<String>,
    actor: String,
}

/// What the upload script says, as `data-msg-*` attributes of the form: the messages in the
/// page's language, with `{done}`, `{total}` and `{percent}` for the script to fill in.
fn upload_messages(ctx: &Ctx) -> Vec<(&'static str, String)> {
    let progress = ctx.tr.t_args(
        "evidence-uploading",
        &[
            ("done", "{done}".into()),
            ("total", "{total}".into()),
            ("percent", "{percent}".into()),
        ],
    );
    vec![
        ("uploading", progress),
        ("resuming", ctx.tr.t("evidence-resuming")),
        ("resumed", ctx.tr.t("evidence-resumed")),
        ("done", ctx.tr.t("evidence-done")),
        ("failed", ctx.tr.t("evidence-failed")),
        ("refused", ctx.tr.t("evidence-refused")),
    ]
}

#[derive(Template)]
#[template(path = "incident.html")]
struct ShowPage {
    page: Page,
    id: String,
    incident: gawah_core::incident::Incident,
    date: String,
    precision: String,
    province: String,
    status: String,
    types: Vec<String>,
    /// The perpetrators, institutions by their label.
    perpetrators: Vec<String>,
    edicts: Vec<(String, String)>,
    history: Vec<HistoryLine>,
    version: u64,
    /// The confidential fields were opened (and the read logged).
    revealed: bool,
    /// The member may open them.
    can_reveal: bool,
    /// Testimonies given in it (internal fields only).
    testimonies: Vec<TestimonyLine>,
    can_write: bool,
    evidence: Vec<EvidenceLine>,
    /// Whether the member may add evidence (the upload form).
    can_upload: bool,
    /// The upload script's messages.
    upload_messages: Vec<(&'static str, String)>,
    /// The size of each `PATCH` of the upload script, in bytes.
    chunk_bytes: u64,
    /// Whether the member may download originals (a logged read).
    can_download: bool,
    /// Whether the member may make redacted copies.
    can_redact: bool,
}

async fn show(ctx: Ctx, State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    show_page(ctx, state, id, false).await
}

/// The incident page with its confidential fields (exact place, file names) opened: a POST
/// with the form token, because every such read is logged.
async fn reveal(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if let Err(e) = ctx.check_csrf(&csrf) {
        return error_page(&ctx, &e);
    }
    show_page(ctx, state, id, true).await
}

async fn show_page(ctx: Ctx, state: Arc<AppState>, id: String, reveal: bool) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    let can_reveal = m.role.can_read_confidential();
    let tr = ctx.tr;
    let found = blocking(&state, move |s| {
        let row = if reveal {
            records::read_revealed(s, &m, &id)?
        } else {
            records::read(s, &m, &id)?
        };
        let file_names = if reveal && m.role.can_read_confidential() {
            records::evidence_names(s, &m, &row)?
        } else {
            std::collections::HashMap::new()
        };
        let evidence = s.ledger.store.incident_items(&row.org, &row.id)?;
        // The incident's own events and those of its evidence (the upload's intake).
        let mut custody = s.ledger.store.custody(row.id.as_str())?;
        for e in &evidence {
            custody.extend(s.ledger.store.custody(e.item.id.as_str())?);
        }
        custody.sort_by_key(|c| c.log_index);
        let edicts = s.ledger.store.edicts()?;
        let names: Vec<(String, String)> = custody
            .iter()
            .map(|c| (c.actor.clone(), c.actor.clone()))
            .collect();
        let members = names
            .into_iter()
            .map(|(id, _)| {
                let name = id
                    .parse()
                    .ok()
                    .and_then(|mid| s.ledger.store.member(&mid).ok().flatten())
                    .map_or(id.clone(), |m| m.username);
                (id, name)
            })
            .collect::<std::collections::HashMap<_, _>>();
        let testimonies = s.ledger.store.incident_testimonies(&row.org, &row.id)?;
        let links = crate::redact::item_links(s, &m, &evidence)?;
        let labels = OrgLabels::load(s, &m.org, tr)?;
        Ok((
            row,
            custody,
            (edicts, labels),
            members,
            (evidence, testimonies, links),
            file_names,
        ))
    })
    .await;
    let (row, custody, (edicts, labels), members, (evidence, testimonies, mut links), file_names) =
        match found {
            Ok(r) => r,
            Err(e) => return error_page(&ctx, &e),
        };
    let testimonies = testimonies
        .iter()
        .map(|t| testimony_line(&ctx, t))
        .collect();
    let lang = ctx.tr.code();
    let i = &row.incident;
    let page = ShowPage {
        page: Page::new(&ctx, "incident-title", &format!("/incidents/{}", row.id)),
        id: row.id.to_string(),
        date: dual_date(&i.date, lang),
        precision: ctx.tr.t(&format!("precision-{}", i.date_precision)),
        province: province_label(&i.province, lang),
        status: labels.status(&i.verification_status),
        types: i.violation_types.iter().map(|t| labels.domain(t)).collect(),
        perpetrators: i
            .perpetrators
            .iter()
            .map(|p| labels.perpetrator(p))
            .collect(),
        edicts: edicts
            .iter()
            .filter(|e| i.edicts.contains(&e.id))
            .map(|e| (e.id.clone(), format!("{} — {}", e.date, e.title.get(lang))))
            .collect(),
        history: custody
            .iter()
            .map(|c| HistoryLine {
                log_index: c.log_index,
                time: DualTime::new(c.time, lang),
                action: ctx.tr.t(&format!("action-{}", c.action)),
                item: (c.subject != row.id.as_str()).then(|| c.subject.clone()),
                actor: members
                    .get(&c.actor)
                    .cloned()
                    .unwrap_or_else(|| c.actor.clone()),
            })
            .collect(),
        version: row.version,
        revealed: reveal && can_reveal,
        can_reveal,
        testimonies,
        can_write: ctx
            .member
            .as_ref()
            .is_some_and(|m| m.role.can_write_records()),
        can_upload: ctx
            .member
            .as_ref()
            .is_some_and(|m| crate::upload::may_upload(m.role)),
        upload_messages: upload_messages(&ctx),
        chunk_bytes: UPLOAD_CHUNK,
        can_download: can_reveal,
        can_redact: ctx
            .member
            .as_ref()
            .is_some_and(|m| crate::redact::may_redact(m.role)),
        incident: row.incident.clone(),
        evidence: evidence
            .into_iter()
            .map(|e| EvidenceLine {
                id: e.item.id.to_string(),
                file_name: file_names
                    .get(e.item.id.as_str())
                    .and_then(|m| m.file_name.clone())
                    .or(e.item.file_name)
                    .unwrap_or_default(),
                bytes: e.item.bytes,
                size: human_size(e.item.bytes),
                // A confidential item's hash is sealed too, shown once revealed.
                sha256: e
                    .item
                    .sha256
                    .map(|h| h.to_hex())
                    .or_else(|| {
                        file_names
                            .get(e.item.id.as_str())
                            .and_then(|m| m.sha256.clone())
                    })
                    .unwrap_or_default(),
                log_index: e.item.log_index,
                confidential: e.confidential,
                image: links.get(e.item.id.as_str()).is_some_and(|l| l.image),
                copy_of: links
                    .get_mut(e.item.id.as_str())
                    .and_then(|l| l.copy_of.take()),
                copies: links
                    .remove(e.item.id.as_str())
                    .map(|l| l.copies)
                    .unwrap_or_default(),
            })
            .collect(),
    };
    render(&page).unwrap_or_else(|e| error_page(&ctx, &e))
}

async fn edit_form(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(m) = ctx.member.clone() else {
        return Redirect::to("/login").into_response();
    };
    // The form shows the confidential fields to edit them: a logged read.
    match blocking(&state, move |s| records::read_revealed(s, &m, &id)).await {
        Ok(row) => {
            form_page(
                &ctx,
                &state,
                format!("/incidents/{}/edit", row.id),
                records::as_input(&row.incident),
                row.version,
                Vec::new(),
            )
            .await
        }
        Err(e) => error_page(&ctx, &e),
    }
}

async fn update(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (input, csrf, version, errors) = input_from(&pairs);
    let Some(m) = ctx.member.clone() else {
        return error_page(&ctx, &AppError::Unauthenticated);
    };
    if let Err(e) = ctx.check_csrf(&csrf) {
        return error_page(&ctx, &e);
    }
    let action = format!("/incidents/{id}/edit");
    if !errors.is_empty() {
        return form_page(&ctx, &state, action, input, version, errors).await;
    }
    let to_save = input.clone();
    let target = id.clone();
    match blocking(&state, move |s| {
        records::update(s, &m, &target, &to_save, Some(version))
    })
    .await
    {
        Ok(_) => Redirect::to(&format!("/incidents/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            form_page(&ctx, &state, action, input, version, errors).await
        }
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_))) => {
            // A constraint of the store (an unknown edict), or a newer version meanwhile.
            let (field, message) = match e {
                AppError::BadRequest(m) => ("edicts", m),
                other => ("form", other.to_string()),
            };
            let errors = vec![FieldError { field, message }];
            form_page(&ctx, &state, action, input, version, errors).await
        }
        Err(e) => error_page(&ctx, &e),
    }
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/incidents", get(list))
        .route("/incidents/new", get(new_form).post(create))
        .route("/incidents/{id}", get(show))
        .route("/incidents/{id}/reveal", post(reveal))
        .route("/incidents/{id}/edit", get(edit_form).post(update))
}
