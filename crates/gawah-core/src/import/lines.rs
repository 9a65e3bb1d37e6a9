//! Physical lines of the file, read in bounded memory, with lines given back to be read again
//! (a CSV row that runs on past an unclosed quote gives back the lines after its first).

use std::collections::VecDeque;
use std::io::{self, BufRead};

/// Longest physical line read; a longer one is rejected and skipped.
pub const MAX_LINE: usize = 1 << 20;

/// A physical line: its number (from 1), its bytes without the line end, and whether it was
/// longer than [`MAX_LINE`] (its bytes are then dropped).
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) no: u64,
    pub(crate) bytes: Vec<u8>,
    pub(crate) too_long: bool,
}

impl Line {
    pub(crate) fn is_blank(&self) -> bool {
        !self.too_long && self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

/// Physical lines of a reader, with lines given back ([`Lines::unread`]) read again first.
#[derive(Debug)]
pub(crate) struct Lines<R> {
    inner: R,
    read: u64,
    /// Bytes consumed from the reader so far (for a progress bar).
    pub(crate) consumed: u64,
    replay: VecDeque<Line>,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            read: 0,
            consumed: 0,
            replay: VecDeque::new(),
        }
    }

    pub(crate) fn next(&mut self) -> io::Result<Option<Line>> {
        if let Some(l) = self.replay.pop_front() {
            return Ok(Some(l));
        }
        let mut bytes = Vec::new();
        let (mut any, mut too_long) = (false, false);
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let newline = avail.iter().position(|&b| b == b'\n');
            let take = newline.map_or(avail.len(), |i| i + 1);
            let content = &avail[..newline.unwrap_or(avail.len())];
            if !too_long {
                if bytes.len() + content.len() > MAX_LINE {
                    too_long = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(content);
                }
            }
            self.inner.consume(take);
            self.consumed += take as u64;
            if newline.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        self.read += 1;
        if self.read == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        Ok(Some(Line {
            no: self.read,
            bytes,
            too_long,
        }))
    }

    /// Gives lines back, to be read again (in this order) before any other.
    pub(crate) fn unread(&mut self, lines: Vec<Line>) {
        for l in lines.into_iter().rev() {
            self.replay.push_front(l);
        }
    }

    /// The next line that is not blank.
    pub(crate) fn next_non_blank(&mut self) -> io::Result<Option<Line>> {
        loop {
            match self.next()? {
                Some(l) if l.is_blank() => continue,
                other => return Ok(other),
            }
        }
    }
}

pub(crate) fn too_long_message() -> String {
    format!("the line is longer than {} MiB", MAX_LINE >> 20)
}
