//! Which PostgreSQL database a data dir uses, and where its password comes from.
//!
//! Precedence, as for every setting: `GAWAH_DATABASE_URL` in the environment, else
//! `database_url` in `gawah.toml`; neither means SQLite. The password is never written to
//! `gawah.toml` (`gawah init` strips it): it comes at run time from the URL in
//! `GAWAH_DATABASE_URL`, else from `PGPASSWORD`. A URL never prints its password.

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::StoreError;

/// The environment variable naming the database (a `postgres://` URL).
pub const DATABASE_URL_VAR: &str = "GAWAH_DATABASE_URL";
/// The environment variable that gives the password when the URL has none.
pub const PASSWORD_VAR: &str = "PGPASSWORD";

/// A `postgres://` (or `postgresql://`) URL, checked by the client's own parser.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    text: Zeroizing<String>,
    /// The password to use when the URL has none (from `PGPASSWORD`).
    fallback_password: Option<Zeroizing<String>>,
}

/// The pieces of a URL around its password: `prefix`, then `:password` (if any), then
/// `rest`; and the query's `password=` parameter, if any, inside `rest`.
struct Parts<'a> {
    /// Scheme and user: `postgres://user`.
    prefix: &'a str,
    /// The `:password` after the user, including the colon.
    password: Option<&'a str>,
    /// `@host:port/db?query`, or everything after the scheme when there is no user.
    rest: &'a str,
}

fn split(text: &str) -> Option<Parts<'_>> {
    let scheme_end = ["postgres://", "postgresql://"]
        .iter()
        .find(|s| text.starts_with(*s))?
        .len();
    let after = &text[scheme_end..];
    let authority_end = after.find(['/', '?']).unwrap_or(after.len());
    let Some(at) = after[..authority_end].rfind('@') else {
        return Some(Parts {
            prefix: &text[..scheme_end],
            password: None,
            rest: after,
        });
    };
    let userinfo = &after[..at];
    let (user, password) = match userinfo.find(':') {
        Some(c) => (&userinfo[..c], Some(&userinfo[c..])),
        None => (userinfo, None),
    };
    Some(Parts {
        prefix: &text[..scheme_end + user.len()],
        password,
        rest: &after[at..],
    })
}

/// `rest` without any `password=` query parameter.
fn strip_query_password(rest: &str) -> String {
    let Some(q) = rest.find('?') else {
        return rest.to_owned();
    };
    let kept: Vec<&str> = rest[q + 1..]
        .split('&')
        .filter(|p| !p.starts_with("password="))
        .collect();
    if kept.is_empty() {
        rest[..q].to_owned()
    } else {
        format!("{}?{}", &rest[..q], kept.join("&"))
    }
}

impl DatabaseUrl {
    /// Parses a URL; anything but `postgres://` or `postgresql://` is refused.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| StoreError::Invalid(format!("database URL: {why}"));
        if split(text).is_none() {
            return Err(bad("must start with postgres:// or postgresql://"));
        }
        postgres::Config::from_str(text).map_err(|e| bad(&e.to_string()))?;
        Ok(Self {
            text: Zeroizing::new(text.to_owned()),
            fallback_password: None,
        })
    }

    /// The database the environment or the config names, `None` for SQLite:
    /// `GAWAH_DATABASE_URL` wins over `configured` (from `gawah.toml`); a URL without a
    /// password takes `PGPASSWORD`'s.
    pub fn from_settings(
        configured: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, StoreError> {
        let text = match env(DATABASE_URL_VAR).filter(|v| !v.is_empty()) {
            Some(v) => Zeroizing::new(v),
            None => match configured {
                Some(c) => Zeroizing::new(c.to_owned()),
                None => return Ok(None),
            },
        };
        let mut url = Self::parse(&text)?;
        url.fallback_password = env(PASSWORD_VAR).map(Zeroizing::new);
        Ok(Some(url))
    }

    /// Whether the URL itself holds a password.
    pub fn has_password(&self) -> bool {
        split(&self.text).is_some_and(|p| p.password.is_some() || p.rest.contains("password="))
    }

    /// The URL without its password: what `gawah init` writes to `gawah.toml`.
    pub fn without_password(&self) -> String {
        match split(&self.text) {
            Some(p) => format!("{}{}", p.prefix, strip_query_password(p.rest)),
            None => String::new(),
        }
    }

    /// The URL with its password replaced by `***`, for messages.
    pub fn redacted(&self) -> String {
        match split(&self.text) {
            Some(p) if self.has_password() => {
                format!("{}:***{}", p.prefix, strip_query_password(p.rest))
            }
            _ => self.without_password(),
        }
    }

    /// The client's settings, with the fallback password if the URL has none.
    pub(crate) fn client_config(&self) -> Result<postgres::Config, StoreError> {
        let mut config = postgres::Config::from_str(&self.text)
            .map_err(|e| StoreError::Invalid(format!("database URL: {e}")))?;
        if config.get_password().is_none()
            && let Some(pw) = &self.fallback_password
        {
            config.password(pw.as_bytes());
        }
        Ok(config)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_stripped_and_never_printed() {
        let url = DatabaseUrl::parse("postgres://gawah:s3cret@db.example:5433/ledger").unwrap();
        assert!(url.has_password());
        assert_eq!(
            url.without_password(),
            "postgres://gawah@db.example:5433/ledger"
        );
        assert_eq!(
            url.redacted(),
            "postgres://gawah:***@db.example:5433/ledger"
        );
        assert!(!format!("{url} {url:?}").contains("s3cret"));

        let query =
            DatabaseUrl::parse("postgresql://u@h/db?password=s3cret&connect_timeout=5").unwrap();
        assert!(query.has_password());
        assert_eq!(
            query.without_password(),
            "postgresql://u@h/db?connect_timeout=5"
        );
        assert!(!format!("{query} {query:?}").contains("s3cret"));

        let plain = DatabaseUrl::parse("postgres://u@h/db").unwrap();
        assert!(!plain.has_password());
        assert_eq!(plain.without_password(), "postgres://u@h/db");
        let bare = DatabaseUrl::parse("postgres://h/db").unwrap();
        assert_eq!(bare.without_password(), "postgres://h/db");
    }

    #[test]
    fn other_schemes_are_refused() {
        for bad in ["mysql://u:p@h/db", "host=h user=u", "sqlite:///x", ""] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_environment_wins_and_pgpassword_fills_in() {
        let env = |k: &str| match k {
            PASSWORD_VAR => Some("from-env".to_owned()),
            _ => None,
        };
        let url = DatabaseUrl::from_settings(Some("postgres://u@h/db"), &env)
            .unwrap()
            .unwrap();
        let config = url.client_config().unwrap();
        assert_eq!(config.get_password(), Some(&b"from-env"[..]));

        let env = |k: &str| match k {
            DATABASE_URL_VAR => Some("postgres://v:pw@other/db2".to_owned()),
            PASSWORD_VAR => Some("ignored".to_owned()),
            _ => None,
        };
        let url = DatabaseUrl::from_settings(Some("postgres://u@h/db"), &env)
            .unwrap()
            .unwrap();
        let config = url.client_config().unwrap();
        assert_eq!(config.get_dbname(), Some("db2"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));

        assert!(
            DatabaseUrl::from_settings(None, &|_| None)
                .unwrap()
                .is_none()
        );
    }

    fn key_file() -> gawah_core::seal::KeySource {
        gawah_core::seal::KeySource::KeyFile(gawah_core::seal::SecretKey::random().unwrap())
    }

    /// `gawah init` with a database it cannot reach is refused before anything is written,
    /// without the password in the message; a config that names a database opens it (and
    /// not `gawah.db`), and refuses a password of its own.
    #[test]
    fn a_data_dir_on_an_unreachable_postgres_is_refused_before_anything_is_written() {
        use crate::datadir::{DataDir, DataDirError};
        let tmp = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse("postgres://gawah:s3cret@127.0.0.1:1/gawah").unwrap();
        let path = tmp.path().join("pg");
        let err = DataDir::init_with_database(&path, None, &key_file(), None, None, Some(&url))
            .unwrap_err();
        assert!(
            matches!(err, DataDirError::Store(StoreError::Unavailable(_))),
            "{err}"
        );
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(!path.exists(), "nothing written");

        let path = tmp.path().join("named");
        let (dir, _) = DataDir::init(&path, None, &key_file()).unwrap();
        assert_eq!(dir.config.database_url, None);
        let config = path.join("gawah.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(!text.contains("database_url"), "no key for the default");
        let named = format!("{text}database_url = \"postgres://gawah@127.0.0.1:1/gawah\"\n");
        std::fs::write(&config, named).unwrap();
        let dir = DataDir::open(&path).unwrap();
        let err = dir.store(crate::sqlite::OpenMode::Checked).unwrap_err();
        assert!(matches!(err, DataDirError::Unsupported(_)), "{err}");
        if std::env::var_os(DATABASE_URL_VAR).is_none() {
            let err = dir
                .database(crate::sqlite::OpenMode::Checked)
                .map(|_| ())
                .unwrap_err();
            assert!(
                matches!(err, DataDirError::Store(StoreError::Unavailable(_))),
                "{err}"
            );
        }

        let with_password = format!("{text}database_url = \"postgres://gawah:pw@h/gawah\"\n");
        std::fs::write(&config, with_password).unwrap();
        let err = DataDir::open(&path).unwrap_err();
        assert!(
            err.to_string().contains("must not hold a password"),
            "{err}"
        );
        assert!(!err.to_string().contains(":pw@"), "{err}");
    }
}
