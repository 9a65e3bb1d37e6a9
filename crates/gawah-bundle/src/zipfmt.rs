//! The few records of PKWARE's APPNOTE (version 6.3) that gawah bundles use, and the exact
//! values the writer puts in them. The reader accepts only these values, so every bundle has
//! one byte layout: nothing in the archive can vary without being noticed.
//!
//! ```text
//! [local header 30 B][name][data]                      one per file, from byte 0, no gaps
//! [local header][name][data][data descriptor 24 B]     only for a file of 4 GiB or more
//! [central directory: one 46 B record + name (+ ZIP64 extra) per file]
//! [ZIP64 end record 56 B][ZIP64 locator 20 B]          only when a count or offset needs it
//! [end of central directory 22 B, no comment]          the last 22 bytes of the file
//! ```
//!
//! All integers are little-endian.

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

pub(crate) const LOCAL_LEN: u64 = 30;
pub(crate) const CENTRAL_LEN: usize = 46;
pub(crate) const EOCD_LEN: u64 = 22;
pub(crate) const ZIP64_EOCD_LEN: u64 = 56;
pub(crate) const ZIP64_LOCATOR_LEN: u64 = 20;
pub(crate) const DESCRIPTOR_LEN: u64 = 24;

/// General-purpose flag bit 0: the entry is encrypted.
pub(crate) const FLAG_ENCRYPTED: u16 = 0x0001;
/// Bit 3: CRC and sizes follow the data in a data descriptor.
pub(crate) const FLAG_DESCRIPTOR: u16 = 0x0008;
/// Bit 6: strong encryption.
pub(crate) const FLAG_STRONG_ENCRYPTION: u16 = 0x0040;
/// Bit 11: the name is UTF-8.
pub(crate) const FLAG_UTF8: u16 = 0x0800;

/// "Version needed to extract": 1.0 for stored files, 4.5 when ZIP64 fields are present.
pub(crate) const NEEDED_PLAIN: u16 = 10;
pub(crate) const NEEDED_ZIP64: u16 = 45;
/// "Version made by": Unix (3) in the high byte, so the external attributes carry a Unix
/// mode; APPNOTE 4.5 in the low byte.
pub(crate) const MADE_BY: u16 = (3 << 8) | 45;
/// External attributes: a regular file (`S_IFREG`), mode 0644, in the high 16 bits.
pub(crate) const REGULAR_FILE_ATTRS: u32 = 0o100_644 << 16;
pub(crate) const S_IFMT: u32 = 0o170_000;
pub(crate) const S_IFLNK: u32 = 0o120_000;

/// Modification time and date in MS-DOS form: 1980-01-01 00:00:00, the earliest it can
/// express. Fixed so that the same files always make the same archive; the bundle's
/// creation time is in the manifest.
pub(crate) const DOS_TIME: u16 = 0;
pub(crate) const DOS_DATE: u16 = (1 << 5) | 1;

/// The value a 32-bit field holds when the real value is in a ZIP64 field.
pub(crate) const SENTINEL32: u32 = 0xFFFF_FFFF;
pub(crate) const SENTINEL16: u16 = 0xFFFF;
/// Header id of the ZIP64 extended information extra field.
pub(crate) const ZIP64_EXTRA_ID: u16 = 0x0001;

/// Whether `value` does not fit a 32-bit field (the sentinel itself included).
pub(crate) fn needs64(value: u64) -> bool {
    value >= u64::from(SENTINEL32)
}

/// Appends little-endian integers to a buffer.
pub(crate) trait PutLe {
    fn put16(&mut self, v: u16);
    fn put32(&mut self, v: u32);
    fn put64(&mut self, v: u64);
}

impl PutLe for Vec<u8> {
    fn put16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads little-endian integers from a slice; running out yields `None`.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// The usual name of a compression method, for error messages.
pub(crate) fn method_label(method: u16) -> &'static str {
    match method {
        0 => "STORE",
        8 => "DEFLATE",
        9 => "DEFLATE64",
        12 => "BZIP2",
        14 => "LZMA",
        93 => "ZSTANDARD",
        95 => "XZ",
        99 => "AES encryption",
        _ => "unknown",
    }
}
