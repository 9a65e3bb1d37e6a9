//! C2SP `signed-note` with Ed25519 signatures (signature type `0x01`).
//!
//! A note is a text ending in a newline, a blank line, then one line per signature:
//! `— <key name> base64(key id ‖ signature)`. The signature covers the text including its
//! final newline. Key ids are SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], which is what
//! Go's `golang.org/x/mod/sumdb/note` computes, so its tools read our notes and keys.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte for Ed25519 in C2SP signed-note.
const ALG_ED25519: u8 = 0x01;
/// Opening of every signature line: an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Largest note accepted. The spec asks verifiers to bound notes and to accept at least 16
/// signatures of up to ~5 kB each; a checkpoint text is far smaller.
pub const MAX_NOTE_BYTES: usize = 256 * 1024;
/// Most signature lines accepted in one note (Go's reader stops at 100 as well).
pub const MAX_SIGNATURES: usize = 100;

/// Why a note, key or checkpoint was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note does not follow the signed-note format.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// The note is larger than [`MAX_NOTE_BYTES`] or has more than [`MAX_SIGNATURES`].
    #[error("note too large")]
    TooLarge,
    /// A key name is empty or contains a space, a '+' or a control character.
    #[error("invalid key name")]
    BadName,
    /// A known key's signature does not verify: the whole note is refused.
    #[error("invalid signature by {name}")]
    BadSignature {
        /// Name of the key whose signature failed.
        name: String,
    },
    /// The same key signed the note more than once.
    #[error("duplicate signature by {name}")]
    DuplicateSignature {
        /// Name of the repeated key.
        name: String,
    },
    /// No signature by any of the given keys.
    #[error("no signature by a known key")]
    NoVerifiedSignature,
    /// A verifier key string could not be used.
    #[error("bad verifier key: {0}")]
    BadVerifierKey(&'static str),
    /// The note text is not a valid checkpoint.
    #[error("bad checkpoint: {0}")]
    BadCheckpoint(&'static str),
    /// A checkpoint was signed by a key whose name is not the checkpoint's origin.
    #[error("checkpoint origin {origin} does not match key name {key}")]
    OriginMismatch {
        /// Origin line of the checkpoint.
        origin: String,
        /// Name of the verifier key.
        key: String,
    },
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key id, the first four bytes of the decoded signature.
    pub key_id: [u8; 4],
    /// The signature proper, after the key id.
    pub signature: Vec<u8>,
}

/// An opened note: its text and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// Signatures by the given keys, all verified.
    pub signatures: Vec<NoteSignature>,
    /// Signatures by other keys, not checked (for example witness cosignatures).
    pub unverified: Vec<NoteSignature>,
}

/// Signs notes with an Ed25519 key under a name.
pub struct NoteSigner(NamedKey);

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("NoteSigner", f)
    }
}

impl NoteSigner {
    /// A signer for key `name` from a 32-byte Ed25519 seed.
    pub fn new(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        NamedKey::new(ALG_ED25519, name, seed).map(Self)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`.
    pub fn key_id(&self) -> [u8; 4] {
        self.0.key_id
    }

    /// The public key as `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> String {
        encode_vkey(
            ALG_ED25519,
            &self.0.name,
            &self.0.key_id,
            &self.0.key.verifying_key(),
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.0.name.clone(),
            key_id: self.0.key_id,
            key: self.0.key.verifying_key(),
        }
    }

    /// Signs `text` and returns the whole note: text, blank line, signature line.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        let line = self.signature_line(text)?;
        Ok(format!("{text}\n{line}"))
    }

    /// Only the signature line for `text`, newline included, for adding a cosignature to
    /// a note that is already signed.
    pub fn signature_line(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.0.key.sign(text.as_bytes());
        let mut bytes = self.0.key_id.to_vec();
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{SIG_PREFIX}{} {}\n",
            self.0.name,
            BASE64.encode(bytes)
        ))
    }
}

/// A public key that notes are checked against.
#[derive(Debug, Clone)]
pub struct NoteVerifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `<name>+<hex key id>+<base64(0x01 ‖ public key)>`, checking the key id.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, key_id, key) = parse_vkey(ALG_ED25519, "not an Ed25519 key", vkey)?;
        Ok(Self { name, key_id, key })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The key in the same text form [`NoteVerifier::parse`] reads.
    pub fn verifier_key(&self) -> String {
        encode_vkey(ALG_ED25519, &self.name, &self.key_id, &self.key)
    }

    /// Strict Ed25519 verification: also refuses weak keys and non-canonical encodings,
    /// which an honest signer never produces.
    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        Signature::from_slice(signature)
            .is_ok_and(|sig| self.key.verify_strict(text.as_bytes(), &sig).is_ok())
    }

    fn matches(&self, signature: &NoteSignature) -> bool {
        self.name == signature.name && self.key_id == signature.key_id
    }
}

/// Parses a signed note and verifies it against `verifiers`.
///
/// A signature by a known key (same name and key id) that fails is an error for the whole
/// note; signatures by other keys go to [`Note::unverified`]; at least one signature must
/// verify. A key that appears twice is refused: a conforming signer never does it, and
/// accepting it would leave open which of the two counts.
pub fn open_note(note: &str, verifiers: &[NoteVerifier]) -> Result<Note, NoteError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge);
    }
    check_characters(note)?;
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let (text, block) = (&note[..=split], &note[split + 2..]);
    if block.is_empty() || !block.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature block must end in a newline",
        ));
    }
    let mut opened = Note {
        text: text.to_owned(),
        signatures: Vec::new(),
        unverified: Vec::new(),
    };
    for (count, line) in block.split_terminator('\n').enumerate() {
        if count >= MAX_SIGNATURES {
            return Err(NoteError::TooLarge);
        }
        let signature = parse_signature_line(line)?;
        add_signature(&mut opened, signature, verifiers)?;
    }
    if opened.signatures.is_empty() {
        return Err(NoteError::NoVerifiedSignature);
    }
    Ok(opened)
}

/// Files one parsed signature as verified or unverified, refusing repeats and bad ones.
fn add_signature(
    note: &mut Note,
    signature: NoteSignature,
    verifiers: &[NoteVerifier],
) -> Result<(), NoteError> {
    let same_key = |s: &NoteSignature| s.name == signature.name && s.key_id == signature.key_id;
    if note.signatures.iter().chain(&note.unverified).any(same_key) {
        return Err(NoteError::DuplicateSignature {
            name: signature.name,
        });
    }
    match verifiers.iter().find(|v| v.matches(&signature)) {
        Some(v) if v.verify(&note.text, &signature.signature) => note.signatures.push(signature),
        Some(_) => {
            return Err(NoteError::BadSignature {
                name: signature.name,
            });
        }
        None => note.unverified.push(signature),
    }
    Ok(())
}

/// Parses `— <name> <base64(key id ‖ signature)>` (without its newline).
pub(crate) fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed(
        "signature line must start with an em dash",
    ))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or(NoteError::Malformed("signature line lacks a space"))?;
    check_name(name)?;
    let bytes = BASE64
        .decode(encoded)
        .map_err(|_| NoteError::Malformed("signature is not base64"))?;
    // Four bytes of key id and at least one of signature, as Go's reader requires.
    if bytes.len() < 5 {
        return Err(NoteError::Malformed("signature too short"));
    }
    let (id, signature) = bytes.split_at(4);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: [id[0], id[1], id[2], id[3]],
        signature: signature.to_vec(),
    })
}

/// Notes are UTF-8 (guaranteed by `&str`) without control characters other than newline.
fn check_characters(s: &str) -> Result<(), NoteError> {
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

/// Text to sign: non-empty, ends in a newline, no control characters.
pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text must end in a newline"));
    }
    check_characters(text)
}

/// Key names: non-empty, no Unicode spaces, no '+', no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), NoteError> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == '+';
    if name.is_empty() || name.chars().any(bad) {
        return Err(NoteError::BadName);
    }
    Ok(())
}

/// `SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4]`: the key id of a note key (`alg` 0x01) or
/// of a witness's cosignature key (0x04).
pub(crate) fn key_id_of(alg: u8, name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', alg]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// `<name>+<hex key id>+<base64(alg ‖ public key)>`.
pub(crate) fn encode_vkey(alg: u8, name: &str, key_id: &[u8; 4], key: &VerifyingKey) -> String {
    let mut bytes = vec![alg];
    bytes.extend_from_slice(key.as_bytes());
    format!("{name}+{}+{}", hex(key_id), BASE64.encode(bytes))
}

/// Parses `<name>+<hex key id>+<base64(alg ‖ public key)>` of key type `alg` (`kind` names
/// it in the error), checking that the key id is the key's.
pub(crate) fn parse_vkey(
    alg: u8,
    kind: &'static str,
    vkey: &str,
) -> Result<(String, [u8; 4], VerifyingKey), NoteError> {
    let (name, rest) = vkey
        .split_once('+')
        .ok_or(NoteError::BadVerifierKey("no '+'"))?;
    let (id_hex, key_b64) = rest
        .split_once('+')
        .ok_or(NoteError::BadVerifierKey("no second '+'"))?;
    check_name(name).map_err(|_| NoteError::BadVerifierKey("bad name"))?;
    let claimed = parse_key_id(id_hex)?;
    let bytes = BASE64
        .decode(key_b64)
        .map_err(|_| NoteError::BadVerifierKey("key is not base64"))?;
    let raw = match bytes.split_first() {
        Some((&a, raw)) if a == alg => raw,
        _ => return Err(NoteError::BadVerifierKey(kind)),
    };
    let raw: &[u8; 32] = raw
        .try_into()
        .map_err(|_| NoteError::BadVerifierKey("Ed25519 key must be 32 bytes"))?;
    let key = VerifyingKey::from_bytes(raw)
        .map_err(|_| NoteError::BadVerifierKey("invalid Ed25519 key"))?;
    if key_id_of(alg, name, &key) != claimed {
        return Err(NoteError::BadVerifierKey("key id does not match the key"));
    }
    Ok((name.to_owned(), claimed, key))
}

/// An Ed25519 private key under a name, with its key id for one key type: what a note
/// signer and a cosigner hold alike.
pub(crate) struct NamedKey {
    pub(crate) name: String,
    pub(crate) key: SigningKey,
    pub(crate) key_id: [u8; 4],
}

impl NamedKey {
    pub(crate) fn new(alg: u8, name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id_of(alg, name, &key.verifying_key());
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// The name and key id only: the private key must never reach a log.
    pub(crate) fn debug(&self, kind: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(kind)
            .field("name", &self.name)
            .field("key_id", &hex(&self.key_id))
            .finish_non_exhaustive()
    }
}

/// Exactly eight lowercase hex digits, as Go and this crate write them.
pub(crate) fn parse_key_id(id_hex: &str) -> Result<[u8; 4], NoteError> {
    let lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    if id_hex.len() != 8 || !id_hex.chars().all(lower_hex) {
        return Err(NoteError::BadVerifierKey(
            "key id must be 8 lowercase hex digits",
        ));
    }
    let value = u32::from_str_radix(id_hex, 16)
        .map_err(|_| NoteError::BadVerifierKey("key id is not hex"))?;
    Ok(value.to_be_bytes())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
