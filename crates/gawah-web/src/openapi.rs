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
/// `GET /api/openapi.json`.
pub const OPENAPI_GET: RouteDoc = op("get", "This document", false, None, (200, "OpenApi"));

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
    if d.path.contains("{id}") {
        o["parameters"] =
            json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
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
    json!({
        "ref": {"type": ["string", "null"], "description": "The source's own reference"},
        "title": {"type": "string", "maxLength": 300},
        "description": {"type": "string", "maxLength": 20000},
        "date": {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"},
        "date_precision": {"type": ["string", "null"], "enum": ["day", "month", "year", "approximate", null]},
        "province": {"type": "string", "description": "ISO 3166-2:AF code", "pattern": "^AF-[A-Z]{3}$"},
        "violation_types": {"type": "array", "items": {"type": "string"}},
        "perpetrators": {"type": "array", "items": {"type": "string"}},
        "exact_location": {"type": ["string", "null"], "description": "Confidential", "x-classification": "confidential"},
        "source_reliability": {"type": ["string", "null"], "enum": ["A", "B", "C", "D", "E", "F", null]},
        "source_credibility": {"type": ["integer", "null"], "minimum": 1, "maximum": 6},
        "verification_status": {"type": ["string", "null"], "enum": ["unverified", "partially_verified", "verified", "disputed", null]},
        "edicts": {"type": "array", "items": {"type": "string"}}
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
    json!({
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
                "Upload": {"type": "object", "required": ["id", "offset", "length", "done"], "properties": {
                    "id": {"type": "string"}, "offset": {"type": "integer"}, "length": {"type": "integer"},
                    "file_name": {"type": ["string", "null"]}, "case": {"type": ["string", "null"]},
                    "incident": {"type": ["string", "null"]}, "confidential": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"}, "done": {"type": "boolean"},
                    "item": {"type": "string"}, "sha256": {"type": "string"}, "bytes": {"type": "integer"}, "log_index": {"type": "integer"}
                }},
                "Empty": {"type": "null"}
            }
        }
    })
}
