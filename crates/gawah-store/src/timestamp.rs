//! An RFC 3161 client: asks a timestamp authority (TSA) to stamp a checkpoint's text.
//!
//! The request is built here with a tiny DER writer (no ASN.1 library): version 1, the
//! SHA-256 message imprint (parameters NULL, as `openssl ts -query` writes them; RFC 5754
//! lets a TSA accept both forms), a random 64-bit nonce, and `certReq` TRUE so that the token
//! carries the TSA's certificate and `openssl ts -verify` needs only the CA. It is sent as
//! RFC 3161 §3.4 says: an HTTP POST of `application/timestamp-query`, answered with
//! `application/timestamp-reply`. The answer is bounded ([`MAX_RESPONSE_BYTES`]) and timed
//! ([`TIMEOUT`]), read with `gawah_bundle::tst`, and accepted only if it grants a token
//! whose imprint is the hash asked for and whose nonce is ours; the authority's signature is
//! left to `openssl ts -verify` (see `docs/TIMESTAMPS.md`).

use std::io::Read;
use std::time::Duration;

use gawah_bundle::tst::{self, MAX_RESPONSE_BYTES, OID_SHA256, TimeStampResponse, TstError};
use sha2::{Digest, Sha256};

/// How long one request may take, connection to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The content type of a request (RFC 3161 §3.4).
pub const QUERY_TYPE: &str = "application/timestamp-query";
/// The content type of an answer (RFC 3161 §3.4).
pub const REPLY_TYPE: &str = "application/timestamp-reply";

/// Why no token was obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The URL is not an `http://` or `https://` URL.
    #[error("timestamp authority URL {0:?} is not an http:// or https:// URL")]
    BadUrl(String),
    /// The authority could not be reached, or the transfer failed or timed out.
    #[error("timestamp authority {url}: {reason}")]
    Transport {
        /// The authority.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The authority answered with an HTTP status other than 200.
    #[error("timestamp authority {url} answered HTTP {status}")]
    Status {
        /// The authority.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The answer is not `application/timestamp-reply`.
    #[error("timestamp authority {url} answered {content_type:?}, not {REPLY_TYPE}")]
    ContentType {
        /// The authority.
        url: String,
        /// What it sent.
        content_type: String,
    },
    /// The answer is not a granted token (garbage, a refusal, too large).
    #[error("timestamp authority {url}: {source}")]
    Response {
        /// The authority.
        url: String,
        /// What is wrong with the answer.
        source: TstError,
    },
    /// The token is valid but not an answer to our request (another hash, another nonce).
    #[error("timestamp authority {url}: the token does not answer our request: {reason}")]
    Mismatch {
        /// The authority.
        url: String,
        /// What differs.
        reason: String,
    },
    /// No randomness for the nonce.
    #[error("no randomness for the nonce: {0}")]
    Random(String),
}

/// Appends a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// One DER value: tag, length, contents.
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_len(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// The contents of a DER INTEGER holding `v`: minimal, with a 0x00 first if the top bit is
/// set (the value is not negative).
pub fn der_uint(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut out = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[skip..]);
    out
}

/// A DER `TimeStampReq` for a SHA-256 `digest`, with `nonce` and `certReq` TRUE.
pub fn request_der(digest: &[u8; 32], nonce: u64) -> Vec<u8> {
    let algorithm = [tlv(0x06, OID_SHA256), tlv(0x05, &[])].concat();
    let imprint = [tlv(0x30, &algorithm), tlv(0x04, digest)].concat();
    let body = [
        tlv(0x02, &[1]),
        tlv(0x30, &imprint),
        tlv(0x02, &der_uint(nonce)),
        tlv(0x01, &[0xff]),
    ]
    .concat();
    tlv(0x30, &body)
}

/// Checks an answer to the request for `digest` with `nonce`: a granted token (status 0 or
/// 1) over exactly that SHA-256 digest, carrying that nonce.
pub fn check_response(
    url: &str,
    der: &[u8],
    digest: &[u8; 32],
    nonce: u64,
) -> Result<TimeStampResponse, TimestampError> {
    let r = tst::read_response(der).map_err(|source| TimestampError::Response {
        url: url.to_owned(),
        source,
    })?;
    let mismatch = |reason: String| TimestampError::Mismatch {
        url: url.to_owned(),
        reason,
    };
    if !r.info.stamps_sha256(digest) {
        return Err(mismatch(format!(
            "it stamps {} hash {}, we asked for SHA-256 {}",
            tst::oid_name(&r.info.hash_algorithm),
            hex::encode(&r.info.hashed_message),
            hex::encode(digest)
        )));
    }
    let ours = der_uint(nonce);
    if r.info.nonce.as_deref() != Some(ours.as_slice()) {
        return Err(mismatch(format!(
            "its nonce is {}, ours was {} (a replayed or misdirected answer)",
            r.info.nonce.as_deref().map_or("absent".into(), hex::encode),
            hex::encode(&ours)
        )));
    }
    Ok(r)
}

/// A granted answer and the exact bytes the authority sent.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// The DER `TimeStampResp`, as received.
    pub response: Vec<u8>,
    /// What it says.
    pub parsed: TimeStampResponse,
}

/// Refuses a URL that is not `http://` or `https://` followed by something, or that holds
/// white space or control characters.
pub fn check_url(url: &str) -> Result<(), TimestampError> {
    let scheme_ok = ["http://", "https://"].iter().any(|s| {
        url.len() > s.len()
            && url
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
    });
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(TimestampError::BadUrl(url.to_owned()));
    }
    Ok(())
}

/// A client of one timestamp authority.
#[derive(Debug)]
pub struct TsaClient {
    url: String,
    agent: ureq::Agent,
}

impl TsaClient {
    /// A client of the authority at `url` (`http://` or `https://`).
    pub fn new(url: &str) -> Result<Self, TimestampError> {
        check_url(url)?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            // A redirect would resend the query somewhere the operator did not choose.
            .max_redirects(0)
            .build();
        Ok(Self {
            url: url.to_owned(),
            agent: config.into(),
        })
    }

    /// The authority's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Asks for a token over SHA-256 of `data` and checks the answer.
    pub fn stamp(&self, data: &[u8]) -> Result<Stamped, TimestampError> {
        let digest: [u8; 32] = Sha256::digest(data).into();
        let nonce = u64::from_be_bytes(
            gawah_core::random::random_bytes::<8>()
                .map_err(|e| TimestampError::Random(e.to_string()))?,
        );
        let response = self.post(&request_der(&digest, nonce))?;
        let parsed = check_response(&self.url, &response, &digest, nonce)?;
        Ok(Stamped { response, parsed })
    }

    /// One POST; the answer's body, at most [`MAX_RESPONSE_BYTES`].
    fn post(&self, query: &[u8]) -> Result<Vec<u8>, TimestampError> {
        let transport = |reason: String| TimestampError::Transport {
            url: self.url.clone(),
            reason,
        };
        let mut resp = self
            .agent
            .post(&self.url)
            .header("Content-Type", QUERY_TYPE)
            .header("Accept", REPLY_TYPE)
            .send(query)
            .map_err(|e| transport(e.to_string()))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(TimestampError::Status {
                url: self.url.clone(),
                status,
            });
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case(REPLY_TYPE) {
            return Err(TimestampError::ContentType {
                url: self.url.clone(),
                content_type,
            });
        }
        let mut body = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(MAX_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| transport(format!("reading the answer: {e}")))?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(TimestampError::Response {
                url: self.url.clone(),
                source: TstError::TooLarge(body.len()),
            });
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers_by_hand() {
        assert_eq!(tlv(0x04, &[7; 3]), [0x04, 0x03, 7, 7, 7]);
        let long = tlv(0x04, &[0; 200]);
        assert_eq!(long[..3], [0x04, 0x81, 200]);
        let longer = tlv(0x04, &[0; 300]);
        assert_eq!(longer[..4], [0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(der_uint(0), [0x00]);
        assert_eq!(der_uint(0x7f), [0x7f]);
        assert_eq!(der_uint(0x80), [0x00, 0x80]);
        assert_eq!(der_uint(0x0102), [0x01, 0x02]);
        assert_eq!(
            der_uint(u64::MAX),
            [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn request_bytes_by_hand() {
        let digest = [0xab; 32];
        let req = request_der(&digest, 0x2ad0_f689_2434_7c12);
        let mut want = vec![
            0x30, 0x43, // TimeStampReq, 67 bytes
            0x02, 0x01, 0x01, // version 1
            0x30, 0x31, // messageImprint, 49 bytes
            0x30, 0x0d, // AlgorithmIdentifier
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, // SHA-256
            0x05, 0x00, // NULL
            0x04, 0x20, // hashedMessage
        ];
        want.extend_from_slice(&digest);
        want.extend_from_slice(&[0x02, 0x08, 0x2a, 0xd0, 0xf6, 0x89, 0x24, 0x34, 0x7c, 0x12]);
        want.extend_from_slice(&[0x01, 0x01, 0xff]); // certReq TRUE
        assert_eq!(req, want);
        // A nonce with its top bit set takes a leading zero: one byte more.
        let req = request_der(&digest, 0x8000_0000_0000_0000);
        assert_eq!(req[1], 0x44);
        assert_eq!(req[56..67], [0x02, 0x09, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn only_http_urls() {
        for bad in [
            "",
            "ftp://x",
            "http://",
            "file:///etc/passwd",
            "http://a b",
            "localhost:1",
        ] {
            assert!(TsaClient::new(bad).is_err(), "{bad}");
        }
        assert!(TsaClient::new("http://127.0.0.1:1/tsa").is_ok());
        assert!(TsaClient::new("HTTPS://tsa.example").is_ok());
    }

    #[test]
    fn unreachable_is_a_transport_error() {
        // Port 1 on the loopback: nothing listens there.
        let c = TsaClient::new("http://127.0.0.1:1/").unwrap();
        let e = c.stamp(b"text\n").unwrap_err();
        assert!(matches!(e, TimestampError::Transport { .. }), "{e}");
    }
}
