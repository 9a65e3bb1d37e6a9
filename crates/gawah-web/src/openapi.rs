//! The OpenAPI 3.1 description of the API, generated from the same route table that builds
//! the router (see `api::routes`).

use serde_json::{Value, json};

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// Path template, filled in when the route is registered.
    pub path: &'static str,
    /// HTTP method, lower case.
    pub method: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Whether a bearer token is needed.
    pub auth: bool,
    /// Request body schema, if any.
    pub request: Option<&'static str>,
    /// Success status and response schema.
    pub response: (u16, &'static str),
}

const fn op(
    method: &'static str,
    summary: &'static str,
    auth: bool,
    request: Option<&'static str>,
    response: (u16, &'static str),
) -> RouteDoc {
    RouteDoc {
        path: "",
        method,
        summary,
        auth,
        request,
        response,
    }
}

/// `GET /api/v1/edicts`.
pub const EDICTS_GET: RouteDoc = op(
    "get",
    "All edicts and accountability milestones, with translations and sources (public)",
    false,
    None,
    (200, "EdictList"),
);
/// `GET /api/v1/incidents`.
pub const INCIDENTS_GET: RouteDoc = op(
    "get",
    "A page of the organisation's incidents, newest first",
    true,
    None,
    (200, "IncidentList"),
);
/// `POST /api/v1/incidents`.
pub const INCIDENTS_POST: RouteDoc = op(
    "post",
    "Record an incident",
    true,
    Some("IncidentInput"),
    (201, "Created"),
);
/// `GET /api/v1/incidents/{id}`.
pub const INCIDENT_GET: RouteDoc = op("get", "One incident", true, None, (200, "Incident"));
/// `PATCH /api/v1/incidents/{id}`.
pub const INCIDENT_PATCH: RouteDoc = op(
    "patch",
    "Change some fields of an incident (JSON merge patch; `version` for optimistic concurrency)",
    true,
    Some("IncidentPatch"),
    (200, "Incident"),
);
/// `POST /api/v1/evidence`.
pub const EVIDENCE_POST: RouteDoc = op(
    "post",
    "Upload an evidence item (multipart/form-data: `file`, optional `case`, optional `incident` id of the organisation to link it to, optional `confidential`). The body is streamed into the ledger; 413 over the upload limit",
    true,
    Some("EvidenceUpload"),
    (201, "Evidence"),
);
/// `GET /api/v1/evidence/{id}/file`.
pub const EVIDENCE_FILE_GET: RouteDoc = op(
    "get",
    "Download the original of an item of the organisation, streamed (admin, documenter, analyst, legal; a viewer gets 403). The read is a `view` custody event (part `file`), logged before the first byte. Served as `Content-Disposition: attachment` (the sealed file name, else the item id), `application/octet-stream`, `nosniff`, `Content-Security-Policy: sandbox`. Items ingested by the CLI have no organisation and are not found here",
    true,
    None,
    (200, "File"),
);
/// `POST /api/v1/evidence/{id}/redactions`.
pub const REDACTIONS_POST: RouteDoc = op(
    "post",
    "Admins and documenters: make a redacted working copy of a PNG or JPEG item: each rectangle `[x, y, w, h]` (pixels of the image as displayed, EXIF orientation applied; 1 to 200, within bounds) is filled with opaque black and the result stored as a PNG without any metadata, as a new item of the same organisation and incident linked to the untouched original; logged as a `redaction` entry naming the `original`. 422 naming `rects` for bad rectangles, naming `item` for anything but a readable PNG or JPEG of at most 100 megapixels",
    true,
    Some("RedactionInput"),
    (201, "Redaction"),
);
/// `OPTIONS /api/v1/uploads`.
pub const UPLOADS_OPTIONS: RouteDoc = op(
    "options",
    "tus 1.0 discovery: answers Tus-Version, Tus-Extension (creation, termination) and Tus-Max-Size",
    false,
    None,
    (204, "Empty"),
);
/// `POST /api/v1/uploads`.
pub const UPLOADS_POST: RouteDoc = op(
    "post",
    "tus creation: headers Tus-Resumable: 1.0.0, Upload-Length, Upload-Metadata (base64 `filename`, `case`, `incident`, `confidential`); answers 201 with Location. 412 without Tus-Resumable, 413 over Tus-Max-Size",
    true,
    None,
    (201, "Empty"),
);
/// `GET /api/v1/uploads/{id}`.
pub const UPLOAD_GET: RouteDoc = op(
    "get",
    "A resumable upload of the caller: offset, length, and once finished its item, sha256 and log index",
    true,
    None,
    (200, "Upload"),
);
/// `HEAD /api/v1/uploads/{id}`.
pub const UPLOAD_HEAD: RouteDoc = op(
    "head",
    "tus: the acknowledged Upload-Offset and the Upload-Length (and X-Gawah-Item once finished)",
    true,
    None,
    (200, "Empty"),
);
/// `PATCH /api/v1/uploads/{id}`.
pub const UPLOAD_PATCH: RouteDoc = op(
    "patch",
    "tus: appends the body (Content-Type: application/offset+octet-stream) at Upload-Offset; answers 204 with the new Upload-Offset, durable before it is answered; when complete, the item is recorded and named in X-Gawah-Item, X-Gawah-Sha256, X-Gawah-Log-Index. 409 on an offset mismatch, 412 without Tus-Resumable",
    true,
    Some("TusChunk"),
    (204, "Empty"),
);
/// `DELETE /api/v1/uploads/{id}`.
pub const UPLOAD_DELETE: RouteDoc = op(
    "delete",
    "tus termination: forgets the upload and its partial data (a finished upload's item stays)",
    true,
    None,
    (204, "Empty"),
);
/// `GET /api/v1/incidents/{id}/testimonies`.
pub const TESTIMONIES_GET: RouteDoc = op(
    "get",
    "The testimonies of an incident: internal fields only (language, consent, date); nothing confidential",
    true,
    None,
    (200, "TestimonyList"),
);
/// `POST /api/v1/incidents/{id}/testimonies`.
pub const TESTIMONIES_POST: RouteDoc = op(
    "post",
    "Record a testimony given in an incident. `statement`, `witness_name` and `witness_contact` are confidential: sealed at rest under the record's own key",
    true,
    Some("TestimonyInput"),
    (201, "Created"),
);
/// `GET /api/v1/testimonies/{id}`.
pub const TESTIMONY_GET: RouteDoc = op(
    "get",
    "One testimony. Roles that may read confidential data (admin, documenter, analyst, legal) get the statement and the witness's name and contact, and the read is logged; viewers get the internal fields only. 410 once erased",
    true,
    None,
    (200, "Testimony"),
);
/// `GET /api/v1/search`.
pub const SEARCH_GET: RouteDoc = op(
    "get",
    "Full-text and faceted search over the organisation's incidents (internal fields only; Dari, Pashto and English spellings folded). Query: `q` (words ANDed, \"phrases\", -excluded), repeatable `province`, `type`, `perpetrator`, `edict`, `status`, `reliability`, `language`; `from`, `to` (YYYY[-MM[-DD]], overlapping the incident's date); `sort` (relevance, newest, oldest); `offset`, `limit` (at most 200)",
    true,
    None,
    (200, "SearchResults"),
);
/// `GET /api/v1/incidents/{id}/duplicates`.
pub const DUPLICATES_GET: RouteDoc = op(
    "get",
    "Possible duplicate reports of an incident (similar text, same province, close dates, same evidence file), and the incidents already linked to it",
    true,
    None,
    (200, "Duplicates"),
);
/// `POST /api/v1/incidents/{id}/links`.
pub const LINKS_POST: RouteDoc = op(
    "post",
    "Link two incidents as reports of the same event (analysts and admins). Both stay as documented; the link is logged",
    true,
    Some("LinkInput"),
    (201, "Link"),
);
/// `GET /api/v1/incidents/{id}/acts`.
pub const ACTS_GET: RouteDoc = op(
    "get",
    "Who did what to whom in an incident: acts with their victims and perpetrators (person ids)",
    true,
    None,
    (200, "ActList"),
);
/// `POST /api/v1/incidents/{id}/acts`.
pub const ACTS_POST: RouteDoc = op(
    "post",
    "Record an act: a violation type with victims and perpetrators (people of the organisation)",
    true,
    Some("ActInput"),
    (201, "Created"),
);
/// `POST /api/v1/people`.
pub const PEOPLE_POST: RouteDoc = op(
    "post",
    "Record a person (victim, witness or perpetrator) under a pseudonym; `name`, `contact` and `notes` are confidential",
    true,
    Some("PersonInput"),
    (201, "Created"),
);
/// `GET /api/v1/people/{id}`.
pub const PERSON_GET: RouteDoc = op(
    "get",
    "One person; confidential fields as for testimonies (logged read)",
    true,
    None,
    (200, "Person"),
);
/// `GET /api/v1/erasures`.
pub const ERASURES_GET: RouteDoc = op(
    "get",
    "Admins: the organisation's erasure requests, pending and approved",
    true,
    None,
    (200, "ErasureList"),
);
/// `POST /api/v1/erasures`.
pub const ERASURES_POST: RouteDoc = op(
    "post",
    "Admins: ask to erase a person or testimony (`record`). Nothing is destroyed until a second admin approves. Logged",
    true,
    Some("ErasureRequest"),
    (201, "Created"),
);
/// `POST /api/v1/erasures/{id}/approve`.
pub const ERASURE_APPROVE: RouteDoc = op(
    "post",
    "Admins other than the one who asked: approve an erasure. Destroys the record's data key (crypto-shredding) in the same transaction as the logged approval; the log still verifies",
    true,
    None,
    (200, "Erased"),
);
/// `GET /api/v1/access`.
pub const ACCESS_GET: RouteDoc = op(
    "get",
    "Admins: the access report, every custody event of one record (`?record=`) or by one member (`?member=`), with the number of reads (view, export)",
    true,
    None,
    (200, "AccessReport"),
);
/// `GET /api/v1/vocabularies`.
pub const VOCABULARIES_GET: RouteDoc = op(
    "get",
    "The organisation's vocabularies with their labels in en, fa and ps: its perpetrator institutions (retired ones included, `active` false), and every key of the fixed vocabularies `violation_type` and `verification_status` with the organisation's label overrides (`null`: the default) and the labels in effect",
    true,
    None,
    (200, "VocabularyList"),
);
/// `POST /api/v1/vocabularies/{vocab}`.
pub const VOCABULARY_POST: RouteDoc = op(
    "post",
    "Admins: add or change a term of `institution`, or override the labels of a key of `violation_type` or `verification_status` (their keys are fixed: they are the values of `violation_types` and `verification_status`, the charts' and the public figures' domains; they cannot be added, retired or deleted). Give `version` (0 for a new term) to be refused with 409 if someone changed it meanwhile. Each change is one logged entry (`create` or `update`, subject `vocab:<org>:<vocab>:<key>`) committing to the term; an unchanged term logs nothing (`changed` false). 404 for an unknown vocabulary",
    true,
    Some("VocabularyTermInput"),
    (200, "VocabularyTerm"),
);
/// `GET /api/openapi.json`.
pub const OPENAPI_GET: RouteDoc = op("get", "This document", false, None, (200, "OpenApi"));
/// `GET /api/v1/submissions`.
pub const SUBMISSIONS_GET: RouteDoc = op(
    "get",
    "The organisation's anonymous submissions (from /submit), newest first, without content",
    true,
    None,
    (200, "SubmissionList"),
);
/// `GET /api/v1/submissions/{id}`.
pub const SUBMISSION_GET: RouteDoc = op(
    "get",
    "One anonymous submission, every part decrypted with the organisation's intake key (the read is logged)",
    true,
    None,
    (200, "Submission"),
);
/// `PATCH /api/v1/submissions/{id}`.
pub const SUBMISSION_PATCH: RouteDoc = op(
    "patch",
    "Move an anonymous submission to another status",
    true,
    Some("SubmissionStatus"),
    (200, "Submission"),
);

/// The schemas of anonymous submissions, added to the document's components.
fn submission_schemas() -> Value {
    let row = json!({
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["received", "under_review", "closed"]},
        "received_on": {"type": "string", "format": "date", "description": "Only the day is kept"},
        "updated_on": {"type": "string", "format": "date"},
        "parts": {"type": "integer"}
    });
    let part = json!({"type": "object", "x-classification": "confidential", "properties": {
        "part": {"type": "integer"},
        "received_on": {"type": "string", "format": "date"},
        "text": {"type": "string"},
        "when": {"type": ["string", "null"]},
        "province": {"type": ["string", "null"], "pattern": "^AF-[A-Z]{3}$"},
        "contact": {"type": ["string", "null"]},
        "consent": {"type": "array", "items": {"type": "string", "enum": ["internal", "legal", "anonymised_publication", "named_publication"]}},
        "language": {"type": "string"}
    }});
    let mut submission = row.clone();
    submission["content"] = json!({"type": "array", "items": part});
    json!({
        "SubmissionList": {"type": "object", "properties": {"submissions": {"type": "array", "items": {"type": "object", "properties": row}}}},
        "Submission": {"type": "object", "properties": submission},
        "SubmissionStatus": {"type": "object", "required": ["status"], "additionalProperties": false, "properties": {
            "status": {"type": "string", "enum": ["received", "under_review", "closed"]}
        }}
    })
}

fn operation(d: &RouteDoc) -> Value {
    let mut o = json!({
        "summary": d.summary,
        "responses": {
            d.response.0.to_string(): {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", d.response.1)}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"}
        }
    });
    if d.auth {
        o["security"] = json!([{"bearer": []}]);
        o["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
        o["responses"]["403"] = json!({"$ref": "#/components/responses/Error"});
    }
    if let Some(schema) = d.request {
        o["requestBody"] = json!({"required": true, "content": {media_type(schema): {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        o["responses"]["422"] = json!({"$ref": "#/components/responses/Error"});
    }
    if d.response.1 == "Empty" {
        o["responses"][d.response.0.to_string()] = json!({"description": "OK (no body)"});
    }
    if d.response.1 == "File" {
        o["responses"][d.response.0.to_string()] = json!({"description": "The original's bytes", "content": {"application/octet-stream": {"schema": {"$ref": "#/components/schemas/File"}}}});
    }
    if d.path.contains("{id}") {
        o["parameters"] =
            json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    }
    if d.path.contains("{vocab}") {
        o["parameters"] = json!([{"name": "vocab", "in": "path", "required": true, "schema": {"type": "string", "enum": ["institution", "violation_type", "verification_status"]}}]);
    }
    o
}

/// The media type of a request schema: JSON unless it is an upload.
fn media_type(schema: &str) -> &'static str {
    match schema {
        "EvidenceUpload" => "multipart/form-data",
        "TusChunk" => "application/offset+octet-stream",
        _ => "application/json",
    }
}

fn incident_fields() -> Value {
    let mut fields = incident_schemas();
    if let Value::Object(map) = &mut fields {
        for (name, schema) in map.iter_mut() {
            *schema = classified("incident", name, schema.take());
        }
    }
    fields
}

fn incident_schemas() -> Value {
    json!({
        "ref": {"type": ["string", "null"], "description": "The source's own reference"},
        "title": {"type": "string", "maxLength": 300},
        "description": {"type": "string", "maxLength": 20000},
        "date": {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"},
        "date_precision": {"type": ["string", "null"], "enum": ["day", "month", "year", "approximate", null]},
        "province": {"type": "string", "description": "ISO 3166-2:AF code", "pattern": "^AF-[A-Z]{3}$"},
        "violation_types": {"type": "array", "items": {"type": "string"}},
        "perpetrators": {"type": "array", "items": {"type": "string"}},
        "exact_location": {"type": ["string", "null"], "description": "Confidential: sealed at rest; reading it is logged"},
        "source_reliability": {"type": ["string", "null"], "enum": ["A", "B", "C", "D", "E", "F", null]},
        "source_credibility": {"type": ["integer", "null"], "minimum": 1, "maximum": 6},
        "verification_status": {"type": ["string", "null"], "enum": ["unverified", "partially_verified", "verified", "disputed", null]},
        "edicts": {"type": "array", "items": {"type": "string"}}
    })
}

/// A property: its JSON schema with `x-classification` from the record type's classification.
fn classified(record: &str, field: &str, schema: Value) -> Value {
    let mut schema = schema;
    schema["x-classification"] = json!(gawah_core::classify::of(record, field).as_str());
    schema
}

fn testimony_fields() -> Value {
    json!({
        "statement": classified("testimony", "statement", json!({"type": "string", "maxLength": gawah_core::testimony::MAX_STATEMENT})),
        "witness_name": classified("testimony", "witness_name", json!({"type": ["string", "null"]})),
        "witness_contact": classified("testimony", "witness_contact", json!({"type": ["string", "null"]})),
        "language": classified("testimony", "language", json!({"type": "string", "description": "ISO 639-1 code: fa, ps, en, ..."})),
        "consent": classified("testimony", "consent", json!({"type": "array", "items": {"type": "string", "enum": ["internal", "legal", "anonymised_publication", "named_publication"]}})),
        "taken_on": classified("testimony", "taken_on", json!({"type": ["string", "null"], "format": "date"}))
    })
}

fn person_fields() -> Value {
    json!({
        "pseudonym": classified("person", "pseudonym", json!({"type": "string"})),
        "roles": classified("person", "roles", json!({"type": "array", "items": {"type": "string", "enum": ["victim", "witness", "perpetrator"]}})),
        "gender": classified("person", "gender", json!({"type": ["string", "null"]})),
        "age_group": classified("person", "age_group", json!({"type": ["string", "null"], "enum": ["child", "adolescent", "adult", "elderly", null]})),
        "name": classified("person", "name", json!({"type": ["string", "null"]})),
        "contact": classified("person", "contact", json!({"type": ["string", "null"]})),
        "notes": classified("person", "notes", json!({"type": ["string", "null"]}))
    })
}

/// The whole document for the given routes.
pub fn document(routes: &[RouteDoc]) -> Value {
    let mut paths = serde_json::Map::new();
    for d in routes {
        let entry = paths.entry(d.path.to_owned()).or_insert_with(|| json!({}));
        entry[d.method] = operation(d);
    }
    let mut incident = incident_fields();
    for (k, v) in [
        ("id", json!({"type": "string"})),
        ("version", json!({"type": "integer"})),
        (
            "created_at",
            json!({"type": "string", "format": "date-time"}),
        ),
        (
            "updated_at",
            json!({"type": "string", "format": "date-time"}),
        ),
    ] {
        incident[k] = v;
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "gawah API", "version": env!("CARGO_PKG_VERSION"), "description": "The case database of gawah. Authenticate with `Authorization: Bearer <token>` (`gawah admin token create`)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "fields": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}},
                "IncidentInput": {"type": "object", "required": ["title", "date", "province"], "additionalProperties": false, "properties": incident_fields()},
                "IncidentPatch": {"type": "object", "properties": {"version": {"type": "integer"}}, "additionalProperties": true},
                "Incident": {"type": "object", "properties": incident},
                "IncidentList": {"type": "object", "properties": {"total": {"type": "integer"}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}}},
                "Created": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "log_index": {"type": "integer"}}},
                "EdictList": {"type": "object", "properties": {"edicts": {"type": "array", "items": {"type": "object"}}}},
                "OpenApi": {"type": "object"},
                "EvidenceUpload": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream", "description": "The file, streamed; several GB are fine"},
                    "case": {"type": "string", "maxLength": 255},
                    "incident": {"type": "string", "description": "An incident of the caller's organisation to link the item to"},
                    "confidential": {"type": "string", "description": "`on`, `true` or `1`: marked confidential"}
                }},
                "Evidence": {"type": "object", "required": ["item", "sha256", "bytes", "log_index"], "properties": {
                    "item": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "bytes": {"type": "integer"}, "log_index": {"type": "integer"}
                }},
                "TusChunk": {"type": "string", "contentMediaType": "application/offset+octet-stream"},
                "File": {"type": "string", "contentMediaType": "application/octet-stream"},
                "RedactionInput": {"type": "object", "required": ["rects"], "additionalProperties": false, "properties": {
                    "rects": {"type": "array", "minItems": 1, "maxItems": 200, "items": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "integer", "minimum": 0}, "description": "[x, y, w, h] in pixels; w and h at least 1"}}
                }},
                "Redaction": {"type": "object", "required": ["item", "sha256", "bytes", "log_index", "original"], "properties": {
                    "item": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "bytes": {"type": "integer"}, "log_index": {"type": "integer"}, "original": {"type": "string"}
                }},
                "Upload": {"type": "object", "required": ["id", "offset", "length", "done"], "properties": {
                    "id": {"type": "string"}, "offset": {"type": "integer"}, "length": {"type": "integer"},
                    "file_name": {"type": ["string", "null"]}, "case": {"type": ["string", "null"]},
                    "incident": {"type": ["string", "null"]}, "confidential": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"}, "done": {"type": "boolean"},
                    "item": {"type": "string"}, "sha256": {"type": "string"}, "bytes": {"type": "integer"}, "log_index": {"type": "integer"}
                }},
                "TestimonyInput": {"type": "object", "required": ["statement", "language"], "additionalProperties": false, "properties": testimony_fields()},
                "Testimony": {"type": "object", "properties": testimony_fields()},
                "TestimonyList": {"type": "object", "properties": {"testimonies": {"type": "array", "items": {"$ref": "#/components/schemas/Testimony"}}}},
                "PersonInput": {"type": "object", "required": ["pseudonym"], "additionalProperties": false, "properties": person_fields()},
                "Person": {"type": "object", "properties": person_fields()},
                "ActInput": {"type": "object", "required": ["violation_type"], "additionalProperties": false, "properties": {
                    "violation_type": {"type": "string", "x-classification": "internal"},
                    "victims": {"type": "array", "items": {"type": "string"}, "x-classification": "internal"},
                    "perpetrators": {"type": "array", "items": {"type": "string"}, "x-classification": "internal"}
                }},
                "ActList": {"type": "object", "properties": {"acts": {"type": "array", "items": {"$ref": "#/components/schemas/ActInput"}}}},
                "ErasureRequest": {"type": "object", "required": ["record"], "additionalProperties": false, "properties": {"record": {"type": "string"}}},
                "ErasureList": {"type": "object", "properties": {"erasures": {"type": "array", "items": {"type": "object"}}}},
                "Erased": {"type": "object", "properties": {"record": {"type": "string"}, "erased": {"type": "boolean"}, "log_index": {"type": "integer"}}},
                "AccessReport": {"type": "object", "properties": {"reads": {"type": "integer"}, "events": {"type": "array", "items": {"type": "object"}}}},
                "Empty": {"type": "null"}
            }
        }
    });
    doc["paths"]["/add-checkpoint"] = crate::witness::openapi_path();
    for more in [submission_schemas(), search_schemas(), vocab_schemas()] {
        if let (Value::Object(schemas), Value::Object(more)) =
            (&mut doc["components"]["schemas"], more)
        {
            schemas.extend(more);
        }
    }
    doc
}

/// Schemas of search and duplicate links.
fn search_schemas() -> Value {
    let counts = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    json!({
        "SearchResults": {"type": "object", "required": ["total", "items", "facets"], "properties": {
            "total": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"}, "ref": {"type": ["string", "null"]}, "title": {"type": "string"},
                "date": {"type": "string"}, "province": {"type": "string"},
                "violation_types": {"type": "array", "items": {"type": "string"}},
                "verification_status": {"type": "string"}, "language": {"type": ["string", "null"]},
                "score": {"type": "number"}
            }}},
            "facets": {"type": "object", "description": "Exact counts over all results, per value", "properties": {
                "province": counts, "violation_type": counts, "perpetrator": counts, "edict": counts,
                "status": counts, "reliability": counts, "language": counts, "year": counts
            }}
        }},
        "Duplicates": {"type": "object", "properties": {
            "suggestions": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "ref": {"type": ["string", "null"]}, "title": {"type": "string"},
                "date": {"type": "string"}, "province": {"type": "string"},
                "reasons": {"type": "array", "items": {"type": "string", "enum": ["similar_text", "same_province", "close_date", "same_file"]}},
                "score": {"type": "number"}
            }}},
            "links": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "kind": {"type": "string"}, "log_index": {"type": "integer"}
            }}}
        }},
        "LinkInput": {"type": "object", "required": ["other"], "additionalProperties": false, "properties": {"other": {"type": "string"}}},
        "Link": {"type": "object", "properties": {"other": {"type": "string"}, "kind": {"type": "string"}, "log_index": {"type": "integer"}}}
    })
}

/// Schemas of the vocabularies.
fn vocab_schemas() -> Value {
    let label =
        json!({"type": ["string", "null"], "maxLength": 120, "x-classification": "internal"});
    let term = json!({"type": "object", "required": ["vocab", "key", "active", "labels", "version"], "properties": {
        "vocab": {"type": "string", "enum": ["institution", "violation_type", "verification_status"]},
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,47}$", "description": "What incidents and the API store"},
        "active": {"type": "boolean", "description": "Offered for new incidents; a retired institution still names what older incidents recorded"},
        "en": label, "fa": label, "ps": label,
        "labels": {"type": "object", "description": "The label in effect in each language", "properties": {
            "en": {"type": "string"}, "fa": {"type": "string"}, "ps": {"type": "string"}
        }},
        "version": {"type": "integer", "description": "0: never changed"},
        "log_index": {"type": ["integer", "null"], "description": "The entry of the current version"},
        "changed": {"type": "boolean", "description": "In answer to a POST: whether a new version was logged"}
    }});
    let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/VocabularyTerm"}});
    json!({
        "VocabularyTerm": term,
        "VocabularyList": {"type": "object", "properties": {"vocabularies": {"type": "object", "properties": {
            "institution": list, "violation_type": list, "verification_status": list
        }}}},
        "VocabularyTermInput": {"type": "object", "required": ["key"], "additionalProperties": false, "properties": {
            "key": {"type": "string"},
            "en": {"type": ["string", "null"], "description": "Required for an institution; for a fixed vocabulary an override (empty or null: the default)"},
            "fa": {"type": ["string", "null"]},
            "ps": {"type": ["string", "null"]},
            "active": {"type": "boolean", "description": "false retires an institution; default true"},
            "version": {"type": "integer", "description": "The version the change is based on; 0 for a new term"}
        }}
    })
}
