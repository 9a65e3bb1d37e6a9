//! Shared state, and the bridge from async handlers to the blocking store.

use std::sync::Arc;
use std::time::Duration;

use gawah_store::Ledger;

use crate::error::AppError;

/// Everything handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Records, blobs, log, signer, clock.
    pub ledger: Ledger,
    /// Whether cookies get the `Secure` attribute (behind TLS).
    pub secure_cookies: bool,
    /// Login attempts per client address, for rate limiting.
    pub login_limiter: crate::ctx::RateLimiter,
    /// Anonymous submissions and additions per client address (in memory only; the address
    /// is never stored or logged).
    pub intake_limiter: crate::ctx::RateLimiter,
    /// Receipt code look-ups per client address (in memory only, as above).
    pub receipt_limiter: crate::ctx::RateLimiter,
    /// The search index (derived; kept in step by [`crate::search::fresh`]).
    pub search: gawah_search::SearchIndex,
    /// One thread at a time brings the index up to date.
    pub search_sync: std::sync::Mutex<()>,
    /// The witness key, if this instance has one: it answers `POST /add-checkpoint`.
    pub witness: Option<gawah_log::Cosigner>,
}

impl AppState {
    /// State over a ledger, with a search index in memory (filled from the database on first
    /// use); [`AppState::with_search_index`] gives it the data dir's.
    pub fn new(ledger: Ledger, secure_cookies: bool) -> Result<Self, gawah_search::SearchError> {
        Ok(Self {
            ledger,
            secure_cookies,
            login_limiter: crate::ctx::RateLimiter::new(10, Duration::from_secs(60)),
            intake_limiter: crate::ctx::RateLimiter::new(10, Duration::from_secs(600)),
            receipt_limiter: crate::ctx::RateLimiter::new(20, Duration::from_secs(60)),
            search: gawah_search::SearchIndex::in_memory()?,
            search_sync: std::sync::Mutex::new(()),
            witness: None,
        })
    }

    /// The same state acting as a witness with this key (see [`crate::witness`]).
    pub fn with_witness(mut self, cosigner: gawah_log::Cosigner) -> Self {
        self.witness = Some(cosigner);
        self
    }

    /// The same state with another search index (the data dir's, on disk).
    pub fn with_search_index(mut self, index: gawah_search::SearchIndex) -> Self {
        self.search = index;
        self
    }
}

/// Runs blocking store work off the async threads.
pub async fn blocking<T, F>(state: &Arc<AppState>, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(|e| AppError::Internal(format!("worker failed: {e}")))?
}

/// Signs a checkpoint about once a second while the log grows.
pub async fn sign_checkpoints(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let s = state.clone();
        let result = tokio::task::spawn_blocking(move || s.ledger.checkpoint()).await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "signing a checkpoint failed; will retry"),
            Err(e) => tracing::error!(error = %e, "checkpoint task failed"),
        }
    }
}
