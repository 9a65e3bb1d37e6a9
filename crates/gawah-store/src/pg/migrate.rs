//! PostgreSQL schema migrations, counted in a `schema_version` table.
//!
//! All pending migrations run in one transaction that first takes [`MIGRATE_LOCK`], so two
//! servers starting at once on an empty database do not both create the tables: the second
//! waits, then finds the schema current. DDL is transactional in PostgreSQL, so a failed
//! migration leaves the schema as it was. A schema newer than this build is refused, as on
//! SQLite.
//!
//! PostgreSQL versions count on their own: version 1 is SQLite's `user_version` 10 (the
//! whole schema of SQLite's migrations 0001 to 0010), version 2 is SQLite's 11, version 3
//! SQLite's 12. A later
//! change of schema is a new migration on both backends.

use postgres::Client;

use super::error::from_pg;
use crate::error::StoreError;

/// Migrations, in order; `schema_version.version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_schema.sql"),
    include_str!("migrations/0002_incident_list_index.sql"),
    include_str!("migrations/0003_blob_hash.sql"),
];
/// The newest PostgreSQL schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The high half of the advisory lock key migrations hold (transaction scope): ASCII "gmig".
/// The low half is the object id of the schema migrated (the first on `search_path`), so
/// that instances in different schemas of one database migrate independently.
pub(crate) const MIGRATE_LOCK: i64 = 0x676d_6967;

/// Brings the schema to [`SCHEMA_VERSION`] inside the caller's transaction (which the
/// caller commits); refuses a newer one.
pub(crate) fn migrate(tx: &mut Client) -> Result<(), StoreError> {
    let schema: Option<String> = tx
        .query_one("SELECT current_schema()::text", &[])
        .map_err(from_pg)?
        .get(0);
    if schema.is_none() {
        return Err(StoreError::Invalid(
            "no schema to create tables in: the search_path names none that exists".into(),
        ));
    }
    tx.execute(
        "SELECT pg_advisory_xact_lock(($1::bigint << 32) | current_schema()::regnamespace::oid::bigint)",
        &[&MIGRATE_LOCK],
    )
    .map_err(from_pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             id      BIGINT PRIMARY KEY CHECK (id = 1),
             version BIGINT NOT NULL CHECK (version >= 0)
         );
         INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;",
    )
    .map_err(from_pg)?;
    let found: i64 = tx
        .query_one("SELECT version FROM schema_version WHERE id = 1", &[])
        .map_err(from_pg)?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    if found < 0 {
        return Err(StoreError::Corrupt(format!("schema version {found}")));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).map_err(|e| match from_pg(e) {
            StoreError::Database(m) => {
                StoreError::Database(format!("PostgreSQL migration {}: {m}", i + 1))
            }
            other => other,
        })?;
        tx.execute(
            "UPDATE schema_version SET version = $1 WHERE id = 1",
            &[&(i as i64 + 1)],
        )
        .map_err(from_pg)?;
    }
    Ok(())
}

/// The schema version found, for tests and reports.
pub(crate) fn schema_version(client: &mut Client) -> Result<i64, StoreError> {
    Ok(client
        .query_one("SELECT version FROM schema_version WHERE id = 1", &[])
        .map_err(from_pg)?
        .get(0))
}
