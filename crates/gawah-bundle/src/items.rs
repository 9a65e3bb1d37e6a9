//! The verifier's checks of each item: its file, its commitment, its log entries and
//! their inclusion proofs, its derivation and its custody records.

use std::io::{Read, Seek};

use gawah_log::{Checkpoint, leaf_hash, verify_inclusion};
use serde_json::{Map, Value};

use crate::layout::*;
use crate::manifest::Item;
use crate::report::{Check, Outcome};
use crate::verify::{Run, commitment, fail, pass};

/// The largest log entry (the C2SP tlog-tiles limit).
const MAX_ENTRY_BYTES: u64 = 65_535;

/// A log entry that was found, is canonical and is proven included in the checkpoint.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    fields: Map<String, Value>,
    proof_len: usize,
}

impl Entry {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

impl<R: Read + Seek> Run<'_, R> {
    pub(crate) fn item(&mut self, item: &Item) -> Vec<Check> {
        let mut checks = Vec::new();
        let push = |checks: &mut Vec<Check>, what: &str, outcome| {
            checks.push(Check {
                what: what.into(),
                outcome,
            })
        };
        for p in item.problems() {
            push(&mut checks, "manifest", fail(p));
        }
        let mut file_sha = None;
        if self.zip.entry(&item.path).is_none() {
            push(
                &mut checks,
                "file",
                fail(format!(
                    "{} is listed in the manifest but missing from the bundle",
                    item.path
                )),
            );
        } else {
            match self.zip.digest(&item.path) {
                Err(e) => push(&mut checks, "file", fail(e.to_string())),
                Ok(d) => {
                    self.read.insert(item.path.clone());
                    if !d.crc_ok() {
                        push(
                            &mut checks,
                            "zip crc",
                            fail(format!(
                                "CRC-32 of {} is {:08x} but the archive records {:08x}: the file was altered or damaged inside the archive",
                                item.path, d.actual_crc, d.stored_crc
                            )),
                        );
                    }
                    push(
                        &mut checks,
                        "size",
                        if d.bytes == item.bytes {
                            pass(format!("{} bytes, as listed", d.bytes))
                        } else {
                            fail(format!(
                                "{} has {} bytes, the manifest says {}",
                                item.path, d.bytes, item.bytes
                            ))
                        },
                    );
                    let actual = hex::encode(d.sha256);
                    push(
                        &mut checks,
                        "sha256",
                        if actual == item.sha256 {
                            pass(format!("{actual}, as listed"))
                        } else {
                            fail(format!(
                                "SHA-256 of {} is {actual}, the manifest says {}",
                                item.path, item.sha256
                            ))
                        },
                    );
                    file_sha = Some(d.sha256);
                }
            }
        }
        let Some(&first) = item.entries.first() else {
            return checks;
        };
        for &n in &item.entries {
            let outcome = match self.entry(n) {
                Ok(e) if e.get("subject") != Some(item.item.as_str()) => fail(format!(
                    "entry {n} is about {:?}, not {}",
                    e.get("subject").unwrap_or("nothing"),
                    item.item
                )),
                Ok(e) => pass(describe(&e)),
                Err(m) => fail(m),
            };
            push(&mut checks, &format!("entry {n}"), outcome);
        }
        let head = self.entry(first).ok();
        let salt =
            <[u8; 32]>::try_from(hex::decode(&item.salt).unwrap_or_default().as_slice()).ok();
        let outcome = match (&head, file_sha, salt) {
            (None, ..) => fail(format!("not checked: entry {first} is not proven")),
            (_, None, _) => fail("not checked: the file could not be read"),
            (_, _, None) => fail("not checked: the salt is not 32 bytes of hex"),
            (Some(e), Some(sha), Some(salt)) => {
                let ours = commitment(&salt, &sha);
                match e.get("commitment") {
                    None => fail(format!("entry {first} carries no commitment")),
                    Some(c) if c == ours => pass(format!(
                        "SHA-256(\"gawah-commit/v1\" ‖ salt ‖ SHA-256(file)) = {ours}, as entry {first} commits"
                    )),
                    Some(c) => fail(format!(
                        "commitment recomputed from the salt and the file ({ours}) differs from entry {first}'s commitment ({c}): the file or its salt is not the one logged"
                    )),
                }
            }
        };
        push(&mut checks, "commitment", outcome);
        if let Some(e) = &head {
            checks.extend(self.origin_checks(item, first, e));
        }
        checks.extend(self.custody(item));
        if !item.metadata.is_empty() {
            push(
                &mut checks,
                "metadata",
                Outcome::Note(format!(
                    "{} field(s) stated by the exporter, not verified by the log",
                    item.metadata.len()
                )),
            );
        }
        checks
    }

    /// The first entry's kind, and for a working copy, the original it came from.
    fn origin_checks(&mut self, item: &Item, first: u64, e: &Entry) -> Vec<Check> {
        let mut out = Vec::new();
        let action = e.get("action").unwrap_or("");
        let original = e.get("original");
        // intake: an original file; redaction: a working copy; create/update: a version of a
        // record (a testimony), whose entry commits to that version's canonical JSON.
        if !matches!(action, "intake" | "redaction" | "create" | "update") {
            out.push(Check { what: "first entry".into(), outcome: fail(format!(
                "entry {first} is a {action:?} entry; an item's first entry must commit to it (intake, redaction for a copy, create or update for a record version)"
            )) });
        }
        let Some(d) = &item.derived_from else {
            if action == "redaction" || original.is_some() {
                out.push(Check { what: "derivation".into(), outcome: fail(format!(
                    "entry {first} says this file is a redacted copy of {}, but the manifest presents it as an original (no derived_from)",
                    original.unwrap_or("another item")
                )) });
            }
            return out;
        };
        let outcome = if action != "redaction" || original != Some(d.item.as_str()) {
            fail(format!(
                "the manifest says this is a copy of {}, but entry {first} is a {action:?} entry naming original {:?}",
                d.item,
                original.unwrap_or("none")
            ))
        } else {
            match self.entry(d.entry) {
                Err(m) => fail(format!("the original's entry: {m}")),
                Ok(o) if o.get("subject") != Some(d.item.as_str()) => fail(format!(
                    "entry {} is about {:?}, not the original {}",
                    d.entry,
                    o.get("subject").unwrap_or("nothing"),
                    d.item
                )),
                Ok(o) if o.get("commitment").is_none() => fail(format!(
                    "the original's entry {} carries no commitment",
                    d.entry
                )),
                Ok(o) => pass(format!(
                    "a redacted copy of {}, which was logged at entry {} ({}); that commitment is not opened here (the original is not in this file list unless listed as its own item)",
                    d.item,
                    d.entry,
                    o.get("time").unwrap_or("?")
                )),
            }
        };
        out.push(Check {
            what: "derivation".into(),
            outcome,
        });
        out
    }

    fn custody(&mut self, item: &Item) -> Vec<Check> {
        let mut out = Vec::new();
        let (mut checked, mut unverifiable) = (0, 0);
        for (i, record) in item.custody.iter().enumerate() {
            let Some(obj) = record.as_object() else {
                out.push(Check {
                    what: "custody".into(),
                    outcome: fail(format!("custody record {i} is not a JSON object")),
                });
                continue;
            };
            let Some(n) = obj.get("entry") else {
                unverifiable += 1;
                continue;
            };
            let problem = match n.as_u64() {
                None => Some(format!("custody record {i}: entry is not a log index")),
                Some(n) if !item.entries.contains(&n) => Some(format!(
                    "custody record {i} names entry {n}, which is not among the item's entries"
                )),
                Some(n) => match self.entry(n) {
                    Err(_) => Some(format!(
                        "custody record {i}: not checked, entry {n} is not proven"
                    )),
                    Ok(e) => ["action", "time", "actor", "subject"].iter().find_map(|k| {
                        let stated = obj.get(*k)?;
                        (stated.as_str() != e.get(k)).then(|| {
                            format!(
                                "custody record {i} says {k} {stated}, but log entry {n} says {:?}",
                                e.get(k).unwrap_or("nothing")
                            )
                        })
                    }),
                },
            };
            match problem {
                Some(p) => out.push(Check {
                    what: "custody".into(),
                    outcome: fail(p),
                }),
                None => checked += 1,
            }
        }
        if !item.custody.is_empty() && out.is_empty() {
            out.push(Check { what: "custody".into(), outcome: pass(format!(
                "{checked} record(s) agree with their log entries; {unverifiable} record(s) name no entry and are the exporter's statement only"
            )) });
        }
        out
    }

    /// Loads, checks and proves entry `n` (once; the result is cached).
    fn entry(&mut self, n: u64) -> Result<Entry, String> {
        if let Some(r) = self.entries.get(&n) {
            return r.clone();
        }
        let result = match self.cp.clone() {
            None => Err("not checked: the checkpoint did not verify".into()),
            Some(cp) => self.load_entry(n, &cp),
        };
        self.entries.insert(n, result.clone());
        result
    }

    fn load_entry(&mut self, n: u64, cp: &Checkpoint) -> Result<Entry, String> {
        let bytes = self.read_small(&entry_path(n), MAX_ENTRY_BYTES)?;
        let fields = canonical_entry(&bytes).map_err(|e| format!("{}: {e}", entry_path(n)))?;
        let leaf = leaf_hash(&bytes);
        let json = self.read_small(&proof_json_path(n), self.limits.max_json_bytes)?;
        let pj: ProofJson = serde_json::from_slice(&json)
            .map_err(|e| format!("{} is not a proof: {e}", proof_json_path(n)))?;
        let root_b64 = base64_of(&cp.root);
        if pj.index != n
            || pj.tree_size != cp.size
            || pj.root != root_b64
            || pj.leaf_hash != base64_of(&leaf)
        {
            return Err(format!(
                "{} is for index {} in a tree of {} with root {} and leaf {}, not entry {n} in the checkpoint's tree",
                proof_json_path(n),
                pj.index,
                pj.tree_size,
                pj.root,
                pj.leaf_hash
            ));
        }
        let proof = decode_hashes(&pj.proof).map_err(|e| format!("{}: {e}", proof_json_path(n)))?;
        verify_inclusion(n, cp.size, &leaf, &proof, &cp.root).map_err(|e| {
            format!("the inclusion proof of entry {n} does not lead to the checkpoint's root: {e}")
        })?;
        let text = self.read_text(&proof_text_path(n), self.limits.max_json_bytes)?;
        let tp = TlogProof::parse(&text)
            .map_err(|e| format!("{} is not a tlog-proof: {e}", proof_text_path(n)))?;
        if tp.index != n
            || tp.hashes != proof
            || tp.extra.as_deref() != Some(&bytes[..])
            || tp.checkpoint != self.note
        {
            return Err(format!(
                "{} does not match the entry, its JSON proof and log/checkpoint",
                proof_text_path(n)
            ));
        }
        Ok(Entry {
            fields,
            proof_len: proof.len(),
        })
    }
}

fn base64_of(h: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(h)
}

fn describe(e: &Entry) -> String {
    format!(
        "{} by {} at {}; included in the checkpoint (inclusion proof of {} hashes)",
        e.get("action").unwrap_or("?"),
        e.get("actor").unwrap_or("?"),
        e.get("time").unwrap_or("?"),
        e.proof_len
    )
}

/// An entry must be a canonical JSON object (sorted keys, no whitespace) of schema 1, whose
/// `subject`, `action`, `actor` and `time` are strings.
fn canonical_entry(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| "not JSON")?;
    let Value::Object(fields) = value else {
        return Err("not a JSON object".into());
    };
    let keys: Vec<&String> = fields.keys().collect();
    let sorted = keys.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes());
    let compact = serde_json::to_vec(&fields).map_err(|e| e.to_string())?;
    if !sorted || compact != bytes {
        return Err("not in canonical form (sorted keys, no whitespace)".into());
    }
    if fields.get("v").and_then(Value::as_u64) != Some(1) {
        return Err("not a schema version 1 entry".into());
    }
    for k in ["subject", "action", "actor", "time"] {
        if !fields.get(k).is_some_and(Value::is_string) {
            return Err(format!("no {k}"));
        }
    }
    if fields
        .get("commitment")
        .is_some_and(|c| !c.as_str().is_some_and(crate::manifest::is_hex32))
    {
        return Err("the commitment is not 64 hex digits".into());
    }
    Ok(fields)
}
