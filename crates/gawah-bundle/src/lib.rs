//! gawah evidence bundles: the format, a minimal zip reader and writer for it, and the
//! offline verifier.
//!
//! # For the expert who has to rely on a bundle
//!
//! An evidence bundle is one zip file that a court, a prosecutor or a UN mechanism receives
//! from an organisation documenting persecution. It holds evidence files and everything
//! needed to check, **without trusting the organisation and without any network**, that each
//! file is exactly the one the organisation took into custody and recorded in its public,
//! append-only log. The only thing you need from outside is the organisation's log key (a
//! line like `example.org/log+1a2b3c4d+AU...`), which the organisation publishes; and, to
//! rule out a log that shows different histories to different people, a checkpoint of that
//! log that you (or a witness, or another court) obtained earlier.
//!
//! `gawah-verify BUNDLE --key KEYFILE [--checkpoint TRUSTED]` checks, and reports one by one:
//!
//! 1. **The archive is sound.** It is read defensively: only uncompressed files (so nothing
//!    can expand into more data than the file holds), no links, no names that could write
//!    outside the folder it is unpacked to or that could be confused with another, every
//!    header consistent, no hidden bytes between files, sizes within limits.
//! 2. **The checkpoint is signed by the key you gave.** `log/checkpoint` states the number of
//!    entries in the log and the root of their Merkle tree (RFC 6962), signed with Ed25519
//!    (C2SP signed-note). A changed checkpoint, or one signed by another log, fails.
//! 3. **Every file is the one listed**: its size and SHA-256 match `manifest.json`.
//! 4. **Every file is the one logged.** Each item's first log entry holds a *commitment*,
//!    SHA-256("gawah-commit/v1" ‖ salt ‖ SHA-256(file)). The salt, 32 random bytes, is kept
//!    secret by the organisation so that the public log reveals nothing about the files; the
//!    bundle hands it to you, and the verifier recomputes the commitment from the file. If
//!    the file, or the salt, is not the one logged, the commitment differs.
//! 5. **Every entry is in the signed log.** Each entry comes with an inclusion proof (in two
//!    forms, JSON and C2SP tlog-proof) that leads from the entry to the checkpoint's root.
//!    Since the checkpoint is signed and the log is append-only, the entry cannot have been
//!    altered or inserted afterwards without the tree root changing. The entry's `subject`
//!    must be the item.
//! 6. **The log was not forked** (with `--checkpoint`): the bundle's checkpoint and yours
//!    must describe the same history (same root at the same size, or a consistency proof
//!    that one extends the other).
//! 7. **Witnesses vouch for the checkpoint** (with `--witness KEY`, repeatable, and
//!    `--min-witnesses N`): `log/checkpoint` may carry cosignatures (C2SP tlog-cosignature)
//!    by witnesses, which sign only a checkpoint consistent with every earlier one of that
//!    log they saw. Each witness given is reported (valid, missing or bad) and at least N
//!    (default: all) must have cosigned: a guard against a forked log without a checkpoint
//!    of your own.
//! 8. **Nothing else is in the bundle**: a file that the manifest does not list (except the
//!    report and the README, which are not evidence) is a failure, as is a listed file that
//!    is missing.
//!
//! Custody records in the manifest that name a log entry are compared with that entry;
//! everything else in `metadata` and `custody` is the exporter's statement and the report
//! says so. The entries' times come from the organisation's clock; the log proves their
//! order, not their absolute time.
//!
//! Redacted working copies (in public bundles) are checked against their *own* commitment:
//! the copy was logged as a new item by a `redaction` entry naming the original, and the
//! original's intake entry is included and proven too; see [`DerivedFrom`].
//!
//! `README.txt` (from [`readme_text`]) explains how to make checks 2 to 5 by hand with
//! `sha256sum`, `basenc`, `base64` and `openssl`. `docs/BUNDLE.md` specifies the format.
//!
//! # Layout of a bundle
//!
//! ```text
//! manifest.json          what the bundle holds (see Manifest)
//! files/...              the evidence files
//! log/checkpoint         the signed checkpoint
//! log/key                the log's verifier key
//! log/entries/N          the raw bytes of log entry N
//! log/proofs/N.json      its inclusion proof ({"index","tree_size","leaf_hash","root","proof"})
//! log/proofs/N.proof     the same as a C2SP tlog-proof
//! log/consistency.json   optional: consistency proof from an older checkpoint
//! log/timestamp.txt      optional: the checkpoint's text, as stamped by a timestamp authority
//! log/timestamp.tsr      optional: the authority's RFC 3161 response over it (see `tst`)
//! report.html            human-readable report (not evidence, not checked)
//! README.txt             how to verify by hand (not evidence, not checked)
//! ```
//!
//! # Dependencies
//!
//! `gawah-log` (Merkle proofs, signed notes), `sha2`, `serde`/`serde_json`, `base64`,
//! `hex`, `thiserror`, and `unicode-normalization` (to refuse names that are the same
//! text in two Unicode spellings). There is no zip library: the zip format used is the small
//! STORE-only subset in `zipfmt`, and CRC-32 is computed here.

mod crc32;
mod error;
mod items;
mod layout;
mod manifest;
mod names;
mod reader;
mod readme;
mod report;
mod structure;
mod timestamp;
pub mod tst;
mod verify;
mod witnesses;
mod writer;
mod zipfmt;

pub use crc32::{Crc32, crc32};
pub use error::ZipError;
pub use layout::{
    CHECKPOINT, CONSISTENCY, ConsistencyJson, FILES_DIR, FORMAT, KEY, MANIFEST, ProofJson,
    ProvenEntry, README, REPORT, TLOG_PROOF_HEADER, TlogProof, decode_hash, decode_hashes,
    entry_path, note_text, proof_json_path, proof_text_path,
};
pub use manifest::{DerivedFrom, Item, Manifest, Purpose, is_hex32, is_rfc3339, is_token};
pub use names::{MAX_COMPONENT_BYTES, MAX_NAME_BYTES, check_name, collision_key};
pub use reader::{BundleReader, EntryDigest, EntryInfo, EntryReader, Limits, TWO_THREADS_FROM};
pub use readme::{inclusion_steps, readme_text};
pub use report::{Check, ItemReport, Outcome, Report};
pub use timestamp::{TIMESTAMP, TIMESTAMP_TEXT, check_timestamp};
pub use verify::{COMMIT_DOMAIN, Policy, VerifyError, commitment, verify, verify_archive};
pub use writer::{BundleFile, BundleWriter};
