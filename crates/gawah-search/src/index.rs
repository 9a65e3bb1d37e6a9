//! [`SearchIndex`]: opening (with schema versioning), and the two write paths.
//!
//! Concurrency: any number of processes may open the same folder and search it; each sees
//! another's commits within about half a second (tantivy watches `meta.json`) and its own at
//! once. One writer at a time holds tantivy's lock file; a writer in another process (or another
//! `SearchIndex` on the same folder) makes [`SearchIndex::upsert`] and
//! [`SearchIndex::rebuild`] fail fast with [`SearchError::Busy`]. Writers of one `SearchIndex`
//! wait for each other.
//!
//! Durability: a commit is on disk when `upsert` or `rebuild` returns; its payload is the
//! watermark, so the watermark never runs ahead of the documents it covers.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::directory::{Directory, INDEX_WRITER_LOCK, META_LOCK, MmapDirectory};
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analyze::{GawahTokenizer, TOKENIZER_NAME};
use crate::schema::{Fields, SCHEMA_VERSION, document, key, schema};
use crate::{IncidentDoc, SearchError};

/// The file recording the schema version of the index in a folder.
const VERSION_FILE: &str = "gawah-search-version";
/// Writer heap for upserts: tantivy's minimum, as upserts are small.
const UPSERT_HEAP: usize = 15_000_000;
/// Writer heap per indexing thread for rebuilds: fewer, larger segments.
const REBUILD_HEAP_PER_THREAD: usize = 400_000_000;

/// A search index over incidents. `Send + Sync`; share it in an `Arc`.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    /// The folder, or `None` in memory.
    dir: Option<PathBuf>,
    /// Serialises this value's writers, so they wait for each other instead of failing `Busy`.
    writing: Mutex<()>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Open the index in `dir`, creating the folder and the index if missing. If the folder
    /// holds an index of another schema version it is wiped and recreated empty (the caller
    /// then rebuilds it; check [`SearchIndex::watermark`], which is 0). A folder holding
    /// anything else is refused with [`SearchError::NotAnIndex`].
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let (schema, fields) = schema();
        let index = match open_current(dir, &schema)? {
            Some(index) => index,
            None => recreate(dir, schema)?,
        };
        Self::from_index(index, fields, Some(dir.to_owned()))
    }

    /// An empty index in memory, for tests and one-off use.
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()?;
        Self::from_index(index, fields, None)
    }

    fn from_index(
        mut index: Index,
        fields: Fields,
        dir: Option<PathBuf>,
    ) -> Result<Self, SearchError> {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, GawahTokenizer::default());
        index.set_multithread_executor(threads())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            dir,
            writing: Mutex::new(()),
        })
    }

    /// The highest watermark committed so far; 0 for a new or wiped index.
    pub fn watermark(&self) -> Result<u64, SearchError> {
        match self.index.load_metas()?.payload {
            None => Ok(0),
            Some(payload) => payload
                .parse()
                .map_err(|_| SearchError::BadPayload { payload }),
        }
    }

    /// Replace (or add) `docs`, matched by organisation and id, in one commit whose watermark
    /// is the larger of `watermark` and the current one. The next search sees them.
    pub fn upsert(&self, docs: Vec<IncidentDoc>, watermark: u64) -> Result<(), SearchError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let writer: IndexWriter<TantivyDocument> =
            self.index.writer_with_num_threads(1, UPSERT_HEAP)?;
        // Read under the writer lock, so no other process commits in between.
        let watermark = watermark.max(self.watermark()?);
        for doc in &docs {
            let key = key(&doc.org, &doc.id);
            writer.delete_term(Term::from_field_text(self.fields.key, &key));
            writer.add_document(document(&self.fields, doc))?;
        }
        self.commit(writer, watermark)
    }

    /// Replace the whole index with `docs`, in one commit with `watermark`; returns how many
    /// were indexed. Uses every core and a large writer heap.
    pub fn rebuild(
        &self,
        docs: impl Iterator<Item = IncidentDoc>,
        watermark: u64,
    ) -> Result<u64, SearchError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let threads = threads();
        let writer: IndexWriter<TantivyDocument> = self
            .index
            .writer_with_num_threads(threads, threads * REBUILD_HEAP_PER_THREAD)?;
        writer.delete_all_documents()?;
        let mut count = 0;
        for doc in docs {
            writer.add_document(document(&self.fields, &doc))?;
            count += 1;
        }
        self.commit(writer, watermark)?;
        Ok(count)
    }

    /// Commit with the watermark as payload, let merges finish (releasing the lock), reload.
    fn commit(
        &self,
        mut writer: IndexWriter<TantivyDocument>,
        watermark: u64,
    ) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&watermark.to_string());
        prepared.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }
}

/// Searching and indexing threads: one per core, at most 8 (tantivy's limit for writers).
fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(8)
}

/// The index in `dir` if it is of this schema version; `None` if there is none or it is old.
fn open_current(dir: &Path, schema: &Schema) -> Result<Option<Index>, SearchError> {
    let version = match fs::read_to_string(dir.join(VERSION_FILE)) {
        Ok(text) => text.trim().parse::<u32>().ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(dir)(e)),
    };
    if version != Some(SCHEMA_VERSION) || !dir.join("meta.json").exists() {
        return Ok(None);
    }
    let index = Index::open_in_dir(dir)?;
    Ok((index.schema() == *schema).then_some(index))
}

/// Create an empty index in `dir`, first wiping an old index there (under the writer lock).
fn recreate(dir: &Path, schema: Schema) -> Result<Index, SearchError> {
    let ours = [VERSION_FILE, "meta.json"]
        .iter()
        .any(|name| dir.join(name).exists());
    let empty = fs::read_dir(dir).map_err(io_error(dir))?.next().is_none();
    if !ours && !empty {
        return Err(SearchError::NotAnIndex {
            path: dir.to_owned(),
        });
    }
    let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.into()))?;
    // Held until the new index exists, so no other process writes into a half-wiped folder.
    let _lock = directory
        .acquire_lock(&INDEX_WRITER_LOCK)
        .map_err(|_| SearchError::Busy)?;
    wipe(dir)?;
    let index = Index::builder()
        .schema(schema)
        .settings(settings())
        .create_in_dir(dir)?;
    let version_file = dir.join(VERSION_FILE);
    let temporary = dir.join(format!("{VERSION_FILE}.tmp"));
    fs::write(&temporary, SCHEMA_VERSION.to_string()).map_err(io_error(&temporary))?;
    fs::rename(&temporary, &version_file).map_err(io_error(&version_file))?;
    Ok(index)
}

/// The index's settings: stored fields are not compressed, so that a scan of the raw files for
/// a confidential value (the canary tests) sees every stored byte as it is; a compressed store
/// could split a value across compression blocks and hide it from the scan.
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::None,
        ..Default::default()
    }
}

/// Remove everything in `dir` except tantivy's lock files, which other processes may hold.
fn wipe(dir: &Path) -> Result<(), SearchError> {
    let locks = [
        INDEX_WRITER_LOCK.filepath.as_path(),
        META_LOCK.filepath.as_path(),
    ];
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if locks
            .iter()
            .any(|lock| path.file_name() == lock.file_name())
        {
            continue;
        }
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(io_error(&path))?;
    }
    Ok(())
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: path.to_owned(),
        source,
    }
}
