//! `gawah serve`: the web server, on a data dir or on a fresh demo.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use gawah_store::DataDir;
use gawah_store::sqlite::OpenMode;
use gawah_web::AppState;

use super::{demo, keys};
use crate::Outcome;
use crate::cli::Global;

pub fn run(
    g: &Global,
    listen: SocketAddr,
    demo_mode: bool,
    secure_cookies: bool,
) -> Result<Outcome> {
    init_tracing();
    // The demo's data dir lives as long as the server and is removed when it stops.
    let (ledger, _demo_dir, path) = if demo_mode {
        let dir = tempfile::Builder::new()
            .prefix("gawah-demo-")
            .tempdir()
            .context("creating the demo data dir")?;
        let (ledger, logins) = demo::create(&dir.path().join("data"))?;
        println!(
            "demo data dir: {} (removed when the server stops)",
            dir.path().display()
        );
        for line in logins {
            println!("{line}");
        }
        let path = dir.path().join("data");
        (ledger, Some(dir), path)
    } else {
        let path = super::data_dir(g)?.to_owned();
        (keys::open_unlocked(g, OpenMode::Checked)?, None, path)
    };
    let dir = DataDir::open(&path)?;
    let index = dir.search_index().context("opening the search index")?;
    let mut state = AppState::new(ledger, secure_cookies)
        .context("starting the search index")?
        .with_search_index(index);
    // A witness key (`gawah witness key`) makes this instance answer POST /add-checkpoint.
    if let Some(cosigner) = dir.witness_signer()? {
        state = state.with_witness(cosigner);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        println!("gawah is serving on http://{addr}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        gawah_web::serve(listener, Arc::new(state))
            .await
            .context("serving")
    })?;
    Ok(Outcome::Ok)
}

/// The most threads the server runs blocking work on (store reads and writes, blocks of
/// uploads and downloads, password hashes); more work than that waits for a thread. No
/// blocking task waits for a client (uploads and downloads hand a thread one block at a
/// time, logins wait for their turn to hash before they take one), so a bound cannot be
/// exhausted by slow clients; it keeps a load spike from growing the process by a thread,
/// its stack and its allocator cache per waiting request (tokio's default allows 512).
const BLOCKING_THREADS: usize = 32;

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GAWAH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
