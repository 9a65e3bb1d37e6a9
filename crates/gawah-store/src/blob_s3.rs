//! The S3-compatible blob store: `s3://<bucket>/<prefix>/blobs/<key>`, where `<key>` is the
//! blob's [`BlobKey`] as text (the SHA-256 hex of an original, `blake3-<hex>` of a sealed
//! blob).
//!
//! # Synchronous trait, asynchronous client
//! [`BlobStore`] is synchronous and is called both from plain threads (the CLI) and from
//! blocking threads of the web server's tokio runtime. The S3 client (`object_store`) is
//! asynchronous. Blocking on a runtime from inside another one panics, so the store owns a
//! small runtime of its own: each request is spawned onto it and the caller waits for the
//! answer on a std channel, which is safe from any thread. The runtime is shut down in the
//! background when the last handle goes, so dropping a store inside async code is safe too.
//!
//! # Durability order of a write ([`BlobStore::create`], [`BlobWriter::commit`])
//! 1. bytes are spooled to an already unlinked local temp file while hashed (constant
//!    memory; a crash leaves nothing, the file has no name);
//! 2. the key is asked for (`HEAD`): if it exists, the stored blob is kept and the copy
//!    discarded (same key, same bytes: immutability);
//! 3. otherwise the spool is uploaded: one `PUT` up to [`PART`] bytes, a multipart upload of
//!    [`PART`]-sized parts above. S3 makes an object visible only when its `PUT` or
//!    `CompleteMultipartUpload` succeeds, and every request's body is signed with its
//!    SHA-256 (SigV4 `x-amz-content-sha256`), which the server checks. A crash or an error
//!    before that leaves nothing under the key (an aborted multipart upload's parts are
//!    invisible and removed by the abort or the bucket's lifecycle);
//! 4. `commit` returns only after that success: durability is the server's acknowledgement.
//!
//! # Why no conditional write
//! `If-None-Match: *` would make step 3 create-only, but not every S3-compatible server
//! honours it (Garage ignores it), and nothing needs it: the key is the hash of the
//! bytes, so two writers racing on one key upload identical bytes, and whichever `PUT`
//! lands last leaves the same blob. The HEAD of step 2 only saves the upload. The log head
//! is never kept in S3 (it lives in the database), so no write here needs to be atomic
//! against another.
//!
//! # Batches
//! Each blob of a batch is spooled like a single write; [`BlobBatch::commit`] uploads them
//! one after the other. An error part-way leaves some blobs in place, complete and
//! unreferenced, the rest nowhere, as the contract allows.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, ObjectStore, PutMultipartOptions, PutOptions,
    RetryConfig,
};

use crate::blob::{BlobBatch, BlobError, BlobHash, BlobKey, BlobReceipt, BlobStore, BlobWriter};
use crate::blob_config::S3Settings;

mod stream;
use stream::{S3Batch, S3Reader, S3Writer};

/// Largest blob sent in one `PUT`, and the part size of larger ones. At most
/// [`PARTS_IN_FLIGHT`] parts are in memory at once, whatever the blob's size.
pub const PART: usize = 16 << 20;
/// Parts uploaded at the same time.
const PARTS_IN_FLIGHT: usize = 2;
/// Bytes asked for by one ranged `GET` while reading; the next range is fetched while the
/// caller reads this one.
const READ_CHUNK: u64 = 8 << 20;

/// Blobs in an S3-compatible bucket.
#[derive(Clone)]
pub struct S3BlobStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Arc<dyn ObjectStore>,
    /// `None` once dropped; shut down in the background (see the module doc).
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    /// `<prefix>/blobs`.
    blobs: ObjectPath,
    /// Where writes are spooled (unlinked files only).
    spool: PathBuf,
    /// `s3://bucket/prefix`, for messages.
    name: String,
}

impl fmt::Debug for S3BlobStore {
    // By hand: the client's own Debug would print the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("url", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl S3BlobStore {
    /// Opens the store described by `settings`, spooling writes under `spool` (created
    /// 0700 by the first write). Makes no request and writes nothing:
    /// [`S3BlobStore::check_access`] reaches the bucket.
    pub fn open(settings: &S3Settings, spool: &Path) -> Result<Self, BlobError> {
        // TLS through rustls on ring, the workspace's one crypto stack; set once per process
        // (an error only means a provider is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let name = settings.url.to_string();
        let client = build_client(settings)
            .map_err(|e| BlobError::Config(format!("S3 client for {name}: {}", error_chain(&e))))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gawah-s3")
            .enable_all()
            .build()
            .map_err(|e| BlobError::io("start the S3 client runtime", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client: Arc::new(client),
                handle: runtime.handle().clone(),
                runtime: Some(runtime),
                blobs: settings.url.blobs_path(),
                spool: spool.to_owned(),
                name,
            }),
        })
    }

    /// Lists the first page of the store's keys: fails if the bucket is missing, the
    /// endpoint unreachable or the credentials refused. `gawah init` calls it before it
    /// records the store.
    pub fn check_access(&self) -> Result<(), BlobError> {
        let client = Arc::clone(&self.inner.client);
        let prefix = self.inner.blobs.clone();
        let first = self.inner.run(async move {
            client
                .list(Some(&prefix))
                .next()
                .await
                .transpose()
                .map(|_| ())
        });
        first?.map_err(|e| s3_error(format!("list {}", self.inner.name), e))
    }
}

fn build_client(settings: &S3Settings) -> object_store::Result<object_store::aws::AmazonS3> {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        // A few quick retries for a hiccup; an outage is reported within seconds, as an
        // `Unavailable` error the caller may retry, rather than hanging a request.
        max_retries: 4,
        retry_timeout: Duration::from_secs(30),
    };
    let options = ClientOptions::new()
        .with_allow_http(settings.allow_http)
        .with_connect_timeout(Duration::from_secs(5))
        // A part is 16 MiB; on a slow field link that takes minutes.
        .with_timeout(Duration::from_secs(600));
    let creds = &settings.credentials;
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&settings.url.bucket)
        .with_region(&settings.region)
        .with_access_key_id(&creds.access_key_id)
        .with_secret_access_key(creds.secret_access_key.as_str())
        .with_allow_http(settings.allow_http)
        .with_retry(retry)
        .with_client_options(options);
    if let Some(token) = &creds.session_token {
        builder = builder.with_token(token.as_str());
    }
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    builder.build()
}

impl Inner {
    fn path_of(&self, key: &BlobKey) -> ObjectPath {
        self.blobs.clone().join(key.to_string())
    }

    fn describe(&self, key: &BlobKey) -> String {
        format!("{}/blobs/{key}", self.name)
    }

    /// Runs `fut` on the store's runtime; the caller's thread waits on a std channel.
    fn spawn<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Receiver<T> {
        let (tx, rx) = sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx
    }

    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, BlobError> {
        wait(self.spawn(fut))
    }

    /// The size of the object under `key`, `None` if there is none.
    fn head(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        let client = Arc::clone(&self.client);
        let path = self.path_of(key);
        let answer = self.run(async move {
            let options = GetOptions::new().with_head(true);
            client.get_opts(&path, options).await.map(|r| r.meta.size)
        })?;
        match answer {
            Ok(size) => Ok(Some(size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(s3_error(format!("head {}", self.describe(key)), e)),
        }
    }

    /// Steps 2 to 4 of a write: keeps an existing blob, else uploads the spool.
    fn put_blob(&self, spool: File, receipt: &BlobReceipt) -> Result<(), BlobError> {
        if self.head(&receipt.key)?.is_some() {
            return Ok(());
        }
        if receipt.bytes <= PART as u64 {
            self.put_single(spool, &receipt.key, receipt.bytes)
        } else {
            self.put_multipart(spool, &receipt.key)
        }
    }

    fn put_single(&self, mut spool: File, key: &BlobKey, len: u64) -> Result<(), BlobError> {
        let what = format!("upload {}", self.describe(key));
        let bytes = read_part(&mut spool, len).map_err(|e| BlobError::io(&what, e))?;
        let client = Arc::clone(&self.client);
        let path = self.path_of(key);
        self.run(async move {
            client
                .put_opts(&path, bytes.into(), PutOptions::default())
                .await
        })?
        .map(|_| ())
        .map_err(|e| s3_error(what, e))
    }

    fn put_multipart(&self, mut spool: File, key: &BlobKey) -> Result<(), BlobError> {
        let what = format!("upload {}", self.describe(key));
        let client = Arc::clone(&self.client);
        let path = self.path_of(key);
        let mut upload = self
            .run(async move {
                let options = PutMultipartOptions::default();
                client.put_multipart_opts(&path, options).await
            })?
            .map_err(|e| s3_error(format!("start {what}"), e))?;
        let mut in_flight = VecDeque::new();
        let result = (|| {
            loop {
                let part =
                    read_part(&mut spool, PART as u64).map_err(|e| BlobError::io(&what, e))?;
                if part.is_empty() {
                    break;
                }
                in_flight.push_back(self.spawn(upload.put_part(part.into())));
                if in_flight.len() >= PARTS_IN_FLIGHT {
                    wait_part(&mut in_flight, &what)?;
                }
            }
            while !in_flight.is_empty() {
                wait_part(&mut in_flight, &what)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            // Best effort: the parts are invisible either way; the abort frees them.
            let _ = self.run(async move { upload.abort().await });
            return Err(e);
        }
        self.run(async move { upload.complete().await })?
            .map(|_| ())
            .map_err(|e| s3_error(format!("complete {what}"), e))
    }
}

fn wait<T>(rx: Receiver<T>) -> Result<T, BlobError> {
    rx.recv().map_err(|_| {
        BlobError::io(
            "S3 request",
            io::Error::other("the S3 client stopped before answering"),
        )
    })
}

fn wait_part(
    in_flight: &mut VecDeque<Receiver<object_store::Result<()>>>,
    what: &str,
) -> Result<(), BlobError> {
    match in_flight.pop_front() {
        Some(rx) => wait(rx)?.map_err(|e| s3_error(format!("part of {what}"), e)),
        None => Ok(()),
    }
}

/// Reads up to [`PART`] bytes, expecting `hint` (the buffer's first size); empty at the end
/// of the file.
fn read_part(file: &mut File, hint: u64) -> io::Result<Vec<u8>> {
    let mut part = Vec::with_capacity(hint.min(PART as u64) as usize);
    Read::by_ref(file)
        .take(PART as u64)
        .read_to_end(&mut part)?;
    Ok(part)
}

/// Maps a client error: an unreachable or silent server is [`BlobError::Unavailable`]
/// (retryable); an answer that refuses the request is [`BlobError::Io`]. Server errors
/// (5xx) were already retried by the client before it gave up, so they count as answers.
fn s3_error(context: String, e: object_store::Error) -> BlobError {
    let source = io::Error::other(error_chain(&e));
    if unreachable(&e) {
        BlobError::Unavailable { context, source }
    } else {
        BlobError::Io { context, source }
    }
}

fn unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(http) = err.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect
                    | HttpErrorKind::Request
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
            );
        }
        cur = err.source();
    }
    false
}

/// The error and its causes on one line (the client's top-level message omits the cause,
/// e.g. "connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let more = err.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cur = err.source();
    }
    text
}

impl BlobStore for S3BlobStore {
    fn create_with(&self, hash: BlobHash) -> Result<Box<dyn BlobWriter>, BlobError> {
        Ok(Box::new(S3Writer::new(Arc::clone(&self.inner), hash)?))
    }

    fn batch(&self) -> Result<Box<dyn BlobBatch>, BlobError> {
        Ok(Box::new(S3Batch::new(Arc::clone(&self.inner))))
    }

    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send>, BlobError> {
        let size = self.inner.head(key)?.ok_or(BlobError::NotFound(*key))?;
        Ok(Box::new(S3Reader::new(
            Arc::clone(&self.inner),
            self.inner.path_of(key),
            size,
        )))
    }

    fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        self.inner.head(key)
    }

    fn keys(&self) -> Result<Vec<BlobKey>, BlobError> {
        let client = Arc::clone(&self.inner.client);
        let prefix = self.inner.blobs.clone();
        let listed = self.inner.run(async move {
            client
                .list(Some(&prefix))
                .map_ok(|meta| meta.location)
                .try_collect::<Vec<_>>()
                .await
        })?;
        let listed = listed.map_err(|e| s3_error(format!("list {}", self.inner.name), e))?;
        let mut keys: Vec<BlobKey> = listed
            .iter()
            .filter_map(|location| {
                // Only `<prefix>/blobs/<key>`: anything else in the bucket is not a blob.
                let mut rest = location.prefix_match(&self.inner.blobs)?;
                let name = rest.next()?;
                if rest.next().is_some() {
                    return None;
                }
                name.as_ref().parse().ok()
            })
            .collect();
        keys.sort();
        Ok(keys)
    }
}
