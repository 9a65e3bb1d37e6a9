//! The files of a bundle besides the evidence itself: where they are, and the exact shape of
//! the proofs. These names are a promise to users and verifiers; they do not change within
//! format `gawah-bundle/1`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_log::{Checkpoint, Hash, leaf_hash, verify_consistency, verify_inclusion};
use serde::{Deserialize, Serialize};

use crate::error::ZipError;
use crate::writer::BundleWriter;

/// The format name in `manifest.json`.
pub const FORMAT: &str = "gawah-bundle/1";
/// The manifest: what the bundle holds and claims.
pub const MANIFEST: &str = "manifest.json";
/// The human-readable report written by the exporter; not evidence, not checked.
pub const REPORT: &str = "report.html";
/// How to verify by hand; not evidence, not checked.
pub const README: &str = "README.txt";
/// The signed checkpoint every proof is against.
pub const CHECKPOINT: &str = "log/checkpoint";
/// The log's verifier key, as the organisation publishes it.
pub const KEY: &str = "log/key";
/// A consistency proof from an older checkpoint to the bundle's.
pub const CONSISTENCY: &str = "log/consistency.json";
/// Folder of the evidence files.
pub const FILES_DIR: &str = "files/";
/// First line of a C2SP tlog-proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// `log/entries/N`: the raw bytes of log entry `N`.
pub fn entry_path(index: u64) -> String {
    format!("log/entries/{index}")
}

/// `log/proofs/N.json`: the inclusion proof of entry `N`, shaped like `gawah log prove --json`.
pub fn proof_json_path(index: u64) -> String {
    format!("log/proofs/{index}.json")
}

/// `log/proofs/N.proof`: the same proof as a C2SP tlog-proof, verifiable on its own.
pub fn proof_text_path(index: u64) -> String {
    format!("log/proofs/{index}.proof")
}

/// `log/proofs/N.json`. Hashes are standard base64, as in checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofJson {
    /// Index of the entry in the log.
    pub index: u64,
    /// Size of the tree the proof is against (the checkpoint's size).
    pub tree_size: u64,
    /// SHA-256(0x00 ‖ entry).
    pub leaf_hash: String,
    /// Root of the tree of `tree_size` leaves (the checkpoint's root).
    pub root: String,
    /// The audit path, from the leaf's sibling up (RFC 6962 §2.1.1).
    pub proof: Vec<String>,
}

impl ProofJson {
    /// The proof file for `entry` at `index`.
    pub fn new(index: u64, tree_size: u64, entry: &[u8], proof: &[Hash], root: &Hash) -> Self {
        Self {
            index,
            tree_size,
            leaf_hash: B64.encode(leaf_hash(entry)),
            root: B64.encode(root),
            proof: proof.iter().map(|h| B64.encode(h)).collect(),
        }
    }
}

/// `log/consistency.json`, shaped like `gawah log consistency --json`: proves that the tree
/// of `from` leaves is a prefix of the tree of `to` leaves (RFC 6962 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyJson {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// Root of the older tree, base64 (informational: checked against the trusted checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_from: Option<String>,
    /// Root of the newer tree, base64 (informational: checked against the bundle's checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_to: Option<String>,
    /// The proof hashes, base64.
    pub proof: Vec<String>,
}

impl ConsistencyJson {
    /// The proof file from (`from`, `root_from`) to (`to`, `root_to`).
    pub fn new(from: u64, to: u64, root_from: &Hash, root_to: &Hash, proof: &[Hash]) -> Self {
        Self {
            from,
            to,
            root_from: Some(B64.encode(root_from)),
            root_to: Some(B64.encode(root_to)),
            proof: proof.iter().map(|h| B64.encode(h)).collect(),
        }
    }

    /// Checks the proof between two checkpoints; `old` must be the `from` side.
    pub fn check(&self, old: &Checkpoint, new: &Checkpoint) -> Result<(), String> {
        if (self.from, self.to) != (old.size, new.size) {
            return Err(format!(
                "the consistency proof is from size {} to {}, but the checkpoints have sizes {} and {}",
                self.from, self.to, old.size, new.size
            ));
        }
        for (root, cp, which) in [
            (&self.root_from, old, "older"),
            (&self.root_to, new, "newer"),
        ] {
            if root.as_ref().is_some_and(|r| *r != B64.encode(cp.root)) {
                return Err(format!(
                    "the consistency proof names a different root for the {which} tree"
                ));
            }
        }
        let proof = decode_hashes(&self.proof)?;
        verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
            .map_err(|e| e.to_string())
    }
}

/// Decodes base64 hashes, each exactly 32 bytes.
pub fn decode_hashes(hashes: &[String]) -> Result<Vec<Hash>, String> {
    hashes.iter().map(|h| decode_hash(h)).collect()
}

/// Decodes one base64 hash of exactly 32 bytes.
pub fn decode_hash(hash: &str) -> Result<Hash, String> {
    let bytes = B64
        .decode(hash)
        .map_err(|_| format!("{hash:?} is not base64"))?;
    Hash::try_from(bytes.as_slice())
        .map_err(|_| format!("a hash of {} bytes, expected 32", bytes.len()))
}

/// A C2SP tlog-proof (<https://c2sp.org/tlog-proof>): one file that proves an entry is in
/// the log, given only the log's key.
///
/// ```text
/// c2sp.org/tlog-proof@v1
/// extra <base64 of the entry's bytes>
/// index <N>
/// <base64 proof hash, one per line, from the leaf's sibling up>
///
/// <the signed checkpoint, verbatim>
/// ```
///
/// gawah puts the entry itself in `extra`, so the leaf hash can be recomputed from this file
/// alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// The opaque extra data (for gawah: the entry bytes).
    pub extra: Option<Vec<u8>>,
    /// The entry's index.
    pub index: u64,
    /// The inclusion proof.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut out = format!("{TLOG_PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", B64.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses the text form strictly (canonical decimal index, 32-byte hashes).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rest = text
            .strip_prefix(TLOG_PROOF_HEADER)
            .and_then(|r| r.strip_prefix('\n'))
            .ok_or("does not start with the line c2sp.org/tlog-proof@v1")?;
        let mut line = || -> Result<&str, String> {
            let (l, r) = rest.split_once('\n').ok_or("ends too early")?;
            rest = r;
            Ok(l)
        };
        let mut current = line()?;
        let mut extra = None;
        if let Some(e) = current.strip_prefix("extra ") {
            extra = Some(B64.decode(e).map_err(|_| "the extra line is not base64")?);
            current = line()?;
        }
        let index = current.strip_prefix("index ").ok_or("no index line")?;
        let canonical = !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit())
            && (index == "0" || !index.starts_with('0'));
        let index = index
            .parse()
            .ok()
            .filter(|_| canonical)
            .ok_or("the index is not a canonical decimal")?;
        let mut hashes = Vec::new();
        loop {
            let l = line()?;
            if l.is_empty() {
                break;
            }
            hashes.push(decode_hash(l)?);
        }
        Ok(Self {
            extra,
            index,
            hashes,
            checkpoint: rest.to_owned(),
        })
    }
}

/// The text of a signed note (everything before the blank line, with its final newline),
/// not verified.
pub fn note_text(note: &str) -> Option<&str> {
    note.rfind("\n\n").map(|i| &note[..=i])
}

/// One log entry with its inclusion proof in the bundle's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenEntry {
    /// Index in the log.
    pub index: u64,
    /// The entry's bytes.
    pub bytes: Vec<u8>,
    /// Its inclusion proof in the checkpoint's tree.
    pub proof: Vec<Hash>,
}

impl<W: std::io::Write + std::io::Seek> BundleWriter<W> {
    /// Writes `log/checkpoint`, `log/key`, every entry with both proof files, and
    /// `log/consistency.json` if given. Every proof is checked against the checkpoint first,
    /// so a wrong one is refused here rather than by the court.
    pub fn add_log(
        &mut self,
        checkpoint_note: &str,
        key: &str,
        entries: &[ProvenEntry],
        consistency: Option<&ConsistencyJson>,
    ) -> Result<(), ZipError> {
        let bad = |m: String| ZipError::BadLog(m);
        let text = note_text(checkpoint_note)
            .ok_or_else(|| bad("the checkpoint is not a signed note".into()))?;
        let cp = Checkpoint::parse(text).map_err(|e| bad(e.to_string()))?;
        self.add_bytes(CHECKPOINT, checkpoint_note.as_bytes())?;
        self.add_bytes(KEY, format!("{}\n", key.trim()).as_bytes())?;
        for e in entries {
            verify_inclusion(e.index, cp.size, &leaf_hash(&e.bytes), &e.proof, &cp.root)
                .map_err(|err| bad(format!("entry {}: {err}", e.index)))?;
            let json = ProofJson::new(e.index, cp.size, &e.bytes, &e.proof, &cp.root);
            let text = TlogProof {
                extra: Some(e.bytes.clone()),
                index: e.index,
                hashes: e.proof.clone(),
                checkpoint: checkpoint_note.to_owned(),
            };
            self.add_bytes(&entry_path(e.index), &e.bytes)?;
            self.add_bytes(&proof_json_path(e.index), &to_json(&json))?;
            self.add_bytes(&proof_text_path(e.index), text.to_text().as_bytes())?;
        }
        if let Some(c) = consistency {
            if c.to != cp.size {
                return Err(bad(format!(
                    "the consistency proof ends at size {}, the checkpoint has {}",
                    c.to, cp.size
                )));
            }
            self.add_bytes(CONSISTENCY, &to_json(c))?;
        }
        Ok(())
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn to_json(value: &impl Serialize) -> Vec<u8> {
    // Serialising these plain structs and JSON values cannot fail.
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}
