//! The ledger: durable, logged operations over a [`Store`] and a [`BlobStore`].
//!
//! Life of an ingest, and what a crash at each step leaves:
//! 1. the content is streamed into the blob store while hashed; the blob is fsynced and put
//!    in place ([`Ledger::stage`]): a crash leaves at most an unreferenced blob;
//! 2. one transaction writes the item, its custody event and its log entry and moves the log
//!    head ([`Ledger::commit_staged`]): a crash before the commit leaves nothing of it;
//! 3. only then is the item acknowledged (returned to the caller);
//! 4. a checkpoint is signed for the new head ([`Ledger::checkpoint`]), in batches.

use std::io::{self, Read, Write};
use std::sync::Arc;

use gawah_core::{Action, Clock, Commitment, ItemId, LogEntry, Salt, Sha256Digest};
use gawah_log::{Checkpoint, NoteSigner};

use crate::blob::{BlobError, BlobStore};
use crate::error::StoreError;
use crate::store::{Change, LogHead, NewItem, RecordWrite, Store, StoredCheckpoint};

/// Copy buffer size: large enough for full disk throughput, small enough for constant memory.
const CHUNK: usize = 1 << 20;

/// What went wrong in a ledger operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// Reading the input failed.
    #[error("reading input: {0}")]
    Input(io::Error),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The record store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Randomness was unavailable.
    #[error(transparent)]
    Random(#[from] gawah_core::random::RandomError),
}

/// Who ingests, and what to record beside the content.
#[derive(Debug, Clone, Default)]
pub struct IngestMeta {
    /// The case reference, if any.
    pub case_ref: Option<String>,
    /// The original file name (final component).
    pub file_name: Option<String>,
}

/// A blob made durable but not yet recorded.
#[derive(Debug, Clone)]
pub struct Staged {
    item: NewItem,
}

/// An acknowledged ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestedItem {
    /// The new item.
    pub item: ItemId,
    /// SHA-256 of the original.
    pub sha256: Sha256Digest,
    /// Its size.
    pub bytes: u64,
    /// Index of its intake entry.
    pub log_index: u64,
}

/// Records, blobs, the signing key and the clock of one instance.
#[derive(Debug)]
pub struct Ledger {
    /// The record store.
    pub store: Box<dyn Store>,
    /// The blob store.
    pub blobs: Box<dyn BlobStore>,
    signer: NoteSigner,
    clock: Arc<dyn Clock>,
    actor: String,
}

impl Ledger {
    /// A ledger acting as `actor` (an id-like token such as `cli`).
    pub fn new(
        store: Box<dyn Store>,
        blobs: Box<dyn BlobStore>,
        signer: NoteSigner,
        clock: Arc<dyn Clock>,
        actor: &str,
    ) -> Self {
        Self {
            store,
            blobs,
            signer,
            clock,
            actor: actor.to_owned(),
        }
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The verifier key string.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier_key()
    }

    /// Step 1: streams `input` into a durable blob. `progress` sees the bytes copied so far.
    pub fn stage(
        &self,
        input: &mut dyn Read,
        meta: IngestMeta,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Staged, LedgerError> {
        let mut writer = self.blobs.create()?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LedgerError::Input(e)),
            };
            writer
                .write_all(&buf[..n])
                .map_err(|e| BlobError::io("write blob", e))?;
            progress(writer.written());
        }
        let receipt = writer.commit()?;
        Ok(Staged {
            item: NewItem {
                id: ItemId::random()?,
                sha256: receipt.sha256,
                bytes: receipt.bytes,
                salt: Salt::random()?,
                case_ref: meta.case_ref,
                file_name: meta.file_name,
            },
        })
    }

    /// Step 2: records staged blobs in one transaction. Returns once it is durable.
    pub fn commit_staged(&self, staged: Vec<Staged>) -> Result<Vec<IngestedItem>, LedgerError> {
        let time = self.clock.now();
        let changes: Vec<Change> = staged
            .into_iter()
            .map(|s| {
                let commitment = Commitment::new(&s.item.salt, &s.item.sha256);
                let entry = LogEntry::new(time, &self.actor, Action::Intake, s.item.id.as_str())
                    .with_commitment(commitment);
                Change {
                    record: RecordWrite::Item(s.item),
                    entry,
                }
            })
            .collect();
        let indexes = self.store.commit(&changes)?;
        Ok(changes
            .into_iter()
            .zip(indexes)
            .filter_map(|(c, log_index)| match c.record {
                RecordWrite::Item(i) => Some(IngestedItem {
                    item: i.id,
                    sha256: i.sha256,
                    bytes: i.bytes,
                    log_index,
                }),
                _ => None,
            })
            .collect())
    }

    /// Stages and commits one input.
    pub fn ingest(
        &self,
        input: &mut dyn Read,
        meta: IngestMeta,
        progress: &mut dyn FnMut(u64),
    ) -> Result<IngestedItem, LedgerError> {
        let staged = self.stage(input, meta, progress)?;
        let mut done = self.commit_staged(vec![staged])?;
        done.pop().ok_or_else(|| {
            LedgerError::Store(StoreError::Database("commit returned no item".into()))
        })
    }

    /// Logs an event that writes no record (a view, an export).
    pub fn log_event(&self, action: Action, subject: &str) -> Result<u64, LedgerError> {
        let entry = LogEntry::new(self.clock.now(), &self.actor, action, subject);
        let idx = self.store.commit(&[Change {
            record: RecordWrite::None,
            entry,
        }])?;
        idx.first().copied().ok_or_else(|| {
            LedgerError::Store(StoreError::Database("commit returned no index".into()))
        })
    }

    /// The signed checkpoint of the current head, signing one if the head has none yet.
    pub fn checkpoint(&self) -> Result<StoredCheckpoint, LedgerError> {
        let sign = |head: LogHead| {
            let text = Checkpoint {
                origin: self.signer.name().to_owned(),
                size: head.size,
                root: head.root,
                extensions: Vec::new(),
            }
            .to_text();
            self.signer
                .sign(&text)
                .map_err(|e| StoreError::Invalid(format!("signing checkpoint: {e}")))
        };
        Ok(self.store.checkpoint_head(&sign)?)
    }
}

impl Staged {
    /// Size of the staged content.
    pub fn bytes(&self) -> u64 {
        self.item.bytes
    }
}
