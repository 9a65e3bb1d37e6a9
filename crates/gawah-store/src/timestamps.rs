//! Trusted time for checkpoints: RFC 3161 tokens from a timestamp authority (TSA), kept
//! beside the log.
//!
//! What is stamped is a checkpoint's *text* — the origin, size and root lines, each ending
//! in a newline, exactly what the log key signs — so anyone holding the checkpoint can check
//! the token by hand (`openssl ts -verify -data TEXT -in TOKEN.tsr -CAfile CA.pem`). A token
//! over a checkpoint dates every entry the checkpoint includes: each existed at the token's
//! `genTime` at the latest, whatever the organisation's own clock said.
//!
//! Fetching a token is **not** a log entry: an entry would move the head, the new head
//! would want a checkpoint and a token of its own, and so on forever. Tokens are kept in the
//! [`TimestampStore`] (table `checkpoint_timestamps`) and reported through `tracing`; they
//! add nothing to what the log proves and need no trust in the store, since each one is
//! checked against the checkpoint's text wherever it is used.

use gawah_core::Timestamp;
use gawah_log::Hash;

use crate::error::StoreError;
use crate::store::StoredCheckpoint;
use crate::timestamp::{TimestampError, TsaClient};

/// One token over one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTimestamp {
    /// The checkpoint's tree size.
    pub size: u64,
    /// The checkpoint's root.
    pub root: Hash,
    /// The authority asked.
    pub tsa_url: String,
    /// Its DER `TimeStampResp`, as received (what `openssl ts -verify -in` reads).
    pub response: Vec<u8>,
    /// The token's time, RFC 3339 UTC.
    pub gen_time: String,
    /// When it was obtained, by the local clock.
    pub fetched_at: Timestamp,
}

/// Where tokens are kept.
///
/// Contract: a token is kept only for a checkpoint the store holds (same size and root), at
/// most one per checkpoint size and authority, and the first one kept is never replaced (the
/// earlier time is the stronger proof). `timestamp_put` is durable once it returns; reads see
/// every committed put. Tokens are never deleted.
pub trait TimestampStore: Send + Sync {
    /// Keeps `t`; `Ok(false)` (and no change) if a token from the same authority for the same
    /// size is kept already; `StoreError::Invalid` if no checkpoint with `t`'s size and root
    /// is stored.
    fn timestamp_put(&self, t: &StoredTimestamp) -> Result<bool, StoreError>;
    /// The tokens over the checkpoint of `size`, the first obtained first.
    fn timestamps_at(&self, size: u64) -> Result<Vec<StoredTimestamp>, StoreError>;
}

/// The text a checkpoint's token stamps: its signed note up to the blank line, final newline
/// included.
pub fn checkpoint_text(cp: &StoredCheckpoint) -> Result<&str, StoreError> {
    gawah_bundle::note_text(&cp.note).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "the checkpoint at size {} is not a signed note",
            cp.size
        ))
    })
}

/// Why a checkpoint could not be stamped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    /// The authority failed or answered wrongly; nothing was stored.
    #[error(transparent)]
    Tsa(#[from] TimestampError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The token from `client`'s authority over `cp`: the one kept already, or a new one,
/// obtained, checked and kept. Returns it and whether it is new. Nothing is stored unless the
/// authority granted a token over exactly `cp`'s text with our nonce.
pub fn stamp_checkpoint(
    store: &dyn TimestampStore,
    cp: &StoredCheckpoint,
    client: &TsaClient,
    now: Timestamp,
) -> Result<(StoredTimestamp, bool), StampError> {
    let kept = |store: &dyn TimestampStore| -> Result<Option<StoredTimestamp>, StoreError> {
        Ok(store
            .timestamps_at(cp.size)?
            .into_iter()
            .find(|t| t.tsa_url == client.url()))
    };
    if let Some(t) = kept(store)? {
        return Ok((t, false));
    }
    let text = checkpoint_text(cp)?;
    let stamped = client.stamp(text.as_bytes()).inspect_err(|e| {
        tracing::warn!(size = cp.size, tsa = client.url(), error = %e, "timestamp refused");
    })?;
    let t = StoredTimestamp {
        size: cp.size,
        root: cp.root,
        tsa_url: client.url().to_owned(),
        gen_time: stamped.parsed.info.gen_time.clone(),
        response: stamped.response,
        fetched_at: now,
    };
    if !store.timestamp_put(&t)? {
        // Another process kept one first: that one stands.
        let first = kept(store)?
            .ok_or_else(|| StoreError::Inconsistent("a kept timestamp disappeared".into()))?;
        return Ok((first, false));
    }
    tracing::info!(
        size = t.size,
        tsa = %t.tsa_url,
        gen_time = %t.gen_time,
        serial = %stamped.parsed.info.serial,
        "checkpoint timestamped"
    );
    Ok((t, true))
}
