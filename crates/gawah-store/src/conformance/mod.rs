//! Conformance suites of the store traits beyond [`Store`](crate::Store) (which has
//! [`store_conformance`](crate::store_conformance)), each a set of functions over a trait
//! object, run against SQLite in this crate's unit tests and against PostgreSQL in the
//! `tests/*_pg*.rs` binaries. A backend must pass them all.
//!
//! [`pg_schemas`] gives each PostgreSQL test a fresh schema of its own.

pub mod analysis;
pub mod harness;
pub mod intake;
pub mod keys;
pub mod people;
pub mod pg_schemas;
pub mod records;
pub mod timestamps;
pub mod uploads;
pub mod vocab;
pub mod witness;
