//! Where the keys come from: a key file, a passphrase file, or a prompt on the terminal; and
//! `gawah admin keys` (rotation, change of passphrase).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use gawah_core::seal::KeySource;
use gawah_core::{Action, LogEntry};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, Keyring, Ledger, RecordWrite};
use zeroize::Zeroizing;

use super::open_ledger;
use crate::cli::Global;

/// The key source named on the command line or in the environment, or a passphrase typed at
/// the terminal. With `new`, a missing key file is created, and a typed passphrase is asked
/// twice.
pub fn key_source(g: &Global, new: bool) -> Result<KeySource> {
    if let Some(path) = &g.key_file {
        if new && !path.exists() {
            eprintln!(
                "creating key file {} (mode 0600); keep a copy offline",
                path.display()
            );
            return Ok(KeySource::create_key_file(path)?);
        }
        return Ok(KeySource::key_file(path)?);
    }
    if let Some(path) = &g.passphrase_file {
        return Ok(KeySource::passphrase_file(path)?);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "this command needs the keys: pass --passphrase-file FILE (or set GAWAH_PASSPHRASE_FILE), or --key-file FILE (or GAWAH_KEY_FILE)"
        );
    }
    let first = prompt_secret("passphrase: ")?;
    if new {
        let again = prompt_secret("passphrase again: ")?;
        if *first != *again {
            bail!("the passphrases differ");
        }
    }
    Ok(KeySource::Passphrase(first))
}

/// Reads a line from the terminal without echoing it.
fn prompt_secret(prompt: &str) -> Result<Zeroizing<String>> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).context("reading terminal settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    tcsetattr(&stdin, OptionalActions::Now, &quiet).context("turning echo off")?;
    let mut line = Zeroizing::new(String::new());
    let read = stdin.lock().read_line(&mut line);
    tcsetattr(&stdin, OptionalActions::Now, &saved).context("turning echo back on")?;
    eprintln!();
    read.context("reading the passphrase")?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
    Ok(trimmed)
}

/// Unlocks the keyring of `ledger` with the key source of `g`.
pub fn unlock(g: &Global, ledger: Ledger) -> Result<Ledger> {
    let source = key_source(g, false)?;
    let keys = Keyring::unlock(ledger.store.as_key_store(), &source)?;
    Ok(ledger.with_keys(Arc::new(keys)))
}

/// Opens the ledger of the data dir named on the command line, with its keys unlocked.
pub fn open_unlocked(g: &Global, mode: OpenMode) -> Result<Ledger> {
    unlock(g, open_ledger(g, mode)?)
}

/// `gawah admin keys rotate`: a new key version for `scope`, every data key rewrapped.
pub fn rotate(g: &Global, scope: &str) -> Result<()> {
    let ledger = open_unlocked(g, OpenMode::Checked)?;
    let rotation = ledger.keys()?.rotate(ledger.store.as_key_store(), scope)?;
    let (version, count) = (rotation.key.version, rotation.rewrapped.len());
    let entry = LogEntry::new(ledger.clock().now(), ledger.actor(), Action::Update, scope)
        .with_field("key", "rotated")
        .with_field("key_version", &version.to_string());
    ledger.commit(&[Change {
        record: RecordWrite::RotateKey(rotation),
        entry,
    }])?;
    eprintln!("rotated the key of {scope} to version {version}; rewrapped {count} data keys");
    Ok(())
}

/// `gawah admin keys change-passphrase`: reseals every organisation key under a new
/// passphrase or key file.
pub fn change_secret(
    g: &Global,
    new_passphrase: Option<&Path>,
    new_key_file: Option<&Path>,
) -> Result<()> {
    let ledger = open_unlocked(g, OpenMode::Checked)?;
    let new_source = match (new_passphrase, new_key_file) {
        (Some(p), None) => KeySource::passphrase_file(p)?,
        (None, Some(k)) if !k.exists() => KeySource::create_key_file(k)?,
        (None, Some(k)) => KeySource::key_file(k)?,
        _ => bail!("give exactly one of --new-passphrase-file and --new-key-file"),
    };
    let (ring, keys) = ledger
        .keys()?
        .rekey(ledger.store.as_key_store(), &new_source)?;
    let entry = LogEntry::new(
        ledger.clock().now(),
        ledger.actor(),
        Action::Update,
        "keyring",
    )
    .with_field("key", "resealed");
    ledger.commit(&[Change {
        record: RecordWrite::Rekey { ring, keys },
        entry,
    }])?;
    eprintln!("the keys now open with the new secret only");
    Ok(())
}
