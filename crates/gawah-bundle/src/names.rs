//! Names inside a bundle: which are safe, and which collide.
//!
//! A name is a relative path with `/` separators. Both the writer and the reader apply the
//! same rules, so a bundle the writer produced always opens, and a hostile archive cannot
//! smuggle a file outside the folder it is extracted to (`../`, `/etc/...`, `C:\...`), hide
//! a second version of a file under a name that looks the same (`a.jpg` and `A.JPG`, or two
//! Unicode spellings of one Dari name), or disguise a name's extension with bidirectional
//! control characters.

use unicode_normalization::UnicodeNormalization as _;

use crate::error::ZipError;

/// Longest component (between slashes), in bytes, as most file systems allow.
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Longest whole name, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;

fn unsafe_name(name: &str, reason: &'static str) -> ZipError {
    ZipError::UnsafeName {
        name: name.to_owned(),
        reason,
    }
}

/// Invisible characters that change how a name is displayed: bidirectional controls (which
/// can make `gpj.exe` look like `exe.jpg`), zero-width characters and the byte-order mark.
fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Checks that `name` is a safe relative path.
pub fn check_name(name: &str) -> Result<(), ZipError> {
    if name.is_empty() {
        return Err(unsafe_name(name, "empty name"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(unsafe_name(name, "longer than 1024 bytes"));
    }
    if name.starts_with('/') {
        return Err(unsafe_name(name, "absolute path"));
    }
    if name.contains('\\') {
        return Err(unsafe_name(name, "backslash (a path separator on Windows)"));
    }
    if name.contains(':') {
        return Err(unsafe_name(
            name,
            "colon (a drive letter or an alternate data stream on Windows)",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(unsafe_name(name, "control character"));
    }
    if name.chars().any(is_deceptive) {
        return Err(unsafe_name(
            name,
            "invisible or bidirectional formatting character",
        ));
    }
    for component in name.split('/') {
        match component {
            "" => {
                return Err(unsafe_name(
                    name,
                    "empty path component ('//' or a trailing '/')",
                ));
            }
            "." | ".." => return Err(unsafe_name(name, "'.' or '..' path component")),
            c if c.len() > MAX_COMPONENT_BYTES => {
                return Err(unsafe_name(name, "a path component longer than 255 bytes"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The key under which two names collide: Unicode NFC, then lowercase. Two names with the
/// same key may land in one file on a case-insensitive or normalising file system (Windows,
/// macOS), so an archive may hold only one of them.
pub fn collision_key(name: &str) -> String {
    name.nfc().collect::<String>().to_lowercase()
}

/// Describes how `a` and `b` (with equal [`collision_key`]s) collide.
pub fn collision_kind(a: &str, b: &str) -> &'static str {
    if a == b {
        "the same as"
    } else if a.nfc().eq(b.nfc()) {
        "the same Unicode text (NFC) as"
    } else {
        "equal ignoring case to"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "manifest.json",
            "files/item_1.jpg",
            "log/proofs/12.proof",
            "files/گواه.png",
        ] {
            assert!(check_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_unsafe_names() {
        let long = "a".repeat(256);
        for (name, why) in [
            ("", "empty"),
            ("../x", "'..'"),
            ("files/../../x", "'..'"),
            ("./x", "'.'"),
            ("/etc/passwd", "absolute"),
            ("files\\x", "backslash"),
            ("C:/x", "colon"),
            ("files//x", "empty path"),
            ("files/", "empty path"),
            ("a\nb", "control"),
            ("files/\u{202E}gpj.exe", "bidirectional"),
            (long.as_str(), "255"),
        ] {
            let err = check_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name:?}: {err}");
        }
    }

    #[test]
    fn collisions_fold_case_and_normalisation() {
        assert_eq!(collision_key("Files/A.JPG"), collision_key("files/a.jpg"));
        // U+0622 (alef with madda) and U+0627 U+0653 (alef, combining madda) are one text.
        assert_eq!(
            collision_key("files/\u{622}.txt"),
            collision_key("files/\u{627}\u{653}.txt")
        );
        assert_eq!(
            collision_kind("files/\u{622}", "files/\u{627}\u{653}"),
            "the same Unicode text (NFC) as"
        );
        assert_eq!(collision_kind("a", "A"), "equal ignoring case to");
        assert_ne!(collision_key("a.jpg"), collision_key("b.jpg"));
    }
}
