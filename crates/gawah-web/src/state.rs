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
    /// Turns for read-only store work (see [`reading`]).
    pub reads: Arc<tokio::sync::Semaphore>,
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
            reads: Arc::new(tokio::sync::Semaphore::new(read_turns())),
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

/// How many read-only store calls run at once: two per core, at most 8, the size of
/// SQLite's pool of reading connections (`SqliteStore`), so that no thread that got a turn
/// waits for a connection. PostgreSQL's pool has as many or more.
fn read_turns() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(2, 8)
}

/// Runs read-only store work off the async threads, a few at a time: the request waits for
/// its turn here, holding no thread, and keeps the turn until the work is done (also if the
/// client leaves meanwhile).
///
/// Why: under a few hundred concurrent reads, each holding a blocking thread, every thread
/// but the few that have a connection slept on the pool and was woken in turn, and the
/// switching cost more than the reads. Measured with `scripts/load.sh` (200 clients
/// listing incidents in a closed loop, 2 cores): 1,857 pages/s with 32 threads contending,
/// 2,464 with the work bounded (docs/BENCHMARKS.md, "Read-path load test"). Use it for
/// work that only reads and is quick; anything that writes, logs or waits on a client uses
/// [`blocking`].
pub async fn reading<T, F>(state: &Arc<AppState>, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
{
    let turn = state
        .reads
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(format!("read turns closed: {e}")))?;
    blocking(state, move |s| {
        let result = f(s);
        drop(turn);
        result
    })
    .await
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
