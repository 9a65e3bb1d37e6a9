//! `POST /add-checkpoint`: this instance as a witness for other logs (C2SP tlog-witness).
//!
//! A log sends its new checkpoint with a consistency proof from the size this witness last
//! cosigned; the witness checks the log's signature (only logs added with
//! `gawah witness add-log` are witnessed), that the old size is the one it holds, and the
//! proof; then it moves its state to the new checkpoint (a compare-and-set in one
//! transaction) and answers with its cosignature. So it never cosigns two different
//! checkpoints of one size, nor a tree that does not extend the last one it saw.
//!
//! The endpoint needs no account, as the protocol intends: the log's signature is the
//! authentication. Bodies are bounded ([`MAX_BODY`]) and parsed strictly; every input is
//! answered with a status, never a panic. Cosigning writes no log entry (see
//! `gawah_store::witness`); it is reported through tracing.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gawah_core::Timestamp;
use gawah_log::{Cosigner, Hash, NoteError, NoteVerifier, open_checkpoint, verify_consistency};
use gawah_store::StoreError;
use gawah_store::witness::{WitnessStore, WitnessedCheckpoint};
use serde_json::{Value, json};

use crate::state::{AppState, blocking};

/// Largest request body: an old size, 63 proof lines and a checkpoint with a few dozen
/// signatures fit many times over.
pub const MAX_BODY: usize = 64 * 1024;
/// The protocol's bound on consistency proof lines.
pub const MAX_PROOF_LINES: usize = 63;
/// The media type of a 409 answer's body.
pub const SIZE_MEDIA_TYPE: &str = "text/x.tlog.size";

/// An `add-checkpoint` request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness cosigned last.
    pub old: u64,
    /// Consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub note: String,
}

/// What the witness answers, by the protocol's status codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 200: the cosignature line(s).
    Cosigned(String),
    /// 400: the request is malformed.
    BadRequest(&'static str),
    /// 403: no signature by the log's key verifies.
    Forbidden,
    /// 404: this instance does not witness that origin.
    UnknownLog,
    /// 409: the old size is not the size this witness holds (which is given), or a
    /// checkpoint of the same size has another root.
    Conflict(u64),
    /// 413: the body is larger than [`MAX_BODY`].
    TooLarge,
    /// 422: the consistency proof does not verify.
    BadProof(String),
    /// 503: this instance has no witness key (`gawah witness key` makes one).
    NoWitnessKey,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let plain = |status: StatusCode, body: String| {
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                body,
            )
                .into_response()
        };
        match self {
            Self::Cosigned(lines) => plain(StatusCode::OK, lines),
            Self::Conflict(size) => (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, SIZE_MEDIA_TYPE)],
                format!("{size}\n"),
            )
                .into_response(),
            Self::BadRequest(why) => plain(StatusCode::BAD_REQUEST, format!("{why}\n")),
            Self::Forbidden => plain(
                StatusCode::FORBIDDEN,
                "no signature by the log's key verifies\n".into(),
            ),
            Self::UnknownLog => plain(
                StatusCode::NOT_FOUND,
                "this witness does not witness that log\n".into(),
            ),
            Self::TooLarge => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {MAX_BODY} bytes\n"),
            ),
            Self::BadProof(why) => plain(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the consistency proof does not verify: {why}\n"),
            ),
            Self::NoWitnessKey => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "this instance has no witness key\n".into(),
            ),
        }
    }
}

/// Parses `old <size>\n`, up to 63 base64 hash lines, an empty line, then the note.
pub fn parse_request(body: &[u8]) -> Result<AddCheckpoint, &'static str> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
    let (first, mut rest) = text.split_once('\n').ok_or("no old size line")?;
    let old = first
        .strip_prefix("old ")
        .ok_or("the first line must be `old <size>`")
        .and_then(parse_size)?;
    let mut proof = Vec::new();
    loop {
        let (line, tail) = rest
            .split_once('\n')
            .ok_or("no empty line before the checkpoint")?;
        rest = tail;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err("more than 63 consistency proof lines");
        }
        let bytes = BASE64
            .decode(line)
            .map_err(|_| "a proof line is not base64")?;
        proof.push(Hash::try_from(bytes.as_slice()).map_err(|_| "a proof line is not 32 bytes")?);
    }
    if rest.is_empty() {
        return Err("no checkpoint after the empty line");
    }
    Ok(AddCheckpoint {
        old,
        proof,
        note: rest.to_owned(),
    })
}

/// A canonical decimal: digits only, no leading zero except "0".
fn parse_size(s: &str) -> Result<u64, &'static str> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return Err("the old size must be a decimal without leading zeros");
    }
    s.parse()
        .map_err(|_| "the old size does not fit in 64 bits")
}

/// Decides an `add-checkpoint` request and, when it holds, moves the witnessed log's state
/// and returns the cosignature made at `now`. Errors are the store's only.
pub fn add_checkpoint(
    store: &dyn WitnessStore,
    cosigner: &Cosigner,
    now: Timestamp,
    body: &[u8],
) -> Result<Answer, StoreError> {
    if body.len() > MAX_BODY {
        return Ok(Answer::TooLarge);
    }
    let req = match parse_request(body) {
        Ok(r) => r,
        Err(why) => return Ok(Answer::BadRequest(why)),
    };
    // The origin is the note's first line; the stored key decides whether it is witnessed.
    let origin = req.note.split('\n').next().unwrap_or_default();
    let Some(log) = store.witnessed_log(origin)?.filter(|l| l.active) else {
        return Ok(Answer::UnknownLog);
    };
    let verifier = NoteVerifier::parse(&log.key)
        .map_err(|e| StoreError::Corrupt(format!("stored key of {origin}: {e}")))?;
    let (cp, opened) = match open_checkpoint(&req.note, &verifier) {
        Ok(x) => x,
        Err(NoteError::NoVerifiedSignature | NoteError::BadSignature { .. }) => {
            return Ok(Answer::Forbidden);
        }
        Err(_) => return Ok(Answer::BadRequest("not a signed checkpoint")),
    };
    if req.old > cp.size {
        return Ok(Answer::BadRequest(
            "the old size is larger than the checkpoint's",
        ));
    }
    let head = log.head();
    if req.old != head.size {
        return Ok(Answer::Conflict(head.size));
    }
    if let Some(refusal) = check_extends(&req, cp.size, &cp.root, head.root.as_ref()) {
        tracing::warn!(
            origin,
            old = req.old,
            size = cp.size,
            ?refusal,
            "refused a checkpoint that does not extend the one witnessed"
        );
        return Ok(refusal);
    }
    let seconds = u64::try_from(now.millis().div_euclid(1000)).unwrap_or(0);
    let line = cosigner
        .cosign(&opened.text, seconds)
        .map_err(|e| StoreError::Invalid(format!("cosigning: {e}")))?;
    let to = WitnessedCheckpoint {
        size: cp.size,
        root: cp.root,
        note: req.note.clone(),
    };
    if !store.advance_witnessed_log(origin, head, &to, now)? {
        // Another request moved the state (or the log was removed) since it was read.
        let current = store.witnessed_log(origin)?.filter(|l| l.active);
        return Ok(current.map_or(Answer::UnknownLog, |l| Answer::Conflict(l.size)));
    }
    tracing::info!(
        origin,
        from = req.old,
        size = cp.size,
        "cosigned a checkpoint"
    );
    Ok(Answer::Cosigned(line))
}

/// `None` if the checkpoint extends the witnessed head; else the refusal. `req.old` is the
/// witnessed size already.
fn check_extends(
    req: &AddCheckpoint,
    size: u64,
    root: &Hash,
    witnessed: Option<&Hash>,
) -> Option<Answer> {
    if req.old == size {
        // The same size again: only the same root is consistent (a refresh).
        if witnessed.is_some_and(|w| w != root) {
            return Some(Answer::Conflict(size));
        }
        return (!req.proof.is_empty())
            .then(|| Answer::BadProof("the proof must be empty for the same size".into()));
    }
    match witnessed {
        // Nothing witnessed yet (old size 0): trusted on first use.
        None if req.old == 0 => (!req.proof.is_empty())
            .then(|| Answer::BadProof("the proof must be empty from size 0".into())),
        None => Some(Answer::Conflict(0)),
        Some(old_root) => verify_consistency(req.old, size, old_root, root, &req.proof)
            .err()
            .map(|e| Answer::BadProof(e.to_string())),
    }
}

/// The route, with its body limit.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(
        "/add-checkpoint",
        post(handle).layer(DefaultBodyLimit::max(MAX_BODY)),
    )
}

async fn handle(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let result = blocking(&state, move |s| {
        let Some(cosigner) = s.witness.as_ref() else {
            return Ok(Answer::NoWitnessKey);
        };
        let now = s.ledger.clock().now();
        Ok(add_checkpoint(
            s.ledger.store.as_ref(),
            cosigner,
            now,
            &body,
        )?)
    })
    .await;
    match result {
        Ok(answer) => answer.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The endpoint's entry in the OpenAPI document (it is outside `/api/v1`: its path and
/// plain-text bodies are fixed by the protocol).
pub fn openapi_path() -> Value {
    let text = |d: &str| json!({"description": d, "content": {"text/plain": {"schema": {"type": "string"}}}});
    json!({"post": {
        "summary": "C2SP tlog-witness add-checkpoint (no account): a log this instance witnesses (`gawah witness add-log`) submits its signed checkpoint with a consistency proof from the size this witness last cosigned; answered with a cosignature (C2SP tlog-cosignature, cosignature/v1). Cosigning is not a log entry",
        "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_BODY, "description": "`old <size>`, up to 63 base64 proof hashes one per line, an empty line, the signed checkpoint note"}}}},
        "responses": {
            "200": text("One cosignature line per witness key: `— <name> base64(key id ‖ u64 time ‖ Ed25519 signature)`"),
            "400": text("Malformed request, or an old size larger than the checkpoint's"),
            "403": text("No signature by the log's key verifies"),
            "404": text("This instance does not witness the checkpoint's origin"),
            "409": {"description": "The old size is not the size this witness cosigned last (or the same size has another root); the body is that size", "content": {SIZE_MEDIA_TYPE: {"schema": {"type": "string", "pattern": "^[0-9]+\\n$"}}}},
            "413": text("Body larger than 64 KiB"),
            "422": text("The consistency proof does not verify"),
            "503": text("This instance has no witness key")
        }
    }})
}

#[cfg(test)]
#[path = "witness_tests.rs"]
mod tests;
