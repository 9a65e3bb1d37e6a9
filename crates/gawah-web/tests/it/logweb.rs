//! The log over HTTP: the key, a checkpoint that verifies, tiles that rebuild the same root.

use axum::http::{Method, StatusCode};
use gawah_log::{NoteVerifier, leaf_hash, node_hash, open_checkpoint};

use crate::harness::App;

async fn get(app: &App, path: &str) -> (StatusCode, Vec<u8>, String) {
    let (s, h, b) = app
        .send(
            axum::http::Request::builder()
                .method(Method::GET)
                .uri(path)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let cache = h
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (s, b, cache)
}

#[tokio::test]
async fn tiles_rebuild_the_signed_root() {
    let app = App::new();
    for i in 0..300 {
        app.incident(i % 2, &format!("incident {i}")).await;
    }
    let (_, key, _) = get(&app, "/log/key").await;
    let verifier = NoteVerifier::parse(String::from_utf8(key).unwrap().trim()).unwrap();
    let (status, note, cache) = get(&app, "/log/checkpoint").await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "no-cache"));
    let (cp, _) = open_checkpoint(&String::from_utf8(note).unwrap(), &verifier).unwrap();
    assert!(cp.size > 300);
    // Read every entry through the entry tiles, as a mirror would.
    let mut entries: Vec<Vec<u8>> = Vec::new();
    let full = cp.size / 256;
    for n in 0..=full {
        let width = if n < full { 256 } else { cp.size % 256 };
        if width == 0 {
            break;
        }
        let path = if width == 256 {
            format!("/log/tile/entries/{n:03}")
        } else {
            format!("/log/tile/entries/{n:03}.p/{width}")
        };
        let (status, body, cache) = get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(cache.contains("immutable"));
        let mut rest = &body[..];
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            entries.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
    }
    assert_eq!(entries.len() as u64, cp.size);
    // The level-0 hash tiles hold the leaf hashes of those entries.
    let (status, tile0, _) = get(&app, "/log/tile/0/000").await;
    assert_eq!(status, StatusCode::OK);
    for (i, chunk) in tile0.chunks(32).enumerate() {
        assert_eq!(chunk, leaf_hash(&entries[i]), "leaf {i}");
    }
    // And the entries give the signed root.
    let mut level: Vec<[u8; 32]> = entries.iter().map(|e| leaf_hash(e)).collect();
    fn mth(h: &[[u8; 32]]) -> [u8; 32] {
        if h.len() == 1 {
            return h[0];
        }
        let k = h.len().next_power_of_two() / 2;
        node_hash(&mth(&h[..k]), &mth(&h[k..]))
    }
    assert_eq!(mth(&level), cp.root);
    level.clear();
    // Tiles beyond the checkpoint, or at a width it does not have, do not exist.
    for path in [
        "/log/tile/0/999",
        "/log/tile/0/001.p/3",
        "/log/tile/entries/005",
        "/log/tile/../etc/passwd",
        "/log/tile/0/x1/000",
        "/log/tile/0/000.p/0",
    ] {
        assert_eq!(get(&app, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}
