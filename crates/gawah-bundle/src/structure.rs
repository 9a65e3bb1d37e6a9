//! Parsing and checking the structure of an archive: the end records, the central
//! directory and each local header. See `zipfmt` for the one layout accepted.

use std::collections::HashMap;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::error::ZipError;
use crate::names::{check_name, collision_key, collision_kind};
use crate::reader::{EntryInfo, Limits};
use crate::zipfmt::*;

/// What a central record says, before the local header is checked against it.
pub(crate) struct Central {
    info: EntryInfo,
    offset: u64,
    needed: u16,
    flags: u16,
    time: u16,
    date: u16,
}

pub(crate) fn malformed(msg: impl Into<String>) -> ZipError {
    ZipError::Malformed(msg.into())
}

pub(crate) fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> Result<Vec<u8>, ZipError> {
    r.seek(SeekFrom::Start(at))?;
    let mut buf = vec![0u8; usize::try_from(len).map_err(|_| malformed("record too large"))?];
    r.read_exact(&mut buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => malformed("truncated record"),
        _ => ZipError::Io(e),
    })?;
    Ok(buf)
}

fn field<T>(v: Option<T>) -> Result<T, ZipError> {
    v.ok_or_else(|| malformed("truncated end record"))
}

/// Parses the end of central directory record (and the ZIP64 one if it is used); returns
/// (entry count, directory size, directory offset, where the directory must end).
pub(crate) fn read_end<R: Read + Seek>(
    r: &mut R,
    eocd_at: u64,
) -> Result<(u64, u64, u64, u64), ZipError> {
    let end = read_at(r, eocd_at, EOCD_LEN)?;
    let mut c = Cursor::new(&end);
    if field(c.u32())? != EOCD_SIG {
        return Err(ZipError::NotZip(
            "no end-of-central-directory record in the last 22 bytes (not a zip archive, or bytes appended after it)",
        ));
    }
    let (disk, cd_disk) = (field(c.u16())?, field(c.u16())?);
    let (on_disk, count) = (field(c.u16())?, field(c.u16())?);
    let (cd_size, cd_offset) = (field(c.u32())?, field(c.u32())?);
    let comment = field(c.u16())?;
    if disk != 0 || cd_disk != 0 {
        return Err(ZipError::Unsupported(
            "archives split over several disks".into(),
        ));
    }
    if comment != 0 || on_disk != count {
        return Err(malformed(
            "inconsistent end record (comment length or entry counts)",
        ));
    }
    let zip64 = count == SENTINEL16 || cd_size == SENTINEL32 || cd_offset == SENTINEL32;
    if !zip64 {
        return Ok((count.into(), cd_size.into(), cd_offset.into(), eocd_at));
    }
    let locator_at = eocd_at
        .checked_sub(ZIP64_LOCATOR_LEN + ZIP64_EOCD_LEN)
        .ok_or_else(|| malformed("ZIP64 end records missing"))?
        + ZIP64_EOCD_LEN;
    let loc = read_at(r, locator_at, ZIP64_LOCATOR_LEN)?;
    let mut c = Cursor::new(&loc);
    let record_at = locator_at - ZIP64_EOCD_LEN;
    let ok = c.u32() == Some(ZIP64_LOCATOR_SIG)
        && c.u32() == Some(0)
        && c.u64() == Some(record_at)
        && c.u32() == Some(1);
    if !ok {
        return Err(malformed("bad ZIP64 end-of-central-directory locator"));
    }
    let rec = read_at(r, record_at, ZIP64_EOCD_LEN)?;
    let mut c = Cursor::new(&rec);
    let head_ok = c.u32() == Some(ZIP64_EOCD_SIG)
        && c.u64() == Some(ZIP64_EOCD_LEN - 12)
        && c.u16() == Some(MADE_BY)
        && c.u16() == Some(NEEDED_ZIP64)
        && c.u32() == Some(0)
        && c.u32() == Some(0);
    let (on_disk64, count64) = (c.u64(), c.u64());
    let (size64, offset64) = (c.u64(), c.u64());
    let (Some(on_disk64), Some(count64), Some(size64), Some(offset64)) =
        (on_disk64, count64, size64, offset64)
    else {
        return Err(malformed("truncated ZIP64 end record"));
    };
    let agrees = |small: u64, sentinel: u64, big: u64| small == sentinel || small == big;
    if !head_ok
        || on_disk64 != count64
        || !agrees(count.into(), SENTINEL16.into(), count64)
        || !agrees(cd_size.into(), SENTINEL32.into(), size64)
        || !agrees(cd_offset.into(), SENTINEL32.into(), offset64)
    {
        return Err(malformed("bad ZIP64 end-of-central-directory record"));
    }
    Ok((count64, size64, offset64, record_at))
}

/// Parses and checks every central record.
pub(crate) fn read_central<R: Read + Seek>(
    r: &mut R,
    cd_offset: u64,
    cd_size: u64,
    count: u64,
    limits: &Limits,
) -> Result<Vec<Central>, ZipError> {
    r.seek(SeekFrom::Start(cd_offset))?;
    let mut cd = BufReader::new(r.take(cd_size));
    let mut out = Vec::new();
    let mut keys: HashMap<String, String> = HashMap::new();
    let mut total = 0u64;
    let truncated = |e: io::Error| match e.kind() {
        io::ErrorKind::UnexpectedEof => malformed("truncated central directory"),
        _ => ZipError::Io(e),
    };
    for _ in 0..count {
        let mut fixed = [0u8; CENTRAL_LEN];
        cd.read_exact(&mut fixed).map_err(truncated)?;
        let mut c = Cursor::new(&fixed);
        let mut f = || c.u16().unwrap_or_default();
        let sig = u32::from(f()) | (u32::from(f()) << 16);
        let (made_by, needed, flags, method, time, date) = (f(), f(), f(), f(), f(), f());
        let crc = u32::from(f()) | (u32::from(f()) << 16);
        let csize = u32::from(f()) | (u32::from(f()) << 16);
        let usize_ = u32::from(f()) | (u32::from(f()) << 16);
        let (name_len, extra_len, comment_len, disk, internal) = (f(), f(), f(), f(), f());
        let attrs = u32::from(f()) | (u32::from(f()) << 16);
        let offset32 = u32::from(f()) | (u32::from(f()) << 16);
        if sig != CENTRAL_SIG {
            return Err(malformed("bad central directory record signature"));
        }
        let mut var =
            vec![0u8; usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len)];
        cd.read_exact(&mut var).map_err(truncated)?;
        let (name_bytes, rest) = var.split_at(usize::from(name_len));
        let (extra, _comment) = rest.split_at(usize::from(extra_len));
        let name = String::from_utf8(name_bytes.to_vec()).map_err(|_| ZipError::UnsafeName {
            name: String::from_utf8_lossy(name_bytes).into_owned(),
            reason: "not UTF-8",
        })?;
        check_name(&name)?;
        if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || method == 99 {
            return Err(ZipError::Encrypted { name });
        }
        if method != 0 {
            return Err(ZipError::Method {
                name,
                method,
                label: method_label(method),
            });
        }
        if made_by >> 8 == 3 && (attrs >> 16) & S_IFMT == S_IFLNK {
            return Err(ZipError::Symlink { name });
        }
        if made_by != MADE_BY || attrs != REGULAR_FILE_ATTRS {
            return Err(ZipError::NotRegularFile {
                name,
                attributes: attrs,
                made_by,
            });
        }
        if flags & !FLAG_DESCRIPTOR != FLAG_UTF8 {
            return Err(malformed(format!(
                "{name:?} has general-purpose flags {flags:#06x}; gawah bundles set only bit 11 (UTF-8 name), and bit 3 for files of 4 GiB or more"
            )));
        }
        if comment_len != 0 || disk != 0 || internal != 0 {
            return Err(malformed(format!(
                "{name:?} has a comment, a disk number or internal attributes; gawah bundles have none"
            )));
        }
        let (size, csize, offset, zip64) = zip64_fields(&name, extra, usize_, csize, offset32)?;
        if csize != size {
            return Err(malformed(format!(
                "{name:?} is stored but its compressed size ({csize}) differs from its size ({size})"
            )));
        }
        if needed != if zip64 { NEEDED_ZIP64 } else { NEEDED_PLAIN } {
            return Err(malformed(format!(
                "{name:?} has an unexpected 'version needed' ({needed})"
            )));
        }
        if (flags & FLAG_DESCRIPTOR != 0) != needs64(size) {
            return Err(malformed(format!(
                "{name:?}: a data descriptor is used exactly for files of 4 GiB or more"
            )));
        }
        if size > limits.max_entry_bytes {
            return Err(ZipError::EntryTooLarge {
                name,
                size,
                limit: limits.max_entry_bytes,
            });
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(ZipError::TotalTooLarge {
                total,
                limit: limits.max_total_bytes,
            });
        }
        let key = collision_key(&name);
        if let Some(other) = keys.get(&key) {
            return Err(ZipError::Duplicate {
                how: collision_kind(&name, other),
                other: other.clone(),
                name,
            });
        }
        keys.insert(key, name.clone());
        out.push(Central {
            info: EntryInfo {
                name,
                size,
                crc32: crc,
                data_start: 0,
            },
            offset,
            needed,
            flags,
            time,
            date,
        });
    }
    let mut rest = [0u8; 1];
    if cd.read(&mut rest)? != 0 {
        return Err(malformed(
            "bytes left in the central directory after its last record",
        ));
    }
    Ok(out)
}

/// Resolves sizes and offset through the ZIP64 extra field, the only extra field allowed.
/// It must hold exactly the values whose 32-bit fields are the sentinel, and only values that
/// need it. Returns (size, compressed size, offset, whether ZIP64 is used).
fn zip64_fields(
    name: &str,
    extra: &[u8],
    usize32: u32,
    csize32: u32,
    offset32: u32,
) -> Result<(u64, u64, u64, bool), ZipError> {
    let bad = |why: &str| malformed(format!("{name:?}: {why}"));
    if extra.is_empty() {
        if usize32 == SENTINEL32 || csize32 == SENTINEL32 || offset32 == SENTINEL32 {
            return Err(bad(
                "a size or offset says ZIP64 but there is no ZIP64 field",
            ));
        }
        return Ok((usize32.into(), csize32.into(), offset32.into(), false));
    }
    let mut c = Cursor::new(extra);
    if c.u16() != Some(ZIP64_EXTRA_ID) {
        return Err(bad(
            "extra fields other than ZIP64 are not used in gawah bundles",
        ));
    }
    let len = c.u16().ok_or_else(|| bad("truncated extra field"))?;
    let body = c
        .take(usize::from(len))
        .ok_or_else(|| bad("truncated extra field"))?;
    if !c.is_empty() {
        return Err(bad("more than one extra field"));
    }
    let mut b = Cursor::new(body);
    let mut wide = |v: u32| -> Result<u64, ZipError> {
        if v != SENTINEL32 {
            return Ok(v.into());
        }
        let big = b.u64().ok_or_else(|| bad("ZIP64 field too short"))?;
        if !needs64(big) {
            return Err(bad("ZIP64 used for a value that fits in 32 bits"));
        }
        Ok(big)
    };
    let (size, csize, offset) = (wide(usize32)?, wide(csize32)?, wide(offset32)?);
    if !b.is_empty() {
        return Err(bad("ZIP64 field has unexpected values"));
    }
    Ok((size, csize, offset, true))
}

/// Checks each local header against its central record, and that the entries tile the
/// file from byte 0 to the central directory with no gap and no overlap.
pub(crate) fn check_locals<R: Read + Seek>(
    r: &mut R,
    centrals: Vec<Central>,
    cd_offset: u64,
) -> Result<Vec<EntryInfo>, ZipError> {
    let mut expected = 0u64;
    let mut out = Vec::with_capacity(centrals.len());
    for c in centrals {
        let name = c.info.name.clone();
        if c.offset != expected {
            let how = if c.offset < expected {
                format!(
                    "{name:?} starts at byte {}, inside the previous entry (which ends at byte {expected})",
                    c.offset
                )
            } else {
                format!(
                    "{} unaccounted bytes before {name:?} (at byte {expected})",
                    c.offset - expected
                )
            };
            return Err(ZipError::Layout(how));
        }
        let header_end = c.offset + LOCAL_LEN + c.info.name.len() as u64;
        if header_end > cd_offset {
            return Err(ZipError::BeyondArchive {
                name,
                declared: c.info.size,
                available: cd_offset.saturating_sub(c.offset),
            });
        }
        let head = read_at(r, c.offset, LOCAL_LEN + c.info.name.len() as u64)?;
        let mut h = Cursor::new(&head);
        let mismatch = |field| ZipError::HeaderMismatch {
            name: name.clone(),
            field,
        };
        if h.u32() != Some(LOCAL_SIG) {
            return Err(malformed(format!(
                "no local header for {name:?} at byte {}",
                c.offset
            )));
        }
        let check = |value: Option<u16>, want: u16, field| match value == Some(want) {
            true => Ok(()),
            false => Err(mismatch(field)),
        };
        check(h.u16(), c.needed, "version needed")?;
        check(h.u16(), c.flags, "flags")?;
        check(h.u16(), 0, "compression method")?;
        check(h.u16(), c.time, "modification time")?;
        check(h.u16(), c.date, "modification date")?;
        let descriptor = c.flags & FLAG_DESCRIPTOR != 0;
        let (crc, csize, usize_) = (h.u32(), h.u32(), h.u32());
        let want = if descriptor {
            (Some(0), Some(0), Some(0))
        } else {
            // Not a descriptor entry, so size < 2^32 - 1 (checked with the central record).
            let s = c.info.size as u32;
            (Some(c.info.crc32), Some(s), Some(s))
        };
        if crc != want.0 {
            return Err(mismatch("CRC-32"));
        }
        if (csize, usize_) != (want.1, want.2) {
            return Err(mismatch("size"));
        }
        check(h.u16(), c.info.name.len() as u16, "name length")?;
        check(
            h.u16(),
            0,
            "extra field (gawah bundles write none in local headers)",
        )?;
        if h.take(c.info.name.len()) != Some(c.info.name.as_bytes()) {
            return Err(mismatch("name"));
        }
        let tail = if descriptor { DESCRIPTOR_LEN } else { 0 };
        let end = header_end
            .checked_add(c.info.size)
            .and_then(|e| e.checked_add(tail));
        if end.is_none_or(|e| e > cd_offset) {
            return Err(ZipError::BeyondArchive {
                name,
                declared: c.info.size,
                available: cd_offset.saturating_sub(header_end),
            });
        }
        let data_end = header_end + c.info.size;
        if descriptor {
            let d = read_at(r, data_end, DESCRIPTOR_LEN)?;
            let mut d = Cursor::new(&d);
            let ok = d.u32() == Some(DESCRIPTOR_SIG)
                && d.u32() == Some(c.info.crc32)
                && d.u64() == Some(c.info.size)
                && d.u64() == Some(c.info.size);
            if !ok {
                return Err(mismatch("data descriptor"));
            }
        }
        expected = data_end + tail;
        out.push(EntryInfo {
            data_start: header_end,
            ..c.info
        });
    }
    if expected != cd_offset {
        return Err(ZipError::Layout(format!(
            "{} unaccounted bytes between the last entry and the central directory",
            cd_offset - expected
        )));
    }
    Ok(out)
}
