//! The ledger: durable, logged operations over a [`Store`] and a [`BlobStore`].
//!
//! Life of an ingest, and what a crash at each step leaves:
//! 1. the content is streamed into the blob store while hashed; the blob is fsynced and put
//!    in place ([`Ledger::stage`]): a crash leaves at most an unreferenced blob;
//! 2. one transaction writes the item, its custody event and its log entry and moves the log
//!    head ([`Ledger::commit_staged`]): a crash before the commit leaves nothing of it;
//! 3. only then is the item acknowledged (returned to the caller);
//! 4. a checkpoint is signed for the new head ([`Ledger::checkpoint`]), in batches.
//!
//! The batched form, for many files ([`Ledger::begin_batch`], [`Ledger::stage_into`],
//! [`Ledger::commit_batch`]) keeps the same order with one sync for many blobs:
//! 1. each input is streamed into a temp file of the blob batch while hashed, not yet synced:
//!    a crash leaves temp files only, never a named blob;
//! 2. [`Ledger::commit_batch`] first makes the whole batch's blobs durable and puts them in
//!    place ([`BlobBatch::commit`]: sync, link, sync): a crash leaves at most unreferenced,
//!    complete blobs;
//! 3. then one transaction records every item of the batch; a crash before it commits leaves
//!    none of them recorded;
//! 4. only then are the items returned, to be acknowledged.

use std::io::{self, Read, Write};
use std::sync::Arc;

use gawah_core::{Action, Clock, Commitment, ItemId, LogEntry, Salt, Sha256Digest};
use gawah_log::{Checkpoint, NoteSigner};

use crate::blob::{
    BatchWriter, BlobBatch, BlobError, BlobHash, BlobKey, BlobReceipt, BlobStore, BlobWriter,
};
use crate::error::StoreError;
use crate::keys::INSTANCE_SCOPE;
use crate::keys::{KeyError, Keyring};
use crate::sealed_blob::{SealFromError, SealedContent, SealingWriter, content_binding, seal_from};
use crate::store::{Change, Database, ItemMeta, LogHead, NewItem, RecordWrite, StoredCheckpoint};
use crate::vault::Vault;

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
    /// The operation needs the keys, and they were not unlocked.
    #[error(
        "this needs the keys: give the passphrase file (--passphrase-file or GAWAH_PASSPHRASE_FILE) or key file (--key-file or GAWAH_KEY_FILE)"
    )]
    Locked,
    /// A key could not be made or used.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// Who ingests, and what to record beside the content.
#[derive(Debug, Clone, Default)]
pub struct IngestMeta {
    /// The case reference, if any.
    pub case_ref: Option<String>,
    /// The original file name (final component).
    pub file_name: Option<String>,
    /// Confidential: the content is sealed as it is written, and its SHA-256 and salt are
    /// stored only sealed.
    pub confidential: bool,
}

/// An item's sealed metadata and data key, to store with it.
#[derive(Debug, Clone, Default)]
pub struct SealedMeta {
    /// [`ItemMeta`] sealed, bound to `items.sealed` of the item.
    pub sealed: Option<Vec<u8>>,
    /// The item's new data key.
    pub data_key: Option<crate::keys::DataKeyRow>,
}

/// A blob made durable but not yet recorded.
#[derive(Debug, Clone)]
pub struct Staged {
    item: NewItem,
    /// Further fields of its intake entry (tokens).
    fields: Vec<(String, String)>,
}

/// Inputs staged into one blob batch, not yet durable; made durable and recorded together
/// by [`Ledger::commit_batch`]. Dropping it discards its blobs.
#[derive(Debug)]
pub struct IngestBatch {
    blobs: Box<dyn BlobBatch>,
    staged: Vec<Staged>,
    bytes: u64,
    /// Further changes committed in the same transaction as the items.
    also: Vec<Change>,
}

impl IngestBatch {
    /// The inputs staged so far, in order.
    pub fn staged(&self) -> &[Staged] {
        &self.staged
    }

    /// Adds a field (a token, see `docs/LOG_ENTRIES.md`) to the intake entry of staged input
    /// `i`; ignored if there is no such input.
    pub fn annotate(&mut self, i: usize, key: &str, value: &str) {
        if let Some(s) = self.staged.get_mut(i) {
            s.fields.push((key.to_owned(), value.to_owned()));
        }
    }

    /// A further change to commit in the same transaction, after the items.
    pub fn also(&mut self, change: Change) {
        self.also.push(change);
    }

    /// Number of inputs staged.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// Total bytes staged.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
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
    /// The database.
    pub store: Arc<dyn Database>,
    /// The blob store.
    pub blobs: Box<dyn BlobStore>,
    signer: NoteSigner,
    clock: Arc<dyn Clock>,
    actor: String,
    keys: Option<Arc<Keyring>>,
}

impl Ledger {
    /// A ledger acting as `actor` (an id-like token such as `cli`).
    pub fn new(
        store: Arc<dyn Database>,
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
            keys: None,
        }
    }

    /// This ledger with an unlocked keyring, for operations on confidential data.
    pub fn with_keys(mut self, keys: Arc<Keyring>) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The unlocked keyring; an error if the ledger was opened without keys.
    pub fn keys(&self) -> Result<&Keyring, LedgerError> {
        self.keys.as_deref().ok_or(LedgerError::Locked)
    }

    /// The keyring with the store its keys are in; an error if the ledger is locked.
    pub fn vault(&self) -> Result<crate::vault::Vault<'_>, LedgerError> {
        Ok(crate::vault::Vault {
            keys: self.keys()?,
            store: self.store.as_key_store(),
        })
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
        if meta.confidential {
            let (id, salt) = self.new_ids()?;
            let key = self.vault()?.record_key(INSTANCE_SCOPE, id.as_str(), 1)?;
            let inner = self.blobs.create_with(BlobHash::Blake3)?;
            let content = seal_from(input, inner, id, salt, key, progress).map_err(seal_err)?;
            let (content, blob) = content.commit()?;
            let item = self.sealed_item(content, blob, &meta)?;
            return Ok(Staged {
                item,
                fields: Vec::new(),
            });
        }
        let (id, salt) = self.new_ids()?;
        let sealed = self.seal_meta(INSTANCE_SCOPE, &id, &meta)?;
        let mut writer = self.blobs.create()?;
        copy(input, &mut writer, progress)?;
        let receipt = writer.commit()?;
        Ok(Staged::new(id, salt, &receipt, meta, sealed)?)
    }

    /// The new item `id`'s data key in `scope` and its confidential metadata sealed under
    /// it. Needs the keys unless there is no metadata to seal.
    pub fn seal_meta(
        &self,
        scope: &str,
        id: &ItemId,
        meta: &IngestMeta,
    ) -> Result<SealedMeta, LedgerError> {
        if meta.file_name.is_none() && self.keys.is_none() {
            return Ok(SealedMeta::default());
        }
        let vault = self.vault()?;
        let key = vault.record_key(scope, id.as_str(), 1)?;
        let item_meta = ItemMeta {
            file_name: meta.file_name.clone(),
            ..ItemMeta::default()
        };
        let sealed = Vault::seal_json(&key.key, "items", "sealed", id.as_str(), &item_meta)?;
        Ok(SealedMeta {
            sealed: Some(sealed),
            data_key: key.new,
        })
    }

    /// The original bytes of an item, streamed (opened with the item's data key if the file
    /// is sealed). The caller logs the read when a person will see them.
    pub fn open_content(
        &self,
        item: &crate::store::ItemRecord,
    ) -> Result<Box<dyn Read + Send>, LedgerError> {
        let blob = self.blobs.open(&item.blob)?;
        if !item.blob_sealed() {
            return Ok(blob);
        }
        let key = self.vault()?.key(item.id.as_str())?;
        let reader =
            gawah_core::seal::SealReader::new(blob, &key, content_binding(item.id.as_str()))
                .map_err(|e| BlobError::io(format!("open sealed {}", item.id), e))?;
        Ok(Box::new(reader))
    }

    /// Starts sealing the content of a new item of `scope` into a new blob: the way every
    /// upload and every confidential ingest is stored.
    pub fn create_sealed(
        &self,
        scope: &str,
    ) -> Result<SealingWriter<Box<dyn crate::blob::BlobWriter>>, LedgerError> {
        let (id, salt) = self.new_ids()?;
        let key = self.vault()?.record_key(scope, id.as_str(), 1)?;
        let writer = self.blobs.create_with(BlobHash::Blake3)?;
        SealingWriter::new(writer, id, salt, key)
            .map_err(|e| LedgerError::Blob(BlobError::io("seal", e)))
    }

    fn confidential_meta(&self, meta: &IngestMeta, sha256: &Sha256Digest, salt: &Salt) -> ItemMeta {
        ItemMeta {
            file_name: meta.file_name.clone(),
            sha256: meta.confidential.then(|| sha256.to_hex()),
            salt: meta.confidential.then(|| salt.to_hex()),
        }
    }

    /// The record of sealed content made durable at `blob`: its metadata (and, if
    /// confidential, its SHA-256 and salt) sealed under its data key.
    pub fn sealed_item(
        &self,
        content: SealedContent<()>,
        blob: BlobKey,
        meta: &IngestMeta,
    ) -> Result<NewItem, LedgerError> {
        let item_meta = self.confidential_meta(meta, &content.sha256, &content.salt);
        let sealed = Vault::seal_json(
            &content.key.key,
            "items",
            "sealed",
            content.id.as_str(),
            &item_meta,
        )?;
        Ok(NewItem {
            id: content.id,
            sha256: content.sha256,
            bytes: content.bytes,
            salt: content.salt,
            case_ref: meta.case_ref.clone(),
            sealed: Some(sealed),
            data_key: content.key.new,
            blob: Some(blob),
            confidential: meta.confidential,
        })
    }

    /// Opens an item's confidential metadata. The caller logs the read.
    pub fn open_meta(&self, item: &crate::store::ItemRecord) -> Result<ItemMeta, LedgerError> {
        match &item.sealed {
            Some(sealed) => {
                Ok(self
                    .vault()?
                    .open_json("items", "sealed", item.id.as_str(), sealed)?)
            }
            None => Ok(ItemMeta {
                file_name: item.file_name.clone(),
                ..ItemMeta::default()
            }),
        }
    }

    /// The id and commitment salt of a new item (made before its blob is finished, so that
    /// nothing can fail between the two).
    fn new_ids(&self) -> Result<(ItemId, Salt), LedgerError> {
        Ok((ItemId::at(self.clock.now())?, Salt::random()?))
    }

    /// Starts a batch of inputs to be made durable and recorded together.
    pub fn begin_batch(&self) -> Result<IngestBatch, LedgerError> {
        Ok(IngestBatch {
            blobs: self.blobs.batch()?,
            staged: Vec::new(),
            bytes: 0,
            also: Vec::new(),
        })
    }

    /// Batched step 1: streams `input` into `batch` (not yet durable). On an error nothing
    /// of this input stays in the batch. `progress` sees the bytes copied so far.
    pub fn stage_into(
        &self,
        batch: &mut IngestBatch,
        input: &mut dyn Read,
        meta: IngestMeta,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), LedgerError> {
        if meta.confidential {
            let (id, salt) = self.new_ids()?;
            let key = self.vault()?.record_key(INSTANCE_SCOPE, id.as_str(), 1)?;
            let inner = batch.blobs.create_with(BlobHash::Blake3)?;
            let content = seal_from(input, inner, id, salt, key, progress).map_err(seal_err)?;
            let SealedContent {
                writer: inner,
                id,
                salt,
                key,
                sha256,
                bytes,
            } = content;
            // As below: nothing after `finish` can fail.
            let item_meta = self.confidential_meta(&meta, &sha256, &salt);
            let sealed = Vault::seal_json(&key.key, "items", "sealed", id.as_str(), &item_meta)?;
            let receipt = inner.finish()?;
            batch.bytes += bytes;
            batch.staged.push(Staged {
                item: NewItem {
                    id,
                    sha256,
                    bytes,
                    salt,
                    case_ref: meta.case_ref,
                    sealed: Some(sealed),
                    data_key: key.new,
                    blob: Some(receipt.key),
                    confidential: true,
                },
                fields: Vec::new(),
            });
            return Ok(());
        }
        let (id, salt) = self.new_ids()?;
        let sealed = self.seal_meta(INSTANCE_SCOPE, &id, &meta)?;
        let mut writer = batch.blobs.create()?;
        copy(input, &mut writer, progress)?;
        // `finish` adds the blob to the blob batch; nothing after it can fail, so the blob
        // batch and the staged items stay in step.
        let receipt = writer.finish()?;
        batch.bytes += receipt.bytes;
        // A batch writer created for SHA-256 answers with one: this cannot fail.
        batch
            .staged
            .push(Staged::new(id, salt, &receipt, meta, sealed)?);
        Ok(())
    }

    /// Batched steps 2 and 3: makes every blob of `batch` durable and in place, and only then
    /// records them all in one transaction. Returns (in staging order) once that is durable.
    pub fn commit_batch(&self, batch: IngestBatch) -> Result<Vec<IngestedItem>, LedgerError> {
        let IngestBatch {
            blobs,
            staged,
            also,
            ..
        } = batch;
        let receipts = blobs.commit()?;
        // Every blob is durable under its key from here on.
        if receipts.len() != staged.len()
            || receipts.iter().zip(&staged).any(|(r, s)| {
                let (key, bytes) = match s.item.blob {
                    Some(blob) => (blob, gawah_core::seal::stream::sealed_len(s.item.bytes)),
                    None => (BlobKey::from(s.item.sha256), s.item.bytes),
                };
                r.key != key || r.bytes != bytes
            })
        {
            return Err(LedgerError::Blob(BlobError::io(
                "blob batch",
                io::Error::other("the blob batch does not match the staged items"),
            )));
        }
        self.commit_staged_with(staged, also)
    }

    /// Step 2: records staged blobs in one transaction. Returns once it is durable.
    pub fn commit_staged(&self, staged: Vec<Staged>) -> Result<Vec<IngestedItem>, LedgerError> {
        self.commit_staged_with(staged, Vec::new())
    }

    /// Step 2 with further changes in the same transaction.
    fn commit_staged_with(
        &self,
        staged: Vec<Staged>,
        also: Vec<Change>,
    ) -> Result<Vec<IngestedItem>, LedgerError> {
        let time = self.clock.now();
        let mut changes: Vec<Change> = staged
            .into_iter()
            .map(|s| {
                let commitment = Commitment::new(&s.item.salt, &s.item.sha256);
                let mut entry =
                    LogEntry::new(time, &self.actor, Action::Intake, s.item.id.as_str())
                        .with_commitment(commitment);
                for (k, v) in &s.fields {
                    entry = entry.with_field(k, v);
                }
                Change {
                    record: RecordWrite::Item(s.item),
                    entry,
                }
            })
            .collect();
        changes.extend(also);
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

    /// The actor this ledger records.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The signer of checkpoints.
    pub fn signer(&self) -> &NoteSigner {
        &self.signer
    }

    /// Commits changes as `actor`, each entry stamped now.
    pub fn commit(&self, changes: &[Change]) -> Result<Vec<u64>, LedgerError> {
        Ok(self.store.commit(changes)?)
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

/// Copies `input` into `out` in chunks, telling `progress` the bytes copied so far. The
/// chunk buffer is kept per thread: zeroing a fresh megabyte for every small file would cost
/// more than the file.
fn copy<W: Write + ?Sized + Written>(
    input: &mut dyn Read,
    out: &mut W,
    progress: &mut dyn FnMut(u64),
) -> Result<(), LedgerError> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|cell| {
        // A re-entrant use (not done here) gets its own buffer rather than a panic.
        let mut own = Vec::new();
        let mut guard = cell.try_borrow_mut();
        let buf = match guard.as_deref_mut() {
            Ok(b) => b,
            Err(_) => &mut own,
        };
        buf.resize(CHUNK, 0);
        loop {
            let n = match input.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LedgerError::Input(e)),
            };
            out.write_all(&buf[..n])
                .map_err(|e| BlobError::io("write blob", e))?;
            progress(out.written());
        }
    })
}

fn seal_err(e: SealFromError) -> LedgerError {
    match e {
        SealFromError::Input(e) => LedgerError::Input(e),
        SealFromError::Output(e) => LedgerError::Blob(BlobError::io("seal", e)),
    }
}

/// Bytes written so far, for progress.
trait Written {
    fn written(&self) -> u64;
}

impl Written for Box<dyn BlobWriter> {
    fn written(&self) -> u64 {
        self.as_ref().written()
    }
}

impl<W: Write> Written for SealingWriter<W> {
    fn written(&self) -> u64 {
        SealingWriter::written(self)
    }
}

impl Written for Box<dyn BatchWriter + '_> {
    fn written(&self) -> u64 {
        self.as_ref().written()
    }
}

impl Staged {
    /// The staged plain item stored by `receipt` (a blob addressed by SHA-256).
    fn new(
        id: ItemId,
        salt: Salt,
        receipt: &BlobReceipt,
        meta: IngestMeta,
        sealed: SealedMeta,
    ) -> Result<Self, BlobError> {
        Ok(Self {
            item: NewItem {
                id,
                sha256: receipt.sha256()?,
                bytes: receipt.bytes,
                salt,
                case_ref: meta.case_ref,
                sealed: sealed.sealed,
                data_key: sealed.data_key,
                blob: None,
                confidential: false,
            },
            fields: Vec::new(),
        })
    }

    /// The new item's id.
    pub fn id(&self) -> &ItemId {
        &self.item.id
    }

    /// SHA-256 of the staged content.
    pub fn sha256(&self) -> Sha256Digest {
        self.item.sha256
    }

    /// Size of the staged content.
    pub fn bytes(&self) -> u64 {
        self.item.bytes
    }
}
