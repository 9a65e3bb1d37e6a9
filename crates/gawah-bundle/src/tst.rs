//! RFC 3161 time-stamp responses and tokens: just enough DER reading to know what a token
//! says, with no ASN.1 library.
//!
//! A `TimeStampResp` (RFC 3161 §2.4.2) is a status and, when the status grants it, a token:
//! a CMS `ContentInfo` (RFC 5652) holding `SignedData` whose encapsulated content is a
//! `TSTInfo` — the policy, the message imprint (hash algorithm and hash of what was
//! stamped), a serial number, the time (`genTime`) and the nonce of the request.
//!
//! This module reads that path and nothing more. It does **not** check the authority's CMS
//! signature or certificates: that needs X.509 and RSA/ECDSA code that stays out of this
//! small verifier; `openssl ts -verify` does it (see `docs/TIMESTAMPS.md`).
//!
//! The reader is strict and bounded: DER only (definite, minimal lengths; one-byte tags;
//! minimal integers), nothing left over at any level, at most [`MAX_RESPONSE_BYTES`] in all,
//! and no recursion beyond the fixed shape of the structures, so no input makes it panic,
//! allocate much or loop long.

/// The largest response read: real ones are a few kilobytes (a token with a certificate
/// chain); more is refused rather than parsed.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// DER body of the OID 2.16.840.1.101.3.4.2.1 (SHA-256).
pub const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// 1.2.840.113549.1.7.2, CMS `id-signedData`.
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// 1.2.840.113549.1.9.16.1.4, `id-ct-TSTInfo`.
const OID_TST_INFO: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const UTF8_STRING: u8 = 0x0c;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_1: u8 = 0xa1;

/// Why a response or token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TstError {
    /// Not the DER encoding of the structure expected.
    #[error("not a valid RFC 3161 time-stamp response: {0}")]
    Malformed(String),
    /// The authority answered, but did not grant a token.
    #[error("the timestamp authority did not grant a token: status {status} ({name}){detail}")]
    NotGranted {
        /// The PKIStatus number.
        status: u64,
        /// Its name in RFC 3161.
        name: &'static str,
        /// The authority's status text and failure reasons, if any (sanitised).
        detail: String,
    },
    /// Larger than [`MAX_RESPONSE_BYTES`].
    #[error("the response is {0} bytes, more than the {MAX_RESPONSE_BYTES} read")]
    TooLarge(usize),
}

fn bad<T>(what: impl Into<String>) -> Result<T, TstError> {
    Err(TstError::Malformed(what.into()))
}

/// What a granted response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampResponse {
    /// 0 (granted) or 1 (granted with modifications).
    pub status: u64,
    /// The token (a DER `ContentInfo`), as `openssl ts -reply -token_out` would write it.
    pub token: Vec<u8>,
    /// What the token states.
    pub info: TstInfo,
}

/// The fields of a `TSTInfo` that gawah reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    /// The authority's policy, as a dotted OID.
    pub policy: String,
    /// DER body of the imprint's hash algorithm OID ([`OID_SHA256`] for SHA-256).
    pub hash_algorithm: Vec<u8>,
    /// The hash that was stamped.
    pub hashed_message: Vec<u8>,
    /// The token's serial number, lowercase hex of its DER integer.
    pub serial: String,
    /// When the authority made the token, RFC 3339 in UTC (`2026-11-29T08:17:13Z`, with any
    /// fraction of a second the authority gave).
    pub gen_time: String,
    /// The nonce, as the content bytes of its DER INTEGER (minimal, big-endian, two's
    /// complement), if the token has one.
    pub nonce: Option<Vec<u8>>,
}

impl TstInfo {
    /// Whether the token stamps exactly this SHA-256 digest.
    pub fn stamps_sha256(&self, digest: &[u8; 32]) -> bool {
        self.hash_algorithm == OID_SHA256 && self.hashed_message == digest
    }
}

/// A DER cursor over the contents of one constructed value.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next value: its tag and its contents.
    fn any(&mut self) -> Result<(u8, &'a [u8]), TstError> {
        let [tag, first, rest @ ..] = self.rest else {
            return bad("a value is cut short");
        };
        if tag & 0x1f == 0x1f {
            return bad("multi-byte tags are not used in these structures");
        }
        let (len, rest) = match *first {
            n if n < 0x80 => (usize::from(n), rest),
            0x80 => return bad("indefinite lengths are not DER"),
            n => {
                let count = usize::from(n & 0x7f);
                if count > 3 || rest.len() < count {
                    return bad("a length is too long or cut short");
                }
                let (digits, rest) = rest.split_at(count);
                let len = digits
                    .iter()
                    .fold(0usize, |a, d| (a << 8) | usize::from(*d));
                if digits[0] == 0 || len < 0x80 {
                    return bad("a length is not in its shortest form (not DER)");
                }
                (len, rest)
            }
        };
        if rest.len() < len {
            return bad("a value is longer than what contains it");
        }
        let (body, rest) = rest.split_at(len);
        self.rest = rest;
        Ok((*tag, body))
    }

    /// The next value, which must have `tag`.
    fn take(&mut self, tag: u8, what: &str) -> Result<&'a [u8], TstError> {
        match self.any()? {
            (t, body) if t == tag => Ok(body),
            (t, _) => bad(format!(
                "expected {what} (tag {tag:#04x}), found tag {t:#04x}"
            )),
        }
    }

    /// The next value if it has `tag`.
    fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, TstError> {
        if self.peek() == Some(tag) {
            return self.any().map(|(_, b)| Some(b));
        }
        Ok(None)
    }

    fn end(&self, what: &str) -> Result<(), TstError> {
        if self.rest.is_empty() {
            return Ok(());
        }
        bad(format!("unexpected bytes after the end of {what}"))
    }
}

/// A DER INTEGER's contents, checked to be minimal.
fn integer(body: &[u8]) -> Result<&[u8], TstError> {
    match body {
        [] => bad("an empty INTEGER"),
        [0x00, next, ..] if next & 0x80 == 0 => bad("an INTEGER with a redundant leading byte"),
        [0xff, next, ..] if next & 0x80 != 0 => bad("an INTEGER with a redundant leading byte"),
        _ => Ok(body),
    }
}

/// A small non-negative INTEGER.
fn small_uint(body: &[u8]) -> Result<u64, TstError> {
    let body = integer(body)?;
    if body[0] & 0x80 != 0 || body.len() > 8 {
        return bad("a version or status is negative or too large");
    }
    Ok(body.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
}

/// An OID's contents as dotted text, checked to be well formed.
fn oid_text(body: &[u8]) -> Result<String, TstError> {
    if body.is_empty() || body.last().is_some_and(|b| b & 0x80 != 0) {
        return bad("a malformed OBJECT IDENTIFIER");
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut start = true;
    for b in body {
        if start && *b == 0x80 {
            return bad("an OBJECT IDENTIFIER arc with a redundant leading byte");
        }
        if value > u64::MAX >> 7 {
            return bad("an OBJECT IDENTIFIER arc too large");
        }
        value = (value << 7) | u64::from(b & 0x7f);
        start = b & 0x80 == 0;
        if start {
            arcs.push(value);
            value = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = match first {
        0..40 => (0, first),
        40..80 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut text = format!("{a}.{b}");
    for arc in &arcs[1..] {
        text.push_str(&format!(".{arc}"));
    }
    Ok(text)
}

/// A hash algorithm's name for messages: `SHA-256`, or the dotted OID.
pub fn oid_name(oid: &[u8]) -> String {
    if oid == OID_SHA256 {
        return "SHA-256".into();
    }
    oid_text(oid).unwrap_or_else(|_| "(malformed)".into())
}

/// A GeneralizedTime as RFC 3161 §2.4.2 requires it (`YYYYMMDDhhmmss[.f]Z`, no trailing
/// zero in the fraction), rewritten as RFC 3339.
fn generalized_time(body: &[u8]) -> Result<String, TstError> {
    let text = std::str::from_utf8(body).or_else(|_| bad("genTime is not text"))?;
    let digits = |r: std::ops::Range<usize>, max: u32| -> Result<&str, TstError> {
        match text.get(r) {
            Some(d)
                if d.bytes().all(|c| c.is_ascii_digit())
                    && d.parse::<u32>().is_ok_and(|v| v <= max) =>
            {
                Ok(d)
            }
            _ => bad(format!(
                "genTime {text:?} is not YYYYMMDDhhmmss[.f]Z in UTC"
            )),
        }
    };
    let (y, mo, d) = (digits(0..4, 9999)?, digits(4..6, 12)?, digits(6..8, 31)?);
    let (h, mi, s) = (digits(8..10, 23)?, digits(10..12, 59)?, digits(12..14, 60)?);
    if mo == "00" || d == "00" {
        return bad(format!("genTime {text:?} names no real day"));
    }
    let tail = text.get(14..).unwrap_or_default();
    let fraction = match tail.strip_suffix('Z') {
        Some("") => "",
        Some(f)
            if f.len() > 1
                && f.starts_with('.')
                && f[1..].bytes().all(|c| c.is_ascii_digit())
                && !f.ends_with('0') =>
        {
            f
        }
        _ => {
            return bad(format!(
                "genTime {text:?} is not YYYYMMDDhhmmss[.f]Z in UTC"
            ));
        }
    };
    Ok(format!("{y}-{mo}-{d}T{h}:{mi}:{s}{fraction}Z"))
}

/// Reads a DER `TimeStampResp`: the status must grant a token (0 or 1), and the token must
/// be a `SignedData` holding a `TSTInfo`.
pub fn read_response(der: &[u8]) -> Result<TimeStampResponse, TstError> {
    if der.len() > MAX_RESPONSE_BYTES {
        return Err(TstError::TooLarge(der.len()));
    }
    let mut outer = Der::new(der);
    let mut resp = Der::new(outer.take(SEQUENCE, "TimeStampResp")?);
    outer.end("the response")?;
    let status = read_status(resp.take(SEQUENCE, "PKIStatusInfo")?)?;
    let token = if resp.peek() == Some(SEQUENCE) {
        // The whole ContentInfo, header included: what `-token_out` writes.
        let before = resp.rest;
        resp.any()?;
        Some(&before[..before.len() - resp.rest.len()])
    } else {
        None
    };
    resp.end("TimeStampResp")?;
    let Some(token) = token else {
        return bad(format!("status {status} grants a token but none is given"));
    };
    let info = read_token(token)?;
    Ok(TimeStampResponse {
        status,
        token: token.to_vec(),
        info,
    })
}

/// Reads a token (a DER `ContentInfo`) down to its `TSTInfo`, without checking its signature.
pub fn read_token(der: &[u8]) -> Result<TstInfo, TstError> {
    let mut outer = Der::new(der);
    let mut content_info = Der::new(outer.take(SEQUENCE, "ContentInfo")?);
    outer.end("the token")?;
    if content_info.take(OID, "contentType")? != OID_SIGNED_DATA {
        return bad("the token is not CMS SignedData");
    }
    let mut explicit = Der::new(content_info.take(CONTEXT_0, "[0] content")?);
    content_info.end("ContentInfo")?;
    let mut signed = Der::new(explicit.take(SEQUENCE, "SignedData")?);
    explicit.end("[0] content")?;
    integer(signed.take(INTEGER, "SignedData version")?)?;
    signed.take(SET, "digestAlgorithms")?;
    let mut encap = Der::new(signed.take(SEQUENCE, "encapContentInfo")?);
    if encap.take(OID, "eContentType")? != OID_TST_INFO {
        return bad("the signed content is not a TSTInfo");
    }
    let mut econtent = Der::new(encap.take(CONTEXT_0, "[0] eContent")?);
    encap.end("encapContentInfo")?;
    let tst_info = econtent.take(OCTET_STRING, "eContent")?;
    econtent.end("[0] eContent")?;
    signed.optional(CONTEXT_0)?; // certificates
    signed.optional(CONTEXT_1)?; // crls
    signed.take(SET, "signerInfos")?;
    signed.end("SignedData")?;
    read_tst_info(tst_info)
}

fn read_tst_info(der: &[u8]) -> Result<TstInfo, TstError> {
    let mut outer = Der::new(der);
    let mut t = Der::new(outer.take(SEQUENCE, "TSTInfo")?);
    outer.end("eContent")?;
    if small_uint(t.take(INTEGER, "TSTInfo version")?)? != 1 {
        return bad("TSTInfo version is not 1");
    }
    let policy = oid_text(t.take(OID, "policy")?)?;
    let mut imprint = Der::new(t.take(SEQUENCE, "messageImprint")?);
    let mut alg = Der::new(imprint.take(SEQUENCE, "hashAlgorithm")?);
    let hash_algorithm = alg.take(OID, "hash algorithm")?.to_vec();
    oid_text(&hash_algorithm)?;
    if hash_algorithm == OID_SHA256 {
        // RFC 5754 §2: parameters absent or NULL.
        if let Some(p) = alg.optional(NULL)?
            && !p.is_empty()
        {
            return bad("SHA-256 parameters are not NULL");
        }
    } else if alg.peek().is_some() {
        alg.any()?;
    }
    alg.end("hashAlgorithm")?;
    let hashed_message = imprint.take(OCTET_STRING, "hashedMessage")?.to_vec();
    imprint.end("messageImprint")?;
    let serial = hex::encode(integer(t.take(INTEGER, "serialNumber")?)?);
    let gen_time = generalized_time(t.take(GENERALIZED_TIME, "genTime")?)?;
    t.optional(SEQUENCE)?; // accuracy
    if let Some(b) = t.optional(BOOLEAN)?
        && b != [0x00]
        && b != [0xff]
    {
        return bad("ordering is not a DER BOOLEAN");
    }
    let nonce = t
        .optional(INTEGER)?
        .map(integer)
        .transpose()?
        .map(<[u8]>::to_vec);
    t.optional(CONTEXT_0)?; // tsa
    t.optional(CONTEXT_1)?; // extensions
    t.end("TSTInfo")?;
    Ok(TstInfo {
        policy,
        hash_algorithm,
        hashed_message,
        serial,
        gen_time,
        nonce,
    })
}

/// Checks the `PKIStatusInfo`; returns the status if it grants a token.
fn read_status(body: &[u8]) -> Result<u64, TstError> {
    let mut s = Der::new(body);
    let status = small_uint(s.take(INTEGER, "status")?)?;
    let mut detail = String::new();
    if let Some(texts) = s.optional(SEQUENCE)? {
        let mut texts = Der::new(texts);
        while texts.peek().is_some() {
            let text = texts.take(UTF8_STRING, "statusString")?;
            let text = String::from_utf8_lossy(text);
            let clean: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
            detail.push_str(&format!(": {clean:?}"));
        }
    }
    if let Some(bits) = s.optional(BIT_STRING)? {
        let reasons = failure_reasons(bits)?;
        if !reasons.is_empty() {
            detail.push_str(&format!(" [{}]", reasons.join(", ")));
        }
    }
    s.end("PKIStatusInfo")?;
    let name = match status {
        0 | 1 => return Ok(status),
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => "unknown",
    };
    Err(TstError::NotGranted {
        status,
        name,
        detail,
    })
}

/// The names of the `PKIFailureInfo` bits that are set (RFC 3161 §2.4.2).
fn failure_reasons(bits: &[u8]) -> Result<Vec<&'static str>, TstError> {
    let [unused, bytes @ ..] = bits else {
        return bad("an empty BIT STRING");
    };
    if *unused > 7 || (bytes.is_empty() && *unused != 0) {
        return bad("a malformed BIT STRING");
    }
    const NAMES: [(usize, &str); 8] = [
        (0, "badAlg: unrecognized or unsupported algorithm"),
        (2, "badRequest: transaction not permitted or supported"),
        (5, "badDataFormat: the data submitted has the wrong format"),
        (
            14,
            "timeNotAvailable: the TSA's time source is not available",
        ),
        (
            15,
            "unacceptedPolicy: the requested policy is not supported",
        ),
        (
            16,
            "unacceptedExtension: the requested extension is not supported",
        ),
        (
            17,
            "addInfoNotAvailable: the additional information requested is not available",
        ),
        (
            25,
            "systemFailure: the request cannot be handled due to system failure",
        ),
    ];
    let set = |i: usize| bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
    Ok(NAMES
        .iter()
        .filter(|(i, _)| set(*i))
        .map(|(_, n)| *n)
        .collect())
}

#[cfg(test)]
#[path = "tst_tests.rs"]
mod tests;
