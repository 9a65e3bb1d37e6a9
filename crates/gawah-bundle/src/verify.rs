//! The offline verifier. See the crate documentation for what it establishes and why.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use gawah_log::{Checkpoint, MAX_NOTE_BYTES, NoteError, NoteVerifier, open_checkpoint};
use sha2::{Digest, Sha256};

use crate::items::Entry;
use crate::layout::*;
use crate::manifest::Manifest;
use crate::reader::{BundleReader, Limits};
use crate::report::{ItemReport, Outcome, Report};

/// The commitment's domain separation prefix.
pub const COMMIT_DOMAIN: &[u8] = b"gawah-commit/v1";

/// What the verifier allows and what extra material it is given.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Bounds on the archive.
    pub limits: Limits,
    /// A consistency proof (`log/consistency.json` shape, e.g. from
    /// `gawah log consistency --json`) from the bundle's checkpoint to a *newer* trusted
    /// checkpoint, which the bundle cannot carry because it was made before it.
    pub newer_consistency: Option<String>,
    /// Witness cosignature keys (`<name>+<key id>+<base64(0x04 ‖ key)>`, C2SP
    /// tlog-cosignature): each one's cosignature on the checkpoint is reported.
    pub witnesses: Vec<String>,
    /// How many of [`witnesses`](Policy::witnesses) must have cosigned; `None`: all.
    pub min_witnesses: Option<usize>,
}

/// The verifier's inputs could not be used: nothing about the bundle was concluded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The key is not a verifier key.
    #[error("the key is not a verifier key (<name>+<hex key id>+<base64 key>): {0}")]
    Key(NoteError),
    /// The trusted checkpoint is not a checkpoint signed by the key.
    #[error("the trusted checkpoint does not verify with the key: {0}")]
    Trusted(NoteError),
    /// The newer consistency proof is not valid.
    #[error("the consistency proof given is not valid: {0}")]
    Consistency(String),
    /// A witness key is not one, or more witnesses are required than keys given.
    #[error("witness policy: {0}")]
    Witnesses(String),
    /// The bundle file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// `hex(SHA-256("gawah-commit/v1" ‖ salt ‖ file_sha256))`.
pub fn commitment(salt: &[u8; 32], file_sha256: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(COMMIT_DOMAIN);
    h.update(salt);
    h.update(file_sha256);
    hex::encode(h.finalize())
}

/// Verifies the bundle at `path` offline against the log key `key` (the organisation's
/// published `<name>+<key id>+<key>` string) and, if given, a checkpoint note obtained
/// independently earlier (`trusted`).
///
/// Returns `Err` only when the inputs are unusable (bad key, bad trusted checkpoint, file
/// unreadable); everything about the bundle itself, including "not a zip at all", is in the
/// [`Report`].
pub fn verify(
    path: &Path,
    key: &str,
    trusted: Option<&str>,
    policy: &Policy,
) -> Result<Report, VerifyError> {
    let io = |source| VerifyError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(io(std::io::Error::other("not a regular file")));
    }
    let archive = BufReader::with_capacity(256 * 1024, file);
    verify_archive(archive, &path.display().to_string(), key, trusted, policy)
}

/// [`verify`] over any seekable reader (an open file, bytes in memory).
pub fn verify_archive<R: Read + Seek>(
    archive: R,
    label: &str,
    key: &str,
    trusted: Option<&str>,
    policy: &Policy,
) -> Result<Report, VerifyError> {
    let verifier = NoteVerifier::parse(key.trim()).map_err(VerifyError::Key)?;
    let trusted = trusted
        .map(|t| open_checkpoint(t, &verifier).map(|(cp, _)| cp))
        .transpose()
        .map_err(VerifyError::Trusted)?;
    let newer = policy
        .newer_consistency
        .as_deref()
        .map(|j| {
            serde_json::from_str::<ConsistencyJson>(j)
                .map_err(|e| VerifyError::Consistency(e.to_string()))
        })
        .transpose()?;
    let witnesses = crate::witnesses::WitnessPolicy::parse(&policy.witnesses, policy.min_witnesses)
        .map_err(VerifyError::Witnesses)?;
    let mut report = Report::new(label.to_owned());
    let mut zip = match BundleReader::new(archive, &policy.limits) {
        Ok(z) => {
            let n = z.entries().len();
            report.push("archive", Outcome::Pass(format!(
                "{n} files; zip structure sound (stored, not compressed; no links; safe, distinct names; headers agree)"
            )));
            z
        }
        Err(e) => {
            report.push("archive", Outcome::Fail(format!("not a valid bundle: {e}")));
            return Ok(report.conclude());
        }
    };
    let mut v = Run {
        zip: &mut zip,
        limits: &policy.limits,
        read: HashSet::new(),
        entries: HashMap::new(),
        cp: None,
        note: String::new(),
    };
    v.bundle(&mut report, &verifier, trusted.as_ref(), newer.as_ref());
    let note = v.cp.is_some().then_some(v.note.as_str());
    witnesses.check(&mut report, &verifier, note);
    Ok(report.conclude())
}

/// State of one verification.
pub(crate) struct Run<'a, R> {
    pub(crate) zip: &'a mut BundleReader<R>,
    pub(crate) limits: &'a Limits,
    /// Entries already read to the end with their CRC-32 checked.
    pub(crate) read: HashSet<String>,
    /// Log entries already loaded and proven (or refused), by index.
    pub(crate) entries: HashMap<u64, Result<Entry, String>>,
    /// The bundle's checkpoint, once it verified.
    pub(crate) cp: Option<Checkpoint>,
    /// Its note text, verbatim.
    pub(crate) note: String,
}

pub(crate) fn pass(m: impl Into<String>) -> Outcome {
    Outcome::Pass(m.into())
}
pub(crate) fn fail(m: impl Into<String>) -> Outcome {
    Outcome::Fail(m.into())
}

impl<R: Read + Seek> Run<'_, R> {
    pub(crate) fn read_small(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        if self.zip.entry(name).is_none() {
            return Err(format!("{name} is missing from the bundle"));
        }
        let bytes = self
            .zip
            .read_bounded(name, limit)
            .map_err(|e| e.to_string())?;
        self.read.insert(name.to_owned());
        Ok(bytes)
    }

    pub(crate) fn read_text(&mut self, name: &str, limit: u64) -> Result<String, String> {
        String::from_utf8(self.read_small(name, limit)?)
            .map_err(|_| format!("{name} is not UTF-8 text"))
    }

    fn bundle(
        &mut self,
        report: &mut Report,
        verifier: &NoteVerifier,
        trusted: Option<&Checkpoint>,
        newer: Option<&ConsistencyJson>,
    ) {
        let json_limit = self.limits.max_json_bytes;
        let manifest = match self
            .read_small(MANIFEST, json_limit)
            .and_then(|b| Manifest::parse(&b))
        {
            Ok(m) => m,
            Err(e) => {
                report.push("manifest", fail(e));
                self.sweep(report);
                return;
            }
        };
        report.push(
            "manifest",
            pass(format!(
                "{} item(s), format {}",
                manifest.items.len(),
                manifest.format
            )),
        );
        report.purpose = Some(format!("{:?}", manifest.purpose).to_lowercase());
        report.case = Some(manifest.case.clone());
        report.created = Some(manifest.created.clone());
        self.checkpoint(report, verifier, &manifest);
        self.key_file(report, verifier);
        self.consistency(report, &manifest, trusted, newer);
        self.timestamp(report, &manifest);
        self.stray_files(report, &manifest);
        for item in &manifest.items {
            let checks = self.item(item);
            report.items.push(ItemReport {
                item: item.item.clone(),
                path: item.path.clone(),
                ok: false,
                checks,
            });
        }
        self.sweep(report);
    }

    fn checkpoint(&mut self, report: &mut Report, verifier: &NoteVerifier, manifest: &Manifest) {
        let note = match self.read_text(CHECKPOINT, MAX_NOTE_BYTES as u64) {
            Ok(n) => n,
            Err(e) => return report.push("checkpoint", fail(e)),
        };
        let vkey = verifier.verifier_key();
        match open_checkpoint(&note, verifier) {
            Ok((cp, _)) => {
                report.push(
                    "checkpoint",
                    pass(format!(
                        "signed by {vkey}: log {}, {} entries, root {}",
                        cp.origin,
                        cp.size,
                        hex::encode(cp.root)
                    )),
                );
                if manifest.origin != cp.origin || manifest.tree_size != cp.size {
                    report.push("manifest", fail(format!(
                        "the manifest says log {} at size {}, the checkpoint says {} at size {}",
                        manifest.origin, manifest.tree_size, cp.origin, cp.size
                    )));
                }
                report.origin = Some(cp.origin.clone());
                report.tree_size = Some(cp.size);
                self.cp = Some(cp);
                self.note = note;
            }
            Err(e) => report.push("checkpoint", fail(checkpoint_error(&e, &note, &vkey))),
        }
    }

    fn key_file(&mut self, report: &mut Report, verifier: &NoteVerifier) {
        let given = verifier.verifier_key();
        match self.read_text(KEY, 4096) {
            Ok(k) if k.trim() == given => report.push("key", pass("log/key is the key you gave")),
            Ok(k) => report.push("key", fail(format!(
                "log/key ({}) is not the key you gave ({given}); only the key you gave is trusted",
                k.trim()
            ))),
            Err(e) => report.push("key", fail(e)),
        }
    }

    fn consistency(
        &mut self,
        report: &mut Report,
        manifest: &Manifest,
        trusted: Option<&Checkpoint>,
        newer: Option<&ConsistencyJson>,
    ) {
        const WHAT: &str = "consistency";
        let Some(t) = trusted else {
            return report.push(WHAT, Outcome::Note(
                "no trusted checkpoint given: the checkpoint is checked against the key only; give one you obtained independently earlier to detect a forked log".into(),
            ));
        };
        let Some(b) = self.cp.clone() else {
            return report.push(
                WHAT,
                fail("not checked: the bundle's checkpoint did not verify"),
            );
        };
        let outcome = if t.size == b.size {
            if t.root == b.root {
                pass(format!(
                    "the trusted checkpoint has the same size ({}) and root",
                    t.size
                ))
            } else {
                fail(format!(
                    "FORK: the trusted checkpoint and the bundle's both have size {} but different roots: the log has shown two different histories",
                    t.size
                ))
            }
        } else if t.size < b.size {
            match (
                &manifest.consistency,
                self.read_text(CONSISTENCY, self.limits.max_json_bytes),
            ) {
                (Some(_), Ok(text)) => match serde_json::from_str::<ConsistencyJson>(&text) {
                    Ok(c) => match c.check(t, &b) {
                        Ok(()) => pass(format!(
                            "the bundle's checkpoint (size {}) extends the trusted one (size {})",
                            b.size, t.size
                        )),
                        Err(e) => fail(format!(
                            "log/consistency.json does not prove that size {} extends the trusted size {}: {e}",
                            b.size, t.size
                        )),
                    },
                    Err(e) => fail(format!(
                        "log/consistency.json is not a consistency proof: {e}"
                    )),
                },
                _ => fail(format!(
                    "the bundle carries no log/consistency.json proving that its checkpoint (size {}) extends the trusted one (size {})",
                    b.size, t.size
                )),
            }
        } else {
            match newer {
                Some(c) => match c.check(&b, t) {
                    Ok(()) => pass(format!(
                        "the trusted checkpoint (size {}) extends the bundle's (size {})",
                        t.size, b.size
                    )),
                    Err(e) => fail(format!(
                        "the consistency proof given does not prove that size {} extends size {}: {e}",
                        t.size, b.size
                    )),
                },
                None => fail(format!(
                    "the trusted checkpoint (size {}) is newer than the bundle's (size {}): give a consistency proof from {} to {} (gawah log consistency --from {} --to {} --json)",
                    t.size, b.size, b.size, t.size, b.size, t.size
                )),
            }
        };
        report.push(WHAT, outcome);
    }

    /// Every file in the archive must be named by the manifest or be an allowed extra.
    fn stray_files(&mut self, report: &mut Report, manifest: &Manifest) {
        let mut allowed: HashSet<String> = [MANIFEST, REPORT, README, CHECKPOINT, KEY]
            .map(String::from)
            .into();
        if manifest.consistency.is_some() {
            allowed.insert(CONSISTENCY.into());
        }
        if manifest.timestamp.is_some() {
            allowed.extend([crate::TIMESTAMP.into(), crate::TIMESTAMP_TEXT.into()]);
        }
        for item in &manifest.items {
            allowed.insert(item.path.clone());
            let derived = item.derived_from.as_ref().map(|d| d.entry);
            for n in item.entries.iter().copied().chain(derived) {
                allowed.extend([entry_path(n), proof_json_path(n), proof_text_path(n)]);
            }
        }
        let stray: Vec<&str> = self
            .zip
            .entries()
            .iter()
            .map(|e| e.name())
            .filter(|n| !allowed.contains(*n))
            .collect();
        if stray.is_empty() {
            report.push("contents", pass("every file in the bundle is listed in the manifest or is part of the log material"));
        }
        for name in stray {
            report.push(
                "contents",
                fail(format!(
                    "{name} is in the bundle but not listed in the manifest"
                )),
            );
        }
    }

    /// Reads to the end every file not read yet, so that its CRC-32 is checked too.
    fn sweep(&mut self, report: &mut Report) {
        let names: Vec<String> = self
            .zip
            .entries()
            .iter()
            .map(|e| e.name().to_owned())
            .collect();
        for name in names.into_iter().filter(|n| !self.read.contains(n)) {
            match self.zip.digest(&name) {
                Ok(d) if d.crc_ok() => {}
                Ok(d) => report.push("integrity", fail(format!(
                    "CRC-32 of {name} is {:08x} but the archive records {:08x}: altered or damaged", d.actual_crc, d.stored_crc
                ))),
                Err(e) => report.push("integrity", fail(e.to_string())),
            }
        }
    }
}

/// A specific sentence for each way the bundle's checkpoint can fail.
fn checkpoint_error(e: &NoteError, note: &str, vkey: &str) -> String {
    match e {
        NoteError::BadSignature { name } => format!(
            "the signature by {name} does not verify: the checkpoint was altered after it was signed"
        ),
        NoteError::NoVerifiedSignature => {
            let signers: BTreeSet<&str> = note
                .lines()
                .filter_map(|l| l.strip_prefix("\u{2014} "))
                .filter_map(|l| l.split(' ').next())
                .collect();
            let signers: Vec<&str> = signers.into_iter().collect();
            format!(
                "the checkpoint is not signed by the key you gave ({vkey}); it is signed by: {}",
                if signers.is_empty() {
                    "nobody".into()
                } else {
                    signers.join(", ")
                }
            )
        }
        NoteError::OriginMismatch { origin, key } => {
            format!("the checkpoint is for log {origin}, but the key you gave is for log {key}")
        }
        other => format!("log/checkpoint is not a valid signed checkpoint: {other}"),
    }
}
