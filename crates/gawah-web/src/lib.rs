//! The web face of gawah: server-rendered pages that work without JavaScript, an equivalent
//! JSON API under `/api/v1` described by OpenAPI, and the transparency log over HTTP
//! (C2SP tlog-tiles).
//!
//! # Layout
//! - [`state`]: the shared [`AppState`] and the bridge from async handlers to the blocking
//!   store.
//! - `ctx`: who is asking (session or bearer token), in which language, with which form token.
//! - `auth`: passwords, secrets, TOTP, lockout.
//! - `pages`: HTML pages; `api`: JSON API; `logweb`: the log over HTTP; `openapi`: the API
//!   description, generated from the same route table that builds the router.
//! - `headers`: security headers on every response.
//! - [`testimonies`]: testimonies, people and acts, their sealed fields and logged reads.
//! - [`disposition`]: erasure by two admins (crypto-shredding) and the access report.
//! - `upload`: evidence uploads (multipart, tus 1.0 resumable, the incident page's form),
//!   streamed into the ledger.
//! - `evidence`: downloading an original (a logged read, served so it cannot run as a page).
//! - [`redact`]: redacted working copies of images, linked to their untouched originals.
//! - [`intake`]: anonymous submissions at `/submit`, encrypted to the organisation's age
//!   recipient on arrival, read by members at `/intake`; no address stored or logged.
//! - [`witness`]: `POST /add-checkpoint`, this instance as a C2SP tlog-witness for the logs it
//!   was told to witness.
//!
//! Invariant: only this crate knows HTTP. Every route checks role and organisation on the
//! server; a record of another organisation is "not found".

// The OpenAPI document is one `json!` literal, deeper than the default macro recursion limit.
#![recursion_limit = "256"]

pub mod api;
pub mod auth;
mod ctx;
pub mod disposition;
pub mod error;
mod evidence;
mod headers;
pub mod i18n;
pub mod intake;
mod intake_api;
pub mod lang;
mod logweb;
pub mod openapi;
mod pages;
pub mod records;
pub mod redact;
pub mod search;
pub mod state;
pub mod testimonies;
mod upload;
pub mod vocab;
pub mod witness;

use std::sync::Arc;

use axum::Router;

pub use state::AppState;

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    let (api, _) = api::routes();
    Router::new()
        .merge(pages::routes())
        .merge(logweb::routes())
        .merge(api)
        .merge(upload::routes())
        .merge(evidence::routes())
        .merge(witness::routes())
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// Serves `router` on `listener` until ctrl-c or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    let signer = tokio::spawn(state::sign_checkpoints(state.clone()));
    let indexer = tokio::spawn(search::follow_commits(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    signer.abort();
    indexer.abort();
    result
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
