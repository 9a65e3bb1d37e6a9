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
    /// File holding the passphrase that unlocks the keys (mode 0600).
    #[arg(
        long,
        global = true,
        env = "GAWAH_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
    /// Key file (64 hex digits, mode 0600) that unlocks the keys, instead of a passphrase;
    /// `init` creates it if missing.
    #[arg(long, global = true, env = "GAWAH_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a data dir: config, signing key (0600), database, blob folder.
    Init {
        /// The log's origin line and key name, e.g. `example.org/gawah`.
        #[arg(long)]
        origin: Option<String>,
        /// RFC 3161 timestamp authority (`http://` or `https://`) that stamps checkpoints
        /// (`gawah log timestamp`, bundles); written to gawah.toml as `tsa_url`.
        #[arg(long, value_name = "URL")]
        tsa_url: Option<String>,
        /// Where blobs are kept: `s3://bucket[/prefix]` (endpoint, region and plain HTTP from
        /// `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ALLOW_HTTP`, recorded; keys from
        /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` at every run, never recorded) or an
        /// absolute folder. Default: the data dir's `blobs/`. See docs/STORAGE.md.
        #[arg(long, env = "GAWAH_BLOB_URL", value_name = "URL")]
        blob_url: Option<String>,
        /// Keep records and the log in PostgreSQL (`postgres://user[:password]@host[:port]/db`)
        /// instead of the data dir's SQLite `gawah.db`; written to gawah.toml as
        /// `database_url` without the password, which comes from `GAWAH_DATABASE_URL` or
        /// `PGPASSWORD` at every run. Not yet complete: refused for now. See docs/STORAGE.md.
        #[arg(
            long,
            env = "GAWAH_DATABASE_URL",
            value_name = "URL",
            hide_env_values = true
        )]
        database_url: Option<String>,
    },
    /// Take files and folders (recursively) into custody.
    Ingest {
        /// The case these files belong to.
        #[arg(long = "case", value_name = "REF")]
        case_ref: Option<String>,
        /// Confidential: seal the files as they are written (constant memory), and keep their
        /// SHA-256 and salt only sealed. Proofs still speak of the original's SHA-256.
        #[arg(long)]
        confidential: bool,
        /// Files and folders to ingest.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Evidence items.
    #[command(subcommand)]
    Item(ItemCommand),
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Start on a fresh temporary data dir with the demo dataset.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (set when serving behind TLS).
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Organisations, members and API tokens.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The transparency log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Bulk import from JSON Lines or CSV with an HXL hashtag row (see docs/IMPORT.md).
    /// Exit 2 if any row was rejected; the others are imported.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Demo and benchmark data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Full-text and faceted search over an organisation's incidents (Dari, Pashto, English).
    Search(Box<SearchArgs>),
    /// The search index (derived from the database).
    #[command(subcommand)]
    Index(IndexCommand),
    /// Evidence bundles for legal mechanisms (`--case`), and exports for analysts
    /// (`export incidents`). Every export is logged.
    Export(ExportArgs),
    /// Check an evidence bundle offline: every file's hash and commitment, every inclusion
    /// proof, the checkpoint's signature, consistency with a checkpoint you trust. Exit 0 only
    /// if all holds.
    Verify {
        /// The bundle (zip).
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
        /// File holding the log's verifier key (`gawah log key` of the sender).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// A checkpoint of the same log you already trust: the bundle's must be consistent.
        #[arg(long, value_name = "TRUSTED")]
        checkpoint: Option<PathBuf>,
        /// Which witnesses' cosignatures the checkpoint must carry.
        #[command(flatten)]
        witnesses: WitnessPolicyArgs,
    },
    /// Witnessing (C2SP tlog-witness): logs this instance cosigns, witnesses it asks.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Move the data dir's records and blobs to another database and blob store (SQLite or
    /// PostgreSQL; a local folder or S3): every table copied row by row into an empty
    /// target, every blob copied, the copy verified in full, and only then gawah.toml
    /// rewritten (the old one kept as gawah.toml.before-migration). Stop servers first.
    MigrateStore {
        /// `sqlite` (the data dir's gawah.db, which must not exist yet) or
        /// `postgres://user[:password]@host[:port]/db` (an empty database).
        #[arg(long, value_name = "URL|sqlite")]
        to_database_url: String,
        /// `s3://bucket[/prefix]` (with the `AWS_*` variables, as at init) or an absolute
        /// folder (the data dir's own `blobs/` is recorded as the default).
        #[arg(long, value_name = "URL|PATH")]
        to_blob_url: String,
    },
    /// Write a consistent snapshot of the data dir into a new folder: the database as a
    /// SQLite file (sealed values stay sealed), the config, the log's signing key, every
    /// blob an item names, and a manifest with the head and latest checkpoint. The backup
    /// holds the signing key: keep it as safe as the server.
    Backup {
        /// The new folder to write (must not exist).
        #[arg(long, value_name = "BACKUP_DIR")]
        out: PathBuf,
    },
    /// Make a new data dir (SQLite, local blobs) from a backup, verify it in full and,
    /// with --checkpoint, check it against a checkpoint taken before. Exit 0 only if all
    /// holds; otherwise nothing is left at --data-dir.
    Restore {
        /// The backup folder.
        #[arg(long, value_name = "BACKUP_DIR")]
        from: PathBuf,
        /// A checkpoint note of this log you trusted before (`gawah log checkpoint`, a
        /// bundle's `log/checkpoint`): the restored log must be consistent with it.
        #[arg(long, value_name = "TRUSTED")]
        checkpoint: Option<PathBuf>,
    },
}

/// `gawah verify --witness WVKEY ... --min-witnesses N`.
#[derive(Debug, Args)]
pub struct WitnessPolicyArgs {
    /// A witness's cosignature key (`gawah witness key` of the witness); repeat for several.
    /// Each one's cosignature on the bundle's checkpoint is reported: valid, missing or bad.
    #[arg(long = "witness", value_name = "WVKEY")]
    pub witness: Vec<String>,
    /// How many of the --witness keys must have cosigned (default: all of them).
    #[arg(long, value_name = "N")]
    pub min_witnesses: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Print this instance's witness key (its cosignature verifier key), making it on first
    /// use (`witness-signing.key`, mode 0600).
    Key,
    /// Witness a log: `gawah serve` will cosign its checkpoints at POST /add-checkpoint, each
    /// only if consistent with the last one cosigned. Logged.
    AddLog {
        /// The log's verifier key (`gawah log key` of that instance).
        #[arg(long, value_name = "VKEY")]
        key: String,
    },
    /// Stop witnessing a log (its last state is kept). Logged.
    RemoveLog {
        /// The log's origin.
        #[arg(long)]
        origin: String,
    },
    /// Ask a witness to cosign this log's checkpoints (`gawah log cosign`). Logged.
    Add {
        /// The witness's submission prefix; requests go to <URL>/add-checkpoint.
        #[arg(long)]
        url: String,
        /// The witness's cosignature key (`gawah witness key` of that instance).
        #[arg(long, value_name = "WVKEY")]
        key: String,
    },
    /// Stop asking a witness (its cosignatures are kept). Logged.
    Remove {
        /// The witness's key name.
        #[arg(long)]
        name: String,
    },
    /// This instance's witness key, the logs it witnesses and the witnesses it asks.
    List,
}

/// What `gawah export` takes: a bundle's case, purpose and file, or a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ExportArgs {
    /// Another kind of export.
    #[command(subcommand)]
    pub what: Option<ExportCommand>,
    /// The case whose evidence goes into the bundle.
    #[arg(long = "case", value_name = "REF", required = true)]
    pub case: Option<String>,
    /// legal: originals byte for byte; public: redacted working copies only, no
    /// confidential field.
    #[arg(long, value_parser = ["legal", "public"], required = true)]
    pub purpose: Option<String>,
    /// The bundle to write (created; an existing file is not overwritten).
    #[arg(long, value_name = "BUNDLE.zip", required = true)]
    pub out: Option<PathBuf>,
    /// Include a consistency proof from this earlier tree size (the size of a checkpoint the
    /// recipient already holds), so that `gawah verify --checkpoint` can check it.
    #[arg(long, value_name = "SIZE")]
    pub since: Option<u64>,
}

/// A bundle's case, purpose and file.
#[derive(Debug)]
pub struct BundleArgs {
    /// The case.
    pub case: String,
    /// `legal` or `public`.
    pub purpose: String,
    /// The bundle to write.
    pub out: PathBuf,
    /// A tree size to prove consistency from.
    pub since: Option<u64>,
}

/// What `gawah search` takes.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The organisation's name.
    #[arg(long)]
    pub org: String,
    /// Words (all must match), "quoted phrases", -excluded words; empty lists everything.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    /// Province code (ISO 3166-2:AF); repeat for any of several.
    #[arg(long)]
    pub province: Vec<String>,
    /// Violation type; repeat for any of several.
    #[arg(long = "type")]
    pub r#type: Vec<String>,
    /// Perpetrator; repeatable.
    #[arg(long)]
    pub perpetrator: Vec<String>,
    /// Edict id; repeatable.
    #[arg(long)]
    pub edict: Vec<String>,
    /// Verification status; repeatable.
    #[arg(long)]
    pub status: Vec<String>,
    /// Source reliability (A–F); repeatable.
    #[arg(long)]
    pub reliability: Vec<String>,
    /// Language of the text (en, fa, ps); repeatable.
    #[arg(long)]
    pub language: Vec<String>,
    /// Incidents on or after this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Incidents on or before this date.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// relevance, newest or oldest.
    #[arg(long, default_value = "relevance", value_parser = ["relevance", "newest", "oldest"])]
    pub sort: String,
    /// Results to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Results to show.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub limit: u64,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Empty the index and add every incident again.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// An organisation's incidents (internal fields; never the confidential ones), for
    /// analysts. The export is logged.
    Incidents {
        /// The organisation's name.
        #[arg(long)]
        org: String,
        /// jsonl or csv (CSV with an HXL hashtag row, as `gawah import` reads).
        #[arg(long, value_parser = ["jsonl", "csv"])]
        format: String,
        /// The file to write (created; an existing file is not overwritten).
        #[arg(long, value_name = "F")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Write a deterministic synthetic corpus of clearly labelled fictional incidents (Dari,
    /// Pashto and English) into an organisation, each a logged change, in batches.
    Generate {
        /// The organisation's name (see `gawah admin org add`).
        #[arg(long)]
        org: String,
        /// How many incidents.
        #[arg(long)]
        incidents: usize,
        /// The corpus seed: the same seed gives the same incidents.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        /// Incidents per commit.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        batch: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// Show one item and its custody history.
    Show {
        /// The item id.
        id: String,
        /// Also open the confidential metadata (the file name); needs the keys, and the read
        /// is logged.
        #[arg(long)]
        confidential: bool,
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
    /// Sign the head's checkpoint if needed and ask every configured witness to cosign it
    /// (with a consistency proof from the size each last cosigned); keep the cosignatures,
    /// which bundles then carry. Not logged. Exit 1 if any witness refused or failed.
    Cosign,
    /// Have the latest checkpoint (the head, signed first if needed) stamped by an RFC 3161
    /// timestamp authority; the token is checked and kept (not a log entry). Exit 2 if the
    /// authority fails or answers wrongly; nothing is kept then.
    Timestamp {
        /// The authority (default: GAWAH_TSA_URL, else `tsa_url` in gawah.toml).
        #[arg(long, value_name = "URL")]
        tsa_url: Option<String>,
        /// Also write the authority's response (DER TimeStampResp) to this new file.
        #[arg(long, value_name = "FILE.tsr")]
        out: Option<PathBuf>,
        /// Also write the stamped text (the checkpoint up to its blank line) to this new file.
        #[arg(long, value_name = "FILE.txt")]
        text: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Members.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Keys: rotation, change of passphrase.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new version of an organisation's key and rewrap every data key under it; the
    /// old version is deleted. Logged.
    Rotate {
        /// The organisation's name, or `instance` for items ingested outside any organisation.
        #[arg(long)]
        org: String,
    },
    /// Reseal every organisation key under a new passphrase or key file. Logged.
    ChangePassphrase {
        /// File holding the new passphrase (mode 0600).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// New key file (created if missing).
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add an organisation.
    Add {
        /// Its name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a member. Admins are enrolled in TOTP; the secret is printed once.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// admin, documenter, analyst, legal or viewer.
        #[arg(long)]
        role: String,
        /// The organisation's name.
        #[arg(long)]
        org: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a member; the token is printed last, once.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
    },
    /// List a member's API tokens: id and creation time, never the token (it is not kept).
    List {
        /// Login name.
        #[arg(long)]
        username: String,
    },
    /// Revoke an API token by the id `list` shows; it stops working at once. Logged.
    Revoke {
        /// The token's id (`tok_` and 16 hex digits).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Incidents, into an organisation.
    Incidents(ImportArgs),
    /// Edicts and accountability milestones.
    Edicts(ImportArgs),
    /// An evidence bundle from another organisation's instance: verified first, then its
    /// files (same SHA-256) and the bundle itself (the sender's proofs and custody) are taken
    /// into custody, and the transfer is logged.
    Bundle {
        /// File holding the sender's verifier key; without it the key the bundle carries is
        /// used, which proves only that the bundle is consistent with itself.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// The bundle (zip).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// What `gawah import` takes.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The organisation's name (see `gawah admin org add`).
    #[arg(long)]
    pub org: String,
    /// A JSON Lines file, or a CSV file whose second row holds HXL hashtags.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}
