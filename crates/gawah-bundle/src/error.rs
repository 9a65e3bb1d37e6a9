//! Why an archive was refused or could not be written. Every refusal names the entry and
//! the reason, because the person reading it may be a court's expert, not a programmer.

use std::io;

/// An error of the zip layer (reader or writer).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZipError {
    /// Reading or writing failed at the operating-system level.
    #[error("input/output error: {0}")]
    Io(#[from] io::Error),
    /// The file has no bytes at all.
    #[error("the file is empty (0 bytes): it is not a bundle")]
    Empty,
    /// The bytes are not a zip archive at all.
    #[error("not a zip archive: {0}")]
    NotZip(&'static str),
    /// The archive's structure is broken or ambiguous.
    #[error("malformed zip archive: {0}")]
    Malformed(String),
    /// A name that could write outside the folder it is extracted to, or mislead a reader.
    #[error("unsafe name {name:?}: {reason}")]
    UnsafeName {
        /// The name as stored (lossily decoded).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two entries with the same name, or names that a file system may treat as the same.
    #[error("duplicate name {name:?}: {how} {other:?}")]
    Duplicate {
        /// The later entry.
        name: String,
        /// The earlier entry it collides with.
        other: String,
        /// "the same as", "equal ignoring case to", ...
        how: &'static str,
    },
    /// A symbolic link entry.
    #[error("{name:?} is a symbolic link: bundles hold only regular files")]
    Symlink {
        /// The entry.
        name: String,
    },
    /// A directory, device or other non-regular entry, or unexpected attributes.
    #[error("{name:?} is not a plain file (attributes {attributes:#010x}, made by {made_by:#06x})")]
    NotRegularFile {
        /// The entry.
        name: String,
        /// Its external attributes.
        attributes: u32,
        /// Its "version made by" field.
        made_by: u16,
    },
    /// A compression method other than STORE.
    #[error(
        "{name:?} uses compression method {method} ({label}): bundles use only STORE (0), no compression"
    )]
    Method {
        /// The entry.
        name: String,
        /// The method number.
        method: u16,
        /// Its usual name.
        label: &'static str,
    },
    /// An encrypted entry.
    #[error("{name:?} is encrypted: bundles are never encrypted")]
    Encrypted {
        /// The entry.
        name: String,
    },
    /// An entry larger than the caller allows.
    #[error("{name:?} declares {size} bytes, more than the limit of {limit} bytes")]
    EntryTooLarge {
        /// The entry.
        name: String,
        /// Its declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// All entries together are larger than the caller allows.
    #[error("the entries declare {total} bytes in all, more than the limit of {limit} bytes")]
    TotalTooLarge {
        /// Sum of the declared sizes.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// More entries than the caller allows.
    #[error("the archive has {count} entries, more than the limit of {limit}")]
    TooManyEntries {
        /// Entries declared.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// An entry declares more bytes than the archive holds where it says they are.
    #[error(
        "{name:?} declares {declared} bytes but only {available} bytes of the archive lie between it and the next record (a size bomb or a truncated file)"
    )]
    BeyondArchive {
        /// The entry.
        name: String,
        /// Its declared size.
        declared: u64,
        /// Bytes actually there.
        available: u64,
    },
    /// The local header of an entry does not say what the central directory says.
    #[error("the local header of {name:?} disagrees with the central directory on {field}")]
    HeaderMismatch {
        /// The entry.
        name: String,
        /// Which field differs.
        field: &'static str,
    },
    /// Entries overlap, leave gaps, or do not start at the beginning of the file.
    #[error("entries overlap or leave unaccounted bytes: {0}")]
    Layout(String),
    /// The stored CRC-32 does not match the bytes.
    #[error(
        "CRC-32 of {name:?} is {actual:08x} but the archive records {stored:08x}: the contents were altered or damaged"
    )]
    Crc {
        /// The entry.
        name: String,
        /// CRC-32 in the archive.
        stored: u32,
        /// CRC-32 of the bytes read.
        actual: u32,
    },
    /// A feature gawah bundles never use.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// No entry of that name.
    #[error("{0:?} is not in the bundle")]
    NotFound(String),
    /// An entry is larger than the reader allows for this kind of file.
    #[error("{name:?} is {size} bytes, more than the {limit} bytes allowed for it")]
    ReadLimit {
        /// The entry.
        name: String,
        /// Its size.
        size: u64,
        /// The limit for this read.
        limit: u64,
    },
    /// Log material handed to the writer does not hold together.
    #[error("log material is inconsistent: {0}")]
    BadLog(String),
}
