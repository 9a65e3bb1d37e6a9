//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// gawah: an evidence ledger for documenting persecution. Original files kept byte for byte,
/// and a tamper-evident log anyone can verify.
#[derive(Debug, Parser)]
#[command(name = "gawah", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The data directory.
    #[arg(long, global = true, env = "GAWAH_DATA_DIR", value_name = "D")]
    pub data_dir: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a data dir: config, signing key (0600), database, blob folder.
    Init {
        /// The log's origin line and key name, e.g. `example.org/gawah`.
        #[arg(long)]
        origin: Option<String>,
    },
    /// Take files and folders (recursively) into custody.
    Ingest {
        /// The case these files belong to.
        #[arg(long = "case", value_name = "REF")]
        case_ref: Option<String>,
        /// Files and folders to ingest.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Evidence items.
    #[command(subcommand)]
    Item(ItemCommand),
    /// The transparency log.
    #[command(subcommand)]
    Log(LogCommand),
}

#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// Show one item and its custody history.
    Show {
        /// The item id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Print the verifier key.
    Key,
    /// Print the latest signed checkpoint, signing the current head if needed.
    Checkpoint,
    /// Print the raw bytes of one entry.
    Entry {
        /// Entry index.
        #[arg(long)]
        index: u64,
    },
    /// Print an inclusion proof for one entry.
    Prove {
        /// Entry index.
        #[arg(long)]
        index: u64,
        /// Tree size to prove against (default: the latest checkpoint).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print a consistency proof between two tree sizes.
    Consistency {
        /// The smaller size.
        #[arg(long)]
        from: u64,
        /// The larger size.
        #[arg(long)]
        to: u64,
    },
    /// Recompute the tree from the stored entries and check the checkpoint, its signature and
    /// every blob.
    Verify,
}
