//! The transparency log over HTTP, as C2SP tlog-tiles: `/log/checkpoint`, `/log/key`,
//! `/log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`.
//!
//! Only tiles within the latest signed checkpoint are served, so every tile is immutable
//! once served and may be cached forever; a partial tile is served only at its exact width.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gawah_log::{TileKind, parse_tile_path, tile_node_ids};

use crate::error::AppError;
use crate::state::{AppState, blocking};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

async fn key(State(state): State<Arc<AppState>>) -> Response {
    text(
        format!("{}\n", state.ledger.verifier_key()),
        "public, max-age=3600",
    )
}

async fn checkpoint(State(state): State<Arc<AppState>>) -> Response {
    match blocking(&state, |s| Ok(s.ledger.checkpoint()?)).await {
        Ok(cp) => text(cp.note, "no-cache"),
        Err(e) => e.into_response(),
    }
}

async fn tile(State(state): State<Arc<AppState>>, Path(rest): Path<String>) -> Response {
    let Ok(t) = parse_tile_path(&format!("tile/{rest}")) else {
        return (StatusCode::NOT_FOUND, "no such tile\n").into_response();
    };
    let result = blocking(&state, move |s| {
        let Some(cp) = s.ledger.store.latest_checkpoint()? else {
            return Ok(None);
        };
        match t.kind {
            TileKind::Hashes(level) => {
                let ids = tile_node_ids(level, t.index, t.width);
                // The tile exists at this width only if its last node is complete in the tree.
                let Some(last) = ids.last() else {
                    return Ok(None);
                };
                let needed = (last.index + 1)
                    .checked_shl(u32::from(last.level))
                    .unwrap_or(u64::MAX);
                if ids.len() as u64 != t.width
                    || needed > cp.size
                    || !exact_width(t.width, t.index, level, cp.size)
                {
                    return Ok(None);
                }
                let hashes = s
                    .ledger
                    .store
                    .read_nodes(&ids)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                Ok(Some(hashes.concat()))
            }
            TileKind::Entries => {
                let start = t.index * 256;
                let end = start + t.width;
                if end > cp.size || !exact_width(t.width, t.index, 0, cp.size) {
                    return Ok(None);
                }
                let mut body = Vec::new();
                s.ledger.store.for_each_entry(start, end, &mut |_, bytes| {
                    body.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
                    body.extend_from_slice(bytes);
                    Ok(())
                })?;
                Ok(Some(body))
            }
        }
    })
    .await;
    match result {
        Ok(Some(body)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, IMMUTABLE),
            ],
            body,
        )
            .into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "no such tile at the current checkpoint\n",
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A partial tile is served only at the width the checkpoint's tree gives it; a full tile
/// only once complete.
fn exact_width(width: u64, index: u64, level: u8, size: u64) -> bool {
    let nodes_at_level = size >> (u32::from(level) * 8);
    let full_tiles = nodes_at_level / 256;
    if width == 256 {
        index < full_tiles
    } else {
        index == full_tiles && nodes_at_level % 256 == width
    }
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/log/key", get(key))
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/tile/{*rest}", get(tile))
}
