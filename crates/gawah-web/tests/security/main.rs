//! Security tests of the web application, driven in-process through its router with the same
//! harness as `tests/it` (two organisations, one member of every role in each):
//!
//! - `xss`: a corpus of payloads in every text a user can enter, read back on every page that
//!   shows it; nothing becomes markup, and the CSP forbids inline script.
//! - `inputs`: SQL injection in every filter, search and id; path traversal in every
//!   path-like input.
//! - `session`: CSRF on every state-changing route (with a guard that finds new ones in the
//!   source), cookie attributes, session fixation, logout, lockout, constant-time comparison.
//! - `session_store`: sessions kept only as SHA-256 and ended after 12 hours (a fixed clock).
//! - `uploads`: HTML, SVG, polyglot and PDF uploads come back only as sandboxed attachments.
//! - `cache`: nothing a member reads is kept in a browser's or proxy's cache.
//!
//! The log-output test (no secret in any log line) runs the real binary, in
//! `crates/gawah/tests/it/security_logs.rs`; the browser test is
//! `tests/browser/security.test.mjs`. `docs/SECURITY_TESTS.md` says what each proves.

mod cache;
#[path = "../it/harness.rs"]
#[allow(dead_code)]
mod harness;
mod html;
mod inputs;
mod session;
mod session_store;
mod support;
mod uploads;
mod xss;
