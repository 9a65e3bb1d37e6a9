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
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        o["responses"]["422"] = json!({"$ref": "#/components/responses/Error"});
    }
    if d.path.contains("{id}") {
        o["parameters"] =
            json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    }
    o
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
                "OpenApi": {"type": "object"}
            }
        }
    })
}
