//! A trusted time for the bundle's checkpoint: an RFC 3161 time-stamp response over the
//! checkpoint's text, from a timestamp authority (TSA) independent of the organisation.
//!
//! The log proves the order of entries; their times are the organisation's clock. A token
//! from a TSA says "this exact checkpoint text existed at genTime at the latest", and with it
//! every entry the checkpoint includes.
//!
//! - `log/timestamp.txt`: what was stamped, the checkpoint's text (origin, size and root
//!   lines, each ending in a newline: `log/checkpoint` up to its blank line), byte for byte.
//! - `log/timestamp.tsr`: the authority's DER `TimeStampResp`, as it answered (what
//!   `openssl ts -reply` writes), so `openssl ts -verify -data log/timestamp.txt -in
//!   log/timestamp.tsr -CAfile TSA-CA.pem` checks it by hand.
//!
//! The verifier checks that the text is the checkpoint's, that the response grants a token
//! whose imprint is SHA-256 of that text, and reports genTime. It does not check the
//! authority's signature (see [`crate::tst`]) and says so.

use std::io::{Read, Seek};

use gawah_log::MAX_NOTE_BYTES;
use sha2::{Digest, Sha256};

use crate::error::ZipError;
use crate::layout::{CHECKPOINT, note_text};
use crate::manifest::Manifest;
use crate::report::{Outcome, Report};
use crate::tst::{MAX_RESPONSE_BYTES, TstInfo, read_response};
use crate::verify::{Run, fail, pass};
use crate::writer::BundleWriter;

/// The authority's `TimeStampResp` over [`TIMESTAMP_TEXT`].
pub const TIMESTAMP: &str = "log/timestamp.tsr";
/// The exact text that was stamped: the checkpoint's text.
pub const TIMESTAMP_TEXT: &str = "log/timestamp.txt";

/// Checks `response` against the checkpoint's text: a granted token whose imprint is SHA-256
/// of the text. Returns what the token states.
pub fn check_timestamp(checkpoint_text: &str, response: &[u8]) -> Result<TstInfo, String> {
    let r = read_response(response).map_err(|e| e.to_string())?;
    let digest: [u8; 32] = Sha256::digest(checkpoint_text.as_bytes()).into();
    if !r.info.stamps_sha256(&digest) {
        return Err(format!(
            "the token stamps {} (hash algorithm {}), not SHA-256 of {TIMESTAMP_TEXT} ({}): it is over something else",
            hex::encode(&r.info.hashed_message),
            crate::tst::oid_name(&r.info.hash_algorithm),
            hex::encode(digest),
        ));
    }
    Ok(r.info)
}

impl<W: std::io::Write + std::io::Seek> BundleWriter<W> {
    /// Writes [`TIMESTAMP_TEXT`] (the checkpoint's text) and [`TIMESTAMP`] (`response`),
    /// after checking that the response is a granted token over exactly that text, so a wrong
    /// one is refused here rather than by the court. Set the manifest's `timestamp` too.
    pub fn add_timestamp(
        &mut self,
        checkpoint_note: &str,
        response: &[u8],
    ) -> Result<TstInfo, ZipError> {
        let text = note_text(checkpoint_note)
            .ok_or_else(|| ZipError::BadLog("the checkpoint is not a signed note".into()))?;
        let info = check_timestamp(text, response)
            .map_err(|e| ZipError::BadLog(format!("timestamp: {e}")))?;
        self.add_bytes(TIMESTAMP_TEXT, text.as_bytes())?;
        self.add_bytes(TIMESTAMP, response)?;
        Ok(info)
    }
}

impl<R: Read + Seek> Run<'_, R> {
    /// The `timestamp` check, when the manifest names one.
    pub(crate) fn timestamp(&mut self, report: &mut Report, manifest: &Manifest) {
        const WHAT: &str = "timestamp";
        let Some(named) = &manifest.timestamp else {
            return;
        };
        if named != TIMESTAMP {
            return report.push(WHAT, fail(format!("timestamp must be {TIMESTAMP:?}")));
        }
        let outcome = match self.timestamp_outcome() {
            Ok(m) => pass(m),
            Err(m) => fail(m),
        };
        let passed = matches!(outcome, Outcome::Pass(_));
        report.push(WHAT, outcome);
        if passed {
            report.push(WHAT, Outcome::Note(format!(
                "the authority's signature on the token is not checked here; check it with: openssl ts -verify -data {TIMESTAMP_TEXT} -in {TIMESTAMP} -CAfile <the authority's CA certificate> (README.txt)"
            )));
        }
    }

    fn timestamp_outcome(&mut self) -> Result<String, String> {
        let text = self.read_text(TIMESTAMP_TEXT, MAX_NOTE_BYTES as u64)?;
        let response = self.read_small(TIMESTAMP, MAX_RESPONSE_BYTES as u64)?;
        let Some(cp) = &self.cp else {
            return Err("not checked: the bundle's checkpoint did not verify".into());
        };
        if note_text(&self.note) != Some(text.as_str()) {
            return Err(format!(
                "{TIMESTAMP_TEXT} is not the text of {CHECKPOINT}: the timestamp is over another checkpoint, or was altered"
            ));
        }
        let size = cp.size;
        let info = check_timestamp(&text, &response).map_err(|e| format!("{TIMESTAMP}: {e}"))?;
        Ok(format!(
            "RFC 3161 token over the checkpoint (size {size}): genTime {}, serial {}, policy {}",
            info.gen_time, info.serial, info.policy
        ))
    }
}

/// The README's section on the timestamp, for a bundle that has one.
pub(crate) fn readme_section(m: &Manifest) -> Option<String> {
    m.timestamp.as_ref()?;
    Some(format!(
        "
STEP 4b. The checkpoint existed at the time an independent authority states (RFC 3161)

  {TIMESTAMP_TEXT} is the checkpoint's text (everything before its blank line) and
  {TIMESTAMP} is a timestamp authority's signed answer over its SHA-256. Check that the text
  is the checkpoint's, show the authority's time, and, with the authority's CA certificate
  (obtained from the authority, not from this bundle) in the file named by TSA_CA, check
  its signature; OpenSSL must print \"Verification: OK\".

    awk 'NF == 0 {{ exit }} {{ print }}' {CHECKPOINT} | cmp -s - {TIMESTAMP_TEXT} && echo 'timestamp text: OK' || echo 'timestamp text: MISMATCH'
    openssl ts -reply -in {TIMESTAMP} -text 2>/dev/null | grep -E '^(Status|Hash Algorithm|Time stamp):'
    if [ -n \"${{TSA_CA:-}}\" ]; then openssl ts -verify -data {TIMESTAMP_TEXT} -in {TIMESTAMP} -CAfile \"$TSA_CA\"; else echo 'timestamp signature: not checked (set TSA_CA)'; fi
"
    ))
}
