//! Fresh PostgreSQL schemas for tests, shared by every PostgreSQL test binary.
//!
//! Needs `GAWAH_TEST_DATABASE_URL`, which `scripts/postgres.sh start DIR` prints; the test
//! command evals it before `cargo test`. Without it a test fails, saying so: a skipped test
//! would read as a passing one. Every store a test opens lives in a schema of its own
//! (`gawah_t_<random>`, through the URL's `options=-c search_path=...`), so tests run in
//! parallel; the schemas are dropped when the [`Schemas`] is.

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls};

use crate::pg::DatabaseUrl;

/// The test server's URL, from `GAWAH_TEST_DATABASE_URL`; panics with how to get one.
pub fn base_url() -> String {
    std::env::var("GAWAH_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "GAWAH_TEST_DATABASE_URL is not set: start PostgreSQL with \
             `eval \"$(scripts/postgres.sh start /tmp/gawah-pg)\"` (scripts/test.sh does) \
             and run again"
        )
    })
}

/// Schemas made for one test (each a whole gawah schema: its own tables and its own log
/// lock), dropped when the test ends, also when it fails. Schemas rather than databases:
/// dropping a database forces a checkpoint, which takes seconds with fsync on.
pub struct Schemas {
    admin: Mutex<Client>,
    base: String,
    made: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas").finish_non_exhaustive()
    }
}

/// One test schema: the store's URL, and the same as text for a test's own connection.
#[derive(Debug)]
pub struct TestDb {
    /// The URL a store opens.
    pub url: DatabaseUrl,
    /// The same URL as text (with its password).
    pub text: String,
    /// The schema's name.
    pub schema: String,
}

impl Schemas {
    /// Connects to the test server; panics if it cannot.
    pub fn new() -> Self {
        let base = base_url();
        let admin = Client::connect(&base, NoTls).expect("connect to GAWAH_TEST_DATABASE_URL");
        Self {
            admin: Mutex::new(admin),
            base,
            made: Mutex::new(Vec::new()),
        }
    }

    /// A new empty schema, and a URL whose connections use it.
    pub fn fresh(&self) -> TestDb {
        let tag: [u8; 6] =
            gawah_core::random::random_bytes().expect("randomness for a schema name");
        let name = format!("gawah_t_{}", hex::encode(tag));
        self.admin()
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .expect("create a test schema");
        self.made
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(name.clone());
        let sep = if self.base.contains('?') { '&' } else { '?' };
        let text = format!("{}{sep}options=-c%20search_path%3D{name}", self.base);
        TestDb {
            url: DatabaseUrl::parse(&text).expect("a test database URL"),
            text,
            schema: name,
        }
    }

    /// The connection that made the schemas, for a test to look or tamper.
    pub fn admin(&self) -> MutexGuard<'_, Client> {
        self.admin.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for Schemas {
    fn default() -> Self {
        Self::new()
    }
}

impl TestDb {
    /// A connection of the test's own to the schema, to look or tamper.
    pub fn connect(&self) -> Client {
        Client::connect(&self.text, NoTls).expect("connect to the test schema")
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        let admin = self.admin.get_mut().unwrap_or_else(|p| p.into_inner());
        for name in self
            .made
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
        }
    }
}
