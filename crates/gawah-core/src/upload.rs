//! What an evidence upload says about itself, parsed without HTTP types: the tus 1.0 headers
//! (`Tus-Resumable`, `Upload-Length`, `Upload-Offset`, `Upload-Metadata`) and the text fields
//! of the multipart form (`case`, `incident`, `confidential`, the file's name).
//!
//! gawah-web's upload routes hand these functions the raw header bytes and field texts; they
//! live here, apart from the routes, so that they can be tested and fuzzed on bytes alone
//! (`fuzz/`, targets `tus_headers` and `multipart`). Every error is one the client can fix:
//! [`UploadError::Version`] is answered 412, [`UploadError::Bad`] 400 with its message.

use base64::Engine;

/// The tus protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// Longest text field of a form, in bytes.
pub const MAX_TEXT: usize = 4096;
/// Longest case reference (in characters) and file name (in bytes) kept.
pub const MAX_NAME: usize = 255;

/// Why an upload's headers or fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// `Tus-Resumable` is missing or names another version (412 Precondition Failed).
    #[error("Tus-Resumable: {TUS_VERSION} is required")]
    Version,
    /// A header or field is malformed; the message names it (400 Bad Request).
    #[error("{0}")]
    Bad(String),
}

fn bad(message: impl Into<String>) -> UploadError {
    UploadError::Bad(message.into())
}

/// Whether a header value is text as HTTP's header type reads it: visible ASCII, space and
/// tab only (what `HeaderValue::to_str` accepts).
pub fn is_header_text(raw: &[u8]) -> bool {
    raw.iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Checks `Tus-Resumable` (its raw value, if sent): only [`TUS_VERSION`] is spoken.
pub fn check_resumable(raw: Option<&[u8]>) -> Result<(), UploadError> {
    match raw {
        Some(v) if v == TUS_VERSION.as_bytes() => Ok(()),
        _ => Err(UploadError::Version),
    }
}

/// A header holding a non-negative decimal integer (`Upload-Length`, `Upload-Offset`), named
/// `name` in messages: ASCII digits only, no sign, no space, at most `u64::MAX`.
pub fn header_number(name: &str, raw: Option<&[u8]>) -> Result<u64, UploadError> {
    let v = raw.ok_or_else(|| bad(format!("missing header: {name}")))?;
    std::str::from_utf8(v)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("{name}: not a non-negative integer")))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent, and is
/// then empty); each value must decode to UTF-8 text. No header, no pairs.
pub fn metadata(raw: Option<&[u8]>) -> Result<Vec<(String, String)>, UploadError> {
    let Some(v) = raw else {
        return Ok(Vec::new());
    };
    let v = std::str::from_utf8(v)
        .ok()
        .filter(|_| is_header_text(v))
        .ok_or_else(|| bad("Upload-Metadata: not ASCII"))?;
    let mut out = Vec::new();
    for pair in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| bad(format!("Upload-Metadata: {key} is not base64")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| bad(format!("Upload-Metadata: {key} is not UTF-8 text")))?;
        out.push((key.to_owned(), text));
    }
    Ok(out)
}

/// Where a resumable upload goes, from its metadata: later keys win, unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadFields {
    /// `filename` or `name`, cleaned by [`clean_name`].
    pub file_name: Option<String>,
    /// `case`, cleaned by [`clean_case`].
    pub case_ref: Option<String>,
    /// `incident`, as sent, if not blank (the route looks it up).
    pub incident: Option<String>,
    /// `confidential`, by [`truthy`].
    pub confidential: bool,
}

impl UploadFields {
    /// The fields named by `pairs` (from [`metadata`]).
    pub fn from_metadata(pairs: &[(String, String)]) -> Result<Self, UploadError> {
        let mut f = UploadFields::default();
        for (k, v) in pairs {
            match k.as_str() {
                "filename" | "name" => f.file_name = clean_name(v),
                "case" => f.case_ref = clean_case(v)?,
                "incident" if !v.trim().is_empty() => f.incident = Some(v.clone()),
                "confidential" => f.confidential = truthy(v),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// The final component of a client's file name, without control characters, at most
/// [`MAX_NAME`] bytes (cut at a character boundary), if any is left.
pub fn clean_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        return None;
    }
    let mut end = clean.len().min(MAX_NAME);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    Some(clean[..end].to_owned())
}

/// A case reference: trimmed, at most [`MAX_NAME`] characters; blank is none.
pub fn clean_case(case: &str) -> Result<Option<String>, UploadError> {
    let case = case.trim();
    if case.chars().count() > MAX_NAME {
        return Err(bad(format!("case: at most {MAX_NAME} characters")));
    }
    Ok((!case.is_empty()).then(|| case.to_owned()))
}

/// A form's or metadata's yes: `on` (an HTML checkbox), `true`, `1` or `yes`, in any case.
pub fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "on" | "true" | "1" | "yes"
    )
}

/// What a multipart field of the evidence form is for, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// `file`: the content, streamed.
    File,
    /// `case`: a case reference.
    Case,
    /// `incident`: the incident to link to (only when the URL does not fix it).
    Incident,
    /// `confidential`: a yes or no.
    Confidential,
    /// `csrf`: the page form's token.
    Csrf,
    /// Anything else: read (within [`MAX_TEXT`]) and ignored.
    Other,
}

impl FormField {
    /// The field named `name`; `incident_fixed` when the URL names the incident.
    pub fn of(name: &str, incident_fixed: bool) -> Self {
        match name {
            "file" => FormField::File,
            "case" => FormField::Case,
            "incident" if !incident_fixed => FormField::Incident,
            "confidential" => FormField::Confidential,
            "csrf" => FormField::Csrf,
            _ => FormField::Other,
        }
    }
}

/// A small text field read chunk by chunk: refused as soon as it passes [`MAX_TEXT`] bytes,
/// so a huge field is never held.
#[derive(Debug, Default)]
pub struct TextField {
    buf: Vec<u8>,
}

impl TextField {
    /// Adds a chunk of field `name`.
    pub fn push(&mut self, name: &str, chunk: &[u8]) -> Result<(), UploadError> {
        self.buf.extend_from_slice(chunk);
        if self.buf.len() > MAX_TEXT {
            return Err(bad(format!("{name}: too long")));
        }
        Ok(())
    }

    /// The text of field `name`.
    pub fn finish(self, name: &str) -> Result<String, UploadError> {
        String::from_utf8(self.buf).map_err(|_| bad(format!("{name}: not UTF-8 text")))
    }
}

/// Whether `id` is an upload id: `upl_` and 32 lowercase hex digits.
pub fn valid_upload_id(id: &str) -> bool {
    id.strip_prefix("upl_").is_some_and(|h| {
        h.len() == 32
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cases_and_yeses() {
        assert_eq!(clean_name("C:\\photos\\a.jpg").as_deref(), Some("a.jpg"));
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_name("dir/"), None);
        assert_eq!(clean_name(" .. "), None);
        assert_eq!(clean_name("a\u{0}b\nc").as_deref(), Some("abc"));
        let long = "ک".repeat(200);
        let cut = clean_name(&long).unwrap();
        assert_eq!(
            cut.len(),
            254,
            "cut at a character boundary below 255 bytes"
        );
        assert_eq!(clean_case("  C-1 ").unwrap().as_deref(), Some("C-1"));
        assert_eq!(clean_case(" ").unwrap(), None);
        assert!(clean_case(&"x".repeat(256)).is_err());
        assert!(truthy(" ON ") && truthy("1") && !truthy("no") && !truthy(""));
    }

    #[test]
    fn tus_headers_are_strict() {
        assert_eq!(check_resumable(Some(b"1.0.0")), Ok(()));
        assert_eq!(check_resumable(Some(b"1.0.0 ")), Err(UploadError::Version));
        assert_eq!(check_resumable(None), Err(UploadError::Version));
        assert_eq!(header_number("Upload-Length", Some(b"42")), Ok(42));
        let refused = [
            &b""[..],
            b"+1",
            b"-1",
            b" 1",
            b"1e3",
            b"18446744073709551616",
        ];
        for v in refused {
            assert_eq!(
                header_number("Upload-Length", Some(v)),
                Err(bad("Upload-Length: not a non-negative integer")),
                "{v:?}"
            );
        }
        assert_eq!(
            header_number("Upload-Offset", None),
            Err(bad("missing header: Upload-Offset"))
        );
    }

    #[test]
    fn tus_metadata_pairs() {
        let raw = b"filename d29ybGQucG5n,is_confidential,case Q0FTRS0x";
        let pairs = metadata(Some(raw)).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("filename".into(), "world.png".into()),
                ("is_confidential".into(), String::new()),
                ("case".into(), "CASE-1".into())
            ]
        );
        let f = UploadFields::from_metadata(&pairs).unwrap();
        assert_eq!(f.file_name.as_deref(), Some("world.png"));
        assert_eq!(f.case_ref.as_deref(), Some("CASE-1"));
        assert_eq!(metadata(None), Ok(vec![]));
        assert_eq!(
            metadata(Some("name é".as_bytes())),
            Err(bad("Upload-Metadata: not ASCII"))
        );
        assert_eq!(
            metadata(Some(b"name d29ybGQ")),
            Err(bad("Upload-Metadata: name is not base64"))
        );
        assert_eq!(
            metadata(Some(b"name /w==")),
            Err(bad("Upload-Metadata: name is not UTF-8 text"))
        );
    }

    #[test]
    fn text_fields_stop_at_the_limit() {
        let mut t = TextField::default();
        t.push("case", &[b'a'; MAX_TEXT]).unwrap();
        assert_eq!(t.push("case", b"a"), Err(bad("case: too long")));
        let mut t = TextField::default();
        t.push("case", b"\xff").unwrap();
        assert_eq!(t.finish("case"), Err(bad("case: not UTF-8 text")));
        assert_eq!(FormField::of("incident", true), FormField::Other);
        assert_eq!(FormField::of("incident", false), FormField::Incident);
        assert!(valid_upload_id(&format!("upl_{}", "0a".repeat(16))));
        assert!(!valid_upload_id("upl_XYZ"));
    }
}
