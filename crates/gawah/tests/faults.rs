//! Fault injection on the embedded store (SQLite in WAL mode and a local blob folder),
//! through the real binary and plain HTTP:
//!
//! - `disk_full`: the disk fills during uploads, with the whole data dir on a small tmpfs
//!   and with only the blob folder there;
//! - `log_append`: the disk holding the database and its WAL fills during writes that
//!   append log entries (incidents, an upload's intake entry) while checkpoints are signed;
//! - `sigkill`: the server killed with SIGKILL under concurrent uploads, three times over;
//! - `slow_clients`: more stalled uploads and downloads at once than the server has blocking
//!   threads, and the server still answers.
//!
//! After each fault: the failing request got a clear answer (507 for a full disk), every
//! request acknowledged before is stored whole, nothing unacknowledged is half-kept, the
//! server recovers (without a restart once space is freed; with one after a kill), and
//! `gawah log verify` recomputes the log, checks every checkpoint and reads every blob.
//!
//! The database and S3 outages, and SIGKILL with failover on the PostgreSQL path, are in
//! `tests/scaleout.rs`. The disk tests mount a tmpfs and so need root or CAP_SYS_ADMIN
//! (CI runs as root); without it they fail, saying so. Nothing here sleeps to wait for
//! readiness: a server is ready when it prints its address, progress is awaited on a
//! channel with a bound.

#[path = "it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "shared/node.rs"]
mod node;

#[path = "faults/check.rs"]
mod check;
#[path = "faults/disk_full.rs"]
mod disk_full;
#[path = "faults/http.rs"]
mod http;
#[path = "faults/log_append.rs"]
mod log_append;
#[path = "faults/sigkill.rs"]
mod sigkill;
#[path = "faults/site.rs"]
mod site;
#[path = "faults/slow_clients.rs"]
mod slow_clients;
#[path = "faults/tmpfs.rs"]
mod tmpfs;
