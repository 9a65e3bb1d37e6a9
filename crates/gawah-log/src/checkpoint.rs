//! C2SP `tlog-checkpoint`: the signed statement of a log's size and root.
//!
//! ```text
//! <origin>
//! <decimal tree size>
//! <base64 root hash>
//! [extension lines]
//! ```
//!
//! Parsing is strict, because two texts that parse to the same checkpoint would let a log
//! show different signed bytes for what clients treat as one statement.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash::Hash;
use crate::note::{Note, NoteError, NoteVerifier, open_note};

/// A log's tree head: origin, size and root, plus optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, conventionally its URL prefix without scheme.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Merkle tree hash of the first `size` leaves.
    pub root: Hash,
    /// Further lines, each non-empty, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint's note text: every line, extensions included, ends in a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint text (the note text, without signatures).
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::BadCheckpoint("text must end in a newline"))?;
        if body.chars().any(|c| c.is_control() && c != '\n') {
            return Err(NoteError::BadCheckpoint("control character"));
        }
        let mut lines = body.split('\n');
        let mut next = |what| lines.next().ok_or(NoteError::BadCheckpoint(what));
        let origin = next("missing origin line")?;
        let size = next("missing size line")?;
        let root = next("missing root line")?;
        if origin.is_empty() {
            return Err(NoteError::BadCheckpoint("empty origin"));
        }
        let checkpoint = Self {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: lines.map(str::to_owned).collect(),
        };
        if checkpoint.extensions.iter().any(String::is_empty) {
            return Err(NoteError::BadCheckpoint("empty extension line"));
        }
        Ok(checkpoint)
    }
}

/// Opens a signed checkpoint note with `verifier`, whose name must be the checkpoint's
/// origin, and parses it. Cosignatures by other keys are left in [`Note::unverified`].
pub fn open_checkpoint(
    note: &str,
    verifier: &NoteVerifier,
) -> Result<(Checkpoint, Note), NoteError> {
    let opened = open_note(note, std::slice::from_ref(verifier))?;
    let checkpoint = Checkpoint::parse(&opened.text)?;
    if checkpoint.origin != verifier.name() {
        return Err(NoteError::OriginMismatch {
            origin: checkpoint.origin,
            key: verifier.name().to_owned(),
        });
    }
    Ok((checkpoint, opened))
}

/// Decimal digits only, no sign, no leading zero except for "0" itself.
fn parse_size(line: &str) -> Result<u64, NoteError> {
    let digits_only = !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (line.len() > 1 && line.starts_with('0')) {
        return Err(NoteError::BadCheckpoint("size must be a canonical decimal"));
    }
    line.parse()
        .map_err(|_| NoteError::BadCheckpoint("size does not fit in 64 bits"))
}

fn parse_root(line: &str) -> Result<Hash, NoteError> {
    let bytes = BASE64
        .decode(line)
        .map_err(|_| NoteError::BadCheckpoint("root is not base64"))?;
    Hash::try_from(bytes.as_slice()).map_err(|_| NoteError::BadCheckpoint("root must be 32 bytes"))
}
