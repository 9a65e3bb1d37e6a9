//! C2SP `tlog-cosignature`, the Ed25519 kind (`cosignature/v1`): a witness's statement that a
//! checkpoint is the largest consistent tree head it has seen of that log, at a given time.
//!
//! A cosignature is a signed-note signature line on the checkpoint, so a cosigned checkpoint
//! is the log's note with more lines, and readers that do not know the witness ignore them.
//! What differs from a log signature:
//!
//! - the key id is SHA-256(name ‖ 0x0A ‖ **0x04** ‖ public key)[:4], so the same name never
//!   collides with an ordinary note key;
//! - the signed message is `cosignature/v1\ntime <t>\n` followed by the checkpoint text (the
//!   domain separation keeps a cosignature from being read as a note signature, and the time
//!   is part of the statement);
//! - the signature line holds key id ‖ u64 big-endian time ‖ 64-byte Ed25519 signature.
//!
//! Verifier keys are written as for notes, with the algorithm byte 0x04:
//! `<name>+<hex key id>+<base64(0x04 ‖ public key)>`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};

use crate::note::{
    MAX_SIGNATURES, NamedKey, NoteError, NoteSignature, check_text, encode_vkey,
    parse_signature_line, parse_vkey,
};

/// Signature type byte of Ed25519 cosignatures (`cosignature/v1`).
pub const COSIGNATURE_ALG: u8 = 0x04;
/// The header line of the signed message, newline included.
const HEADER: &str = "cosignature/v1\n";
/// The spec bounds the time to 2^63 - 1, so it fits a signed 64-bit integer everywhere.
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;
/// Bytes after the key id: the time and the Ed25519 signature.
const BODY_LEN: usize = 8 + 64;

/// Why a cosignature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CosignatureError {
    /// The signature is not 8 bytes of time and 64 of Ed25519 signature.
    #[error("a cosignature must hold 72 bytes after its key id, not {0}")]
    BadLength(usize),
    /// The time is beyond 2^63 - 1.
    #[error("the cosignature's time is out of range")]
    BadTime,
    /// The Ed25519 signature does not verify over this checkpoint at this time.
    #[error("the cosignature does not verify over this checkpoint")]
    BadSignature,
}

/// What a set of signature lines holds for one witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CosignatureCheck {
    /// A cosignature by the witness verifies; it was made at `time` (POSIX seconds).
    Valid {
        /// When the witness cosigned, as it states.
        time: u64,
    },
    /// No line with the witness's name and key id.
    Missing,
    /// A line with the witness's name and key id that does not verify.
    Bad(CosignatureError),
}

/// The message an Ed25519 cosignature signs: header, time line, checkpoint text.
pub fn cosigned_message(checkpoint_text: &str, time: u64) -> String {
    format!("{HEADER}time {time}\n{checkpoint_text}")
}

/// Makes cosignatures with a witness's Ed25519 key.
pub struct Cosigner(NamedKey);

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("Cosigner", f)
    }
}

impl Cosigner {
    /// A cosigner named `name` (a schema-less URL, by the spec's advice) from a 32-byte seed.
    pub fn new(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        NamedKey::new(COSIGNATURE_ALG, name, seed).map(Self)
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`.
    pub fn key_id(&self) -> [u8; 4] {
        self.0.key_id
    }

    /// `<name>+<hex key id>+<base64(0x04 ‖ public key)>`.
    pub fn verifier_key(&self) -> String {
        encode_vkey(
            COSIGNATURE_ALG,
            &self.0.name,
            &self.0.key_id,
            &self.0.key.verifying_key(),
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.0.name.clone(),
            key_id: self.0.key_id,
            key: self.0.key.verifying_key(),
        }
    }

    /// The signature line (newline included) cosigning `checkpoint_text` at `time`.
    pub fn cosign(&self, checkpoint_text: &str, time: u64) -> Result<String, NoteError> {
        check_text(checkpoint_text)?;
        if time > MAX_COSIGNATURE_TIME {
            return Err(NoteError::Malformed("cosignature time out of range"));
        }
        let message = cosigned_message(checkpoint_text, time);
        let signature = self.0.key.sign(message.as_bytes());
        let mut bytes = self.0.key_id.to_vec();
        bytes.extend_from_slice(&time.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "\u{2014} {} {}\n",
            self.0.name,
            BASE64.encode(bytes)
        ))
    }
}

/// A witness's public key, checking its cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses `<name>+<hex key id>+<base64(0x04 ‖ public key)>`, checking the key id.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, key_id, key) = parse_vkey(
            COSIGNATURE_ALG,
            "not an Ed25519 cosignature key (type 0x04)",
            vkey,
        )?;
        Ok(Self { name, key_id, key })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The key in the form [`CosignatureVerifier::parse`] reads.
    pub fn verifier_key(&self) -> String {
        encode_vkey(COSIGNATURE_ALG, &self.name, &self.key_id, &self.key)
    }

    /// Whether a signature line claims to be by this key (same name and key id).
    pub fn matches(&self, signature: &NoteSignature) -> bool {
        signature.name == self.name && signature.key_id == self.key_id
    }

    /// Checks one cosignature over `checkpoint_text`; returns its time. Strict Ed25519, as
    /// for notes: weak keys and non-canonical encodings are refused.
    pub fn verify(
        &self,
        checkpoint_text: &str,
        signature: &NoteSignature,
    ) -> Result<u64, CosignatureError> {
        let body = &signature.signature;
        if body.len() != BODY_LEN {
            return Err(CosignatureError::BadLength(body.len()));
        }
        let (time, sig) = body.split_at(8);
        let mut t = [0u8; 8];
        t.copy_from_slice(time);
        let time = u64::from_be_bytes(t);
        if time > MAX_COSIGNATURE_TIME {
            return Err(CosignatureError::BadTime);
        }
        let message = cosigned_message(checkpoint_text, time);
        let ok = Signature::from_slice(sig)
            .is_ok_and(|s| self.key.verify_strict(message.as_bytes(), &s).is_ok());
        if ok {
            Ok(time)
        } else {
            Err(CosignatureError::BadSignature)
        }
    }

    /// What `signatures` (all lines of a note, or a witness's answer) hold for this witness.
    /// With several lines by this key, one that verifies is enough.
    pub fn check(&self, checkpoint_text: &str, signatures: &[NoteSignature]) -> CosignatureCheck {
        let mut result = CosignatureCheck::Missing;
        for s in signatures.iter().filter(|s| self.matches(s)) {
            match self.verify(checkpoint_text, s) {
                Ok(time) => return CosignatureCheck::Valid { time },
                Err(e) => result = CosignatureCheck::Bad(e),
            }
        }
        result
    }
}

/// Parses signature lines (each `— <name> <base64>` ending in a newline), as a witness
/// answers `add-checkpoint`; at most [`MAX_SIGNATURES`].
pub fn parse_signature_lines(text: &str) -> Result<Vec<NoteSignature>, NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature lines must end in a newline",
        ));
    }
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooLarge);
    }
    lines.into_iter().map(parse_signature_line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{NoteSigner, hex, open_note};

    /// Seed 0x01..0x20. The public key, key id and signature below were computed with
    /// OpenSSL 3 and sha256sum, independently of this code:
    /// the public key with `openssl pkey -pubout` from the PKCS#8 form of the seed; the key
    /// id as `{ printf 'witness.example/w1\n\004'; <public key>; } | sha256sum`; the
    /// signature with `openssl pkeyutl -sign -rawin` over the message in `MESSAGE`.
    fn seed() -> [u8; 32] {
        std::array::from_fn(|i| i as u8 + 1)
    }
    const NAME: &str = "witness.example/w1";
    const PUBLIC_KEY_HEX: &str = "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664";
    const KEY_ID_HEX: &str = "468d99bb";
    const TEXT: &str = "example.org/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const TIME: u64 = 1_679_315_147;
    const MESSAGE: &str = "cosignature/v1\ntime 1679315147\nexample.org/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const SIGNATURE_HEX: &str = "1fa5477c01e68cf412f82d44f3c790afd70fa5d5c94a8fd56c9cffa069ff2360b4f2f72452b614f283c3591d94ee440486e36c84007693c86a39ac7f32cf2309";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn known_answer_from_openssl() {
        let c = Cosigner::new(NAME, seed()).unwrap();
        assert_eq!(hex(&c.key_id()), KEY_ID_HEX);
        let mut key = vec![COSIGNATURE_ALG];
        key.extend(unhex(PUBLIC_KEY_HEX));
        assert_eq!(
            c.verifier_key(),
            format!("{NAME}+{KEY_ID_HEX}+{}", BASE64.encode(&key))
        );
        assert_eq!(cosigned_message(TEXT, TIME), MESSAGE);
        let mut bytes = unhex(KEY_ID_HEX);
        bytes.extend(TIME.to_be_bytes());
        bytes.extend(unhex(SIGNATURE_HEX));
        let expected = format!("\u{2014} {NAME} {}\n", BASE64.encode(&bytes));
        assert_eq!(c.cosign(TEXT, TIME).unwrap(), expected);
        let parsed = parse_signature_lines(&expected).unwrap();
        assert_eq!(c.verifier().verify(TEXT, &parsed[0]), Ok(TIME));
    }

    #[test]
    fn the_key_id_differs_from_a_note_key_of_the_same_name_and_seed() {
        let c = Cosigner::new(NAME, seed()).unwrap();
        let n = NoteSigner::new(NAME, seed()).unwrap();
        assert_ne!(c.key_id(), n.key_id());
        // A note key string is not a cosignature key, and the other way round.
        assert!(CosignatureVerifier::parse(&n.verifier_key()).is_err());
        assert!(crate::note::NoteVerifier::parse(&c.verifier_key()).is_err());
    }

    #[test]
    fn verifier_keys_round_trip_and_are_checked() {
        let c = Cosigner::new(NAME, seed()).unwrap();
        let v = CosignatureVerifier::parse(&c.verifier_key()).unwrap();
        assert_eq!(v, c.verifier());
        let wrong_id = c.verifier_key().replace(KEY_ID_HEX, "468d99bc");
        assert!(CosignatureVerifier::parse(&wrong_id).is_err());
        let renamed = c.verifier_key().replace(NAME, "witness.example/w2");
        assert!(CosignatureVerifier::parse(&renamed).is_err());
        for bad in [
            "",
            "a+b",
            "a+468d99bb+",
            "a b+468d99bb+BA==",
            "x+ZZZZZZZZ+BA==",
        ] {
            assert!(CosignatureVerifier::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_cosigned_note_still_opens_with_the_log_key_alone() {
        let log = NoteSigner::new("example.org/log", [9; 32]).unwrap();
        let note = log.sign(TEXT).unwrap();
        let c = Cosigner::new(NAME, seed()).unwrap();
        let cosigned = format!("{note}{}", c.cosign(TEXT, TIME).unwrap());
        let opened = open_note(&cosigned, &[log.verifier()]).unwrap();
        assert_eq!(opened.unverified.len(), 1);
        assert_eq!(
            c.verifier().check(&opened.text, &opened.unverified),
            CosignatureCheck::Valid { time: TIME }
        );
    }

    #[test]
    fn every_change_is_caught() {
        let c = Cosigner::new(NAME, seed()).unwrap();
        let v = c.verifier();
        let line = c.cosign(TEXT, TIME).unwrap();
        let sig = &parse_signature_lines(&line).unwrap()[0];
        // Another checkpoint text, another time, another key.
        let other = TEXT.replace("\n5\n", "\n6\n");
        assert_eq!(v.verify(&other, sig), Err(CosignatureError::BadSignature));
        let mut later = sig.clone();
        later.signature[7] ^= 1;
        assert_eq!(v.verify(TEXT, &later), Err(CosignatureError::BadSignature));
        let mut huge = sig.clone();
        huge.signature[0] = 0x80;
        assert_eq!(v.verify(TEXT, &huge), Err(CosignatureError::BadTime));
        let mut short = sig.clone();
        short.signature.pop();
        assert_eq!(v.verify(TEXT, &short), Err(CosignatureError::BadLength(71)));
        for i in 0..sig.signature.len() {
            let mut flipped = sig.clone();
            flipped.signature[i] ^= 0x40;
            assert!(v.verify(TEXT, &flipped).is_err(), "byte {i}");
        }
        let stranger = Cosigner::new(NAME, [7; 32]).unwrap().verifier();
        assert_eq!(
            stranger.check(TEXT, std::slice::from_ref(sig)),
            CosignatureCheck::Missing
        );
        assert!(matches!(
            v.check(TEXT, &[later]),
            CosignatureCheck::Bad(CosignatureError::BadSignature)
        ));
        assert!(c.cosign(TEXT, MAX_COSIGNATURE_TIME + 1).is_err());
        assert!(c.cosign("no newline", TIME).is_err());
    }

    #[test]
    fn signature_lines_are_parsed_strictly() {
        for bad in [
            "",
            "\u{2014} w AAAAAAA=",
            "- w AAAAAAAA\n",
            "\u{2014} w not-base64!\n",
            "\u{2014} w AAAA\n",
        ] {
            assert!(parse_signature_lines(bad).is_err(), "{bad:?}");
        }
        let many = "\u{2014} w AAAAAAAA\n".repeat(MAX_SIGNATURES + 1);
        assert!(matches!(
            parse_signature_lines(&many),
            Err(NoteError::TooLarge)
        ));
    }
}
