//! Files of at least `TWO_THREADS_FROM` bytes are read to their end with SHA-256 on the
//! reading thread and CRC-32 on a second one. The same checks must hold as on one thread:
//! same digests, every changed byte caught, a short or failing archive an error.

mod common;

use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use common::*;
use gawah_bundle::*;

/// Larger than the threshold and not a whole number of read blocks (1 MiB) or CRC blocks.
const BIG: usize = TWO_THREADS_FROM as usize + (1 << 20) + 12_345;

fn content(len: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn big_bundle() -> (Built, Vec<u8>) {
    let data = content(BIG);
    let b = build(Spec {
        items: vec![item(1, b"small"), item(2, &data)],
        ..Spec::default()
    });
    (b, data)
}

/// Where `data` (at least 64 bytes, its start unique) starts in the archive.
fn data_offset(zip: &[u8], data: &[u8]) -> usize {
    zip.windows(64).position(|w| w == &data[..64]).unwrap()
}

#[test]
fn two_threads_give_the_same_digest_as_one() {
    for len in [
        TWO_THREADS_FROM as usize - 1,
        TWO_THREADS_FROM as usize,
        BIG,
        3 << 20,
    ] {
        let data = content(len);
        let mut w = BundleWriter::new(Cursor::new(Vec::new())).unwrap();
        w.add_file("files/x.bin", &data[..]).unwrap();
        let zip = w.finish().unwrap().into_inner();
        let mut r = BundleReader::new(Cursor::new(&zip), &Limits::default()).unwrap();
        let d = r.digest("files/x.bin").unwrap();
        assert_eq!(d.sha256, sha256(&data), "length {len}");
        assert_eq!(d.actual_crc, crc32(&data), "length {len}");
        assert!(d.crc_ok(), "length {len}");
        assert_eq!(d.bytes, len as u64);
        // The streaming reader (one thread) agrees.
        let mut back = Vec::new();
        r.open_entry("files/x.bin")
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == data, "length {len}");
    }
}

#[test]
fn a_large_bundle_verifies() {
    let (b, _) = big_bundle();
    let report = check(&b.zip, &b.log.key());
    assert!(report.ok, "{report}");
}

#[test]
fn every_changed_byte_of_a_large_file_is_caught() {
    let (b, data) = big_bundle();
    let start = data_offset(&b.zip, &data);
    // First and last byte, both sides of a read block and of a CRC block boundary.
    for at in [0, 1 << 20, (1 << 20) - 1, 16 << 10, BIG / 2, BIG - 1] {
        let mut zip = b.zip.clone();
        zip[start + at] ^= 0x10;
        let report = check(&zip, &b.log.key());
        assert_refused(&report, "CRC-32 of files/item_2abc.bin");
        assert_refused(&report, "SHA-256 of files/item_2abc.bin is");
        assert_refused(&report, "the file or its salt is not the one logged");
        assert!(report.items[0].ok, "the other item is unaffected");
    }
}

/// An archive whose reads end early, or fail, from byte `cut` on (set after the structure
/// was read).
struct Failing {
    inner: Cursor<Vec<u8>>,
    cut: Rc<Cell<u64>>,
    error: bool,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (pos, cut) = (self.inner.position(), self.cut.get());
        if pos >= cut {
            return if self.error {
                Err(io::Error::other("disk on fire"))
            } else {
                Ok(0)
            };
        }
        let n = buf.len().min((cut - pos) as usize);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Failing {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn an_archive_that_ends_or_fails_inside_a_large_file_is_an_error() {
    let (b, data) = big_bundle();
    let start = data_offset(&b.zip, &data) as u64;
    for error in [false, true] {
        for cut in [start, start + (1 << 20), start + BIG as u64 - 1] {
            let limit = Rc::new(Cell::new(u64::MAX));
            let archive = Failing {
                inner: Cursor::new(b.zip.clone()),
                cut: Rc::clone(&limit),
                error,
            };
            let mut r = BundleReader::new(archive, &Limits::default()).unwrap();
            limit.set(cut);
            let e = r.digest("files/item_2abc.bin").unwrap_err().to_string();
            let expected = if error {
                "disk on fire"
            } else {
                "archive ends inside an entry"
            };
            assert!(e.contains(expected), "cut at {cut}: {e}");
            // The reader is still usable: with the whole archive back, the file reads whole.
            limit.set(u64::MAX);
            assert!(r.digest("files/item_2abc.bin").unwrap().crc_ok());
        }
    }
}
