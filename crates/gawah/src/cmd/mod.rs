//! One module per command; each returns an [`Outcome`] or an error for `main` to report.

mod admin;
mod backup;
mod bundle;
mod consent;
mod demo;
mod exchange;
mod export;
mod import;
mod ingest;
mod item;
pub mod keys;
mod log;
mod migrate;
mod search;
mod serve;
mod timestamp;
mod witness;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use gawah_core::SystemClock;
use gawah_store::sqlite::OpenMode;
use gawah_store::{DataDir, Ledger};
use serde_json::json;

use crate::Outcome;
use crate::cli::{Cli, Command, Global};
use crate::output::json_line;

/// The actor recorded for commands run by the local operator.
pub const CLI_ACTOR: &str = "cli";

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    let g = &cli.global;
    match cli.command {
        Command::Init {
            origin,
            tsa_url,
            blob_url,
            database_url,
        } => init(
            g,
            origin.as_deref(),
            tsa_url,
            blob_url.as_deref(),
            database_url.as_deref(),
        ),
        Command::Ingest {
            case_ref,
            confidential,
            paths,
        } => ingest::run(g, case_ref, confidential, &paths),
        Command::Item(c) => item::run(g, c),
        Command::Log(c) => log::run(g, c),
        Command::Serve {
            listen,
            demo,
            secure_cookies,
        } => serve::run(g, listen, demo, secure_cookies),
        Command::Admin(c) => admin::run(g, c),
        Command::Import(c) => import::run(g, c),
        Command::Demo(c) => demo::run(g, c),
        Command::Search(a) => search::search(g, *a),
        Command::Index(c) => search::index(g, c),
        Command::Export(a) => match (a.what, a.case, a.purpose, a.out) {
            (Some(c), ..) => export::run(g, c),
            (None, Some(case), Some(purpose), Some(out)) => bundle::export(
                g,
                crate::cli::BundleArgs {
                    case,
                    purpose,
                    out,
                    since: a.since,
                },
            ),
            _ => anyhow::bail!(
                "give --case, --purpose and --out, or a subcommand such as `incidents`"
            ),
        },
        Command::Verify {
            bundle,
            key,
            checkpoint,
            witnesses,
        } => bundle::verify(g, &bundle, &key, checkpoint.as_deref(), &witnesses),
        Command::Witness(c) => witness::run(g, c),
        Command::MigrateStore {
            to_database_url,
            to_blob_url,
        } => migrate::run(g, &to_database_url, &to_blob_url),
        Command::Backup { out } => backup::backup(g, &out),
        Command::Restore { from, checkpoint } => backup::restore(g, &from, checkpoint.as_deref()),
    }
}

fn data_dir(g: &Global) -> Result<&Path> {
    g.data_dir
        .as_deref()
        .context("no data dir: pass --data-dir D or set GAWAH_DATA_DIR")
}

/// An organisation by name, or an error saying how to add it.
pub fn find_org(ledger: &Ledger, name: &str) -> Result<gawah_store::records::OrgRow> {
    ledger.store.org_by_name(name.trim())?.with_context(|| {
        format!("no organisation named {name:?}; add it with `gawah admin org add`")
    })
}

/// Opens the ledger of the data dir named on the command line.
pub fn open_ledger(g: &Global, mode: OpenMode) -> Result<Ledger> {
    open_ledger_at(data_dir(g)?, mode)
}

/// Opens the ledger of the data dir at `path`.
pub fn open_ledger_at(path: &Path, mode: OpenMode) -> Result<Ledger> {
    let dir = DataDir::open(path)?;
    // SQLite in the data dir, or the PostgreSQL database its config names.
    let store = dir.database(mode)?;
    let blobs = dir.blobs()?;
    let signer = dir.signer()?;
    Ok(Ledger::new(
        store,
        Box::new(blobs),
        signer,
        Arc::new(SystemClock),
        CLI_ACTOR,
    ))
}

fn init(
    g: &Global,
    origin: Option<&str>,
    tsa_url: Option<String>,
    blob_url: Option<&str>,
    database_url: Option<&str>,
) -> Result<Outcome> {
    let path: PathBuf = data_dir(g)?.to_owned();
    let database = database_url
        .map(gawah_store::pg::DatabaseUrl::parse)
        .transpose()?;
    let source = keys::key_source(g, true)?;
    let blob = blob_url
        .map(|url| gawah_store::BlobConfig::for_init(url, &gawah_store::blob_config::process_env))
        .transpose()?;
    let (dir, _) =
        DataDir::init_with_database(&path, origin, &source, blob, tsa_url, database.as_ref())?;
    let key = dir.signer()?.verifier_key();
    if g.json {
        json_line(&json!({"data_dir": path, "origin": dir.config.origin, "key": key}))?;
    } else {
        eprintln!("created {} for log {}", path.display(), dir.config.origin);
        println!("{key}");
    }
    Ok(Outcome::Ok)
}
