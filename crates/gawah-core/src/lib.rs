//! Domain types shared by every gawah crate: log entries and their canonical encoding,
//! content commitments, identifiers, and the clock.
//!
//! # Layout
//! - [`clock`]: time comes through a [`Clock`] the caller passes in, so tests control it.
//! - [`commitment`]: salted commitments to content, the only trace of content in the log.
//! - [`entry`]: the log entry schema and its canonical JSON bytes.
//! - [`ids`]: typed identifiers for records.
//! - [`import`]: reading bulk import files (CSV with HXL, JSON Lines) into rows.
//! - [`random`]: the one place randomness comes from.
//! - [`seal`]: envelope encryption of confidential fields and files.
//! - [`upload`]: the tus headers and form fields of an evidence upload, parsed.
//!
//! Invariant: nothing in this crate knows about storage, HTTP or the command line.

pub mod calendar;
pub mod classify;
pub mod clock;
pub mod commitment;
pub mod edict;
pub mod entry;
pub mod figures;
pub mod ids;
pub mod import;
pub mod incident;
pub mod person;
pub mod random;
pub mod seal;
pub mod testimony;
pub mod upload;
pub mod vocab;

pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use commitment::{Commitment, Salt, Sha256Digest};
pub use entry::{Action, EntryError, LogEntry, MAX_ENTRY_BYTES};
pub use ids::{
    ActId, ErasureId, Id, IdError, IdKind, IncidentId, ItemId, MemberId, OrgId, PersonId,
    TestimonyId,
};
