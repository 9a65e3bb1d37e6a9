//! Integration tests of the `gawah` binary, by boundary: the command line, tampering,
//! crashes and bad input. One test binary; `harness` holds what they share.

mod admin_log;
mod backup;
mod bad_input;
mod bundle;
mod canary;
mod cli;
mod crash;
mod demo_generate;
mod harness;
mod import;
mod keys;
mod search;
mod security_logs;
mod tamper;
mod witness;
