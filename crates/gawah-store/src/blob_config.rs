//! Where blobs are kept: the data dir's own folder (the default), another local folder, or
//! an S3-compatible bucket.
//!
//! `gawah init --blob-url URL` (or `GAWAH_BLOB_URL`) records the location in `gawah.toml`
//! as a `[blob]` table: the URL, and for S3 the endpoint, region and whether plain HTTP is
//! allowed, taken from the standard `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`), `AWS_REGION`
//! and `AWS_ALLOW_HTTP` at init. Secrets are never recorded: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) are read from the environment each time
//! the store is opened.
//!
//! Precedence: the recorded table, then the `AWS_*` variables of the moment (an endpoint
//! that moved, a region). The URL itself is fixed at init: a `GAWAH_BLOB_URL` that names
//! another location is refused rather than silently writing blobs somewhere the records
//! do not expect them.

use std::fmt;
use std::path::{Path, PathBuf};

use object_store::path::Path as ObjectPath;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::blob::{BlobError, BlobStore};
use crate::blob_local::LocalBlobStore;
use crate::blob_s3::S3BlobStore;

/// The environment variable naming the blob store at `gawah init`.
pub const BLOB_URL_ENV: &str = "GAWAH_BLOB_URL";

/// The `[blob]` table of `gawah.toml`: a location, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobConfig {
    /// `s3://bucket[/prefix]`, or an absolute local path.
    pub url: String,
    /// The S3 endpoint, e.g. `http://127.0.0.1:3900`; absent for AWS itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The S3 region (`us-east-1` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Whether plain HTTP to the endpoint is allowed (loopback or a private network only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_http: bool,
}

/// A parsed blob location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A folder on the local file system.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Url),
}

/// `s3://bucket[/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// Segments joined by `/`, without leading or trailing `/`; may be empty.
    pub prefix: String,
}

impl S3Url {
    /// Where blobs live: `<prefix>/blobs`.
    pub fn blobs_path(&self) -> ObjectPath {
        let base = ObjectPath::from(self.prefix.as_str());
        base.join("blobs")
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

impl BlobLocation {
    /// Parses `s3://bucket[/prefix]` or an absolute local path (`file://` allowed).
    pub fn parse(url: &str) -> Result<Self, BlobError> {
        let bad = |why: &str| BlobError::Config(format!("blob URL {url:?}: {why}"));
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !valid_bucket(bucket) {
                return Err(bad(
                    "the bucket must be 3 to 63 lowercase letters, digits, '.' or '-'",
                ));
            }
            let prefix = prefix.trim_end_matches('/');
            if !prefix.is_empty() && !prefix.split('/').all(valid_segment) {
                return Err(bad(
                    "prefix segments may hold only letters, digits, '.', '_' and '-' (not '.' or '..' alone)",
                ));
            }
            return Ok(Self::S3(S3Url {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            }));
        }
        let path = Path::new(url.strip_prefix("file://").unwrap_or(url));
        if url.contains("://") && !url.starts_with("file://") {
            return Err(bad("only s3:// URLs and local paths are supported"));
        }
        if !path.is_absolute() {
            return Err(bad("a local blob folder must be an absolute path"));
        }
        Ok(Self::Local(path.to_owned()))
    }
}

fn valid_bucket(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && !b.starts_with(['.', '-'])
        && !b.ends_with(['.', '-'])
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// S3 access keys, from the environment only. `Debug` shows the key id, never the secret.
#[derive(Clone)]
pub struct S3Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Zeroizing<String>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<Zeroizing<String>>,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Everything needed to reach a bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// Bucket and prefix.
    pub url: S3Url,
    /// Endpoint URL; `None` for AWS.
    pub endpoint: Option<String>,
    /// Region.
    pub region: String,
    /// Plain HTTP allowed.
    pub allow_http: bool,
    /// Access keys.
    pub credentials: S3Credentials,
}

/// Reads one variable; empty counts as unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as an [`Env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl BlobConfig {
    /// What `gawah init --blob-url URL` records: the URL checked, and for S3 the endpoint,
    /// region and `AWS_ALLOW_HTTP` of the environment.
    pub fn for_init(url: &str, env: Env<'_>) -> Result<Self, BlobError> {
        let location = BlobLocation::parse(url)?;
        let url = match &location {
            BlobLocation::S3(u) => u.to_string(),
            BlobLocation::Local(p) => p.display().to_string(),
        };
        if let BlobLocation::Local(_) = location {
            return Ok(Self {
                url,
                endpoint: None,
                region: None,
                allow_http: false,
            });
        }
        Ok(Self {
            url,
            endpoint: env_endpoint(env),
            region: env_region(env),
            allow_http: env_allow_http(env)?.unwrap_or(false),
        })
    }

    /// The settings to reach the bucket: this table, the `AWS_*` variables over it, and
    /// the keys from the environment (an error naming what is missing).
    pub fn s3_settings(&self, url: S3Url, env: Env<'_>) -> Result<S3Settings, BlobError> {
        let key_id = env("AWS_ACCESS_KEY_ID");
        let secret = env("AWS_SECRET_ACCESS_KEY");
        let (Some(access_key_id), Some(secret)) = (key_id.clone(), secret.clone()) else {
            let missing: Vec<&str> = [
                ("AWS_ACCESS_KEY_ID", key_id.is_none()),
                ("AWS_SECRET_ACCESS_KEY", secret.is_none()),
            ]
            .into_iter()
            .filter_map(|(n, m)| m.then_some(n))
            .collect();
            return Err(BlobError::Config(format!(
                "blobs are kept in {url}: set {} in the environment (keys are never stored in gawah.toml)",
                missing.join(" and ")
            )));
        };
        Ok(S3Settings {
            url,
            endpoint: env_endpoint(env).or_else(|| self.endpoint.clone()),
            region: env_region(env)
                .or_else(|| self.region.clone())
                .unwrap_or_else(|| "us-east-1".to_owned()),
            allow_http: env_allow_http(env)?.unwrap_or(self.allow_http),
            credentials: S3Credentials {
                access_key_id,
                secret_access_key: Zeroizing::new(secret),
                session_token: env("AWS_SESSION_TOKEN").map(Zeroizing::new),
            },
        })
    }
}

fn env_endpoint(env: Env<'_>) -> Option<String> {
    env("AWS_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT"))
}

fn env_region(env: Env<'_>) -> Option<String> {
    env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"))
}

fn env_allow_http(env: Env<'_>) -> Result<Option<bool>, BlobError> {
    match env("AWS_ALLOW_HTTP").as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(BlobError::Config(format!(
            "AWS_ALLOW_HTTP={other:?}: use true or false"
        ))),
    }
}

/// Opens the blob store a data dir records (`None`: its own `blobs/` folder). Refuses a
/// `GAWAH_BLOB_URL` in `env` that names another location. S3 writes are spooled under
/// `<data dir>/spool`.
pub fn open_blob_store(
    config: Option<&BlobConfig>,
    data_dir: &Path,
    env: Env<'_>,
) -> Result<Box<dyn BlobStore>, BlobError> {
    let recorded = config.map(|c| c.url.as_str());
    if let Some(wanted) = env(BLOB_URL_ENV) {
        let same = match (BlobLocation::parse(&wanted)?, config) {
            (location, Some(c)) => Some(location) == BlobLocation::parse(&c.url).ok(),
            (_, None) => false,
        };
        if !same {
            return Err(BlobError::Config(format!(
                "{BLOB_URL_ENV}={wanted} but this data dir keeps its blobs in {}; unset {BLOB_URL_ENV} (the location is chosen once, at init)",
                recorded.unwrap_or("its own blobs/ folder")
            )));
        }
    }
    let Some(config) = config else {
        return Ok(Box::new(LocalBlobStore::open(&data_dir.join("blobs"))?));
    };
    match BlobLocation::parse(&config.url)? {
        BlobLocation::Local(path) => Ok(Box::new(LocalBlobStore::open(&path)?)),
        BlobLocation::S3(url) => {
            let settings = config.s3_settings(url, env)?;
            Ok(Box::new(S3BlobStore::open(
                &settings,
                &data_dir.join("spool"),
            )?))
        }
    }
}

/// Opens the store `config` names and reaches it (an S3 bucket is listed): what
/// `gawah init` does before it records the location.
pub fn probe_blob_store(
    config: &BlobConfig,
    data_dir: &Path,
    env: Env<'_>,
) -> Result<(), BlobError> {
    match BlobLocation::parse(&config.url)? {
        BlobLocation::Local(path) => LocalBlobStore::open(&path).map(drop),
        BlobLocation::S3(url) => {
            let settings = config.s3_settings(url, env)?;
            S3BlobStore::open(&settings, &data_dir.join("spool"))?.check_access()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn parses_s3_urls_and_local_paths() {
        let s3 = |bucket: &str, prefix: &str| {
            BlobLocation::S3(S3Url {
                bucket: bucket.into(),
                prefix: prefix.into(),
            })
        };
        assert_eq!(
            BlobLocation::parse("s3://evidence").unwrap(),
            s3("evidence", "")
        );
        assert_eq!(
            BlobLocation::parse("s3://evidence/org-1/archive/").unwrap(),
            s3("evidence", "org-1/archive")
        );
        assert_eq!(
            BlobLocation::parse("/srv/blobs").unwrap(),
            BlobLocation::Local("/srv/blobs".into())
        );
        assert_eq!(
            BlobLocation::parse("file:///srv/blobs").unwrap(),
            BlobLocation::Local("/srv/blobs".into())
        );
        for bad in [
            "s3://",
            "s3://Evidence",
            "s3://ab",
            "s3://evidence/a//b",
            "s3://evidence/../x",
            "gs://evidence",
            "relative/blobs",
        ] {
            assert!(
                matches!(BlobLocation::parse(bad), Err(BlobError::Config(_))),
                "{bad} accepted"
            );
        }
        let url = S3Url {
            bucket: "evidence".into(),
            prefix: "org-1".into(),
        };
        assert_eq!(url.to_string(), "s3://evidence/org-1");
        assert_eq!(url.blobs_path().as_ref(), "org-1/blobs");
    }

    #[test]
    fn init_records_location_never_keys() {
        let env = env_of(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:3900"),
            ("AWS_REGION", "garage"),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "GKexample"),
            ("AWS_SECRET_ACCESS_KEY", "do-not-store"),
        ]);
        let config = BlobConfig::for_init("s3://evidence/org-1", &env).unwrap();
        let toml = toml::to_string(&config).unwrap();
        assert!(toml.contains("http://127.0.0.1:3900") && toml.contains("garage"));
        assert!(!toml.contains("GKexample") && !toml.contains("do-not-store"));
        let back: BlobConfig = toml::from_str(&toml).unwrap();
        assert_eq!(back, config);
        assert!(toml::from_str::<BlobConfig>("url = \"s3://abc\"\nsecret = \"x\"").is_err());
    }

    #[test]
    fn settings_need_keys_and_let_the_environment_override_the_file() {
        let config = BlobConfig {
            url: "s3://evidence".into(),
            endpoint: Some("http://old:3900".into()),
            region: Some("garage".into()),
            allow_http: true,
        };
        let url = S3Url {
            bucket: "evidence".into(),
            prefix: String::new(),
        };
        let err = config
            .s3_settings(url.clone(), &env_of(&[("AWS_ACCESS_KEY_ID", "GK1")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("AWS_SECRET_ACCESS_KEY") && !err.contains("AWS_ACCESS_KEY_ID"));
        let env = env_of(&[
            ("AWS_ACCESS_KEY_ID", "GK1"),
            ("AWS_SECRET_ACCESS_KEY", "s3cret"),
            ("AWS_ENDPOINT", "http://new:3900"),
        ]);
        let s = config.s3_settings(url, &env).unwrap();
        assert_eq!(s.endpoint.as_deref(), Some("http://new:3900"));
        assert_eq!(s.region, "garage");
        assert!(s.allow_http);
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn a_different_blob_url_at_run_time_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[(BLOB_URL_ENV, "s3://elsewhere")]);
        let err = open_blob_store(None, dir.path(), &env).unwrap_err();
        assert!(err.to_string().contains("s3://elsewhere"), "{err}");
        let local = BlobConfig::for_init("/srv/x", &env_of(&[])).unwrap();
        assert!(open_blob_store(Some(&local), dir.path(), &env).is_err());
        // Unset: the data dir's own folder.
        let store = open_blob_store(None, dir.path(), &env_of(&[])).unwrap();
        assert!(store.keys().unwrap().is_empty());
        assert!(dir.path().join("blobs").is_dir());
    }
}
