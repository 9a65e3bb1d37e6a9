//! CSV by RFC 4180, parsed here rather than with a lenient parser: a broken row (an unclosed
//! quote, a stray quote) is reported on its own line instead of silently swallowing the rows
//! after it. A quoted field may span lines; if it runs on and the row does not come out with
//! the header's field count, the quote is taken as unclosed, the row is rejected, and reading
//! resumes on the line after it.

use std::io::{self, BufRead};

use super::lines::{Line, Lines, too_long_message};

/// Longest CSV row (a quoted field may span lines).
pub const MAX_RECORD: usize = 1 << 20;

/// A CSV row, or why it is not one. `line` is where it starts.
#[derive(Debug)]
pub(crate) enum Record {
    Row { line: u64, fields: Vec<Vec<u8>> },
    Bad { line: u64, message: String },
}

/// Parses one CSV record (lines joined by `\n`) by RFC 4180: fields separated by commas; a
/// quoted field starts with `"`, doubles any `"` inside, and its closing quote is followed by a
/// comma or the end of the record.
pub fn parse_record(rec: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let n = fields.len() + 1;
        if rec.get(i) == Some(&b'"') {
            let mut field = Vec::new();
            i += 1;
            loop {
                match rec.get(i) {
                    None => return Err(format!("column {n}: unclosed quote")),
                    Some(b'"') if rec.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        field.push(c);
                        i += 1;
                    }
                }
            }
            fields.push(field);
            match rec.get(i) {
                None => return Ok(fields),
                Some(b',') => i += 1,
                Some(_) => {
                    return Err(format!(
                        "column {n}: text after the closing quote; inside a quoted field write a quote as \"\""
                    ));
                }
            }
        } else {
            let end = rec[i..]
                .iter()
                .position(|&c| c == b',')
                .map_or(rec.len(), |p| i + p);
            let field = &rec[i..end];
            if field.contains(&b'"') {
                return Err(format!(
                    "column {n}: a quote inside an unquoted field; quote the whole field and write the quote as \"\""
                ));
            }
            fields.push(field.to_vec());
            if end == rec.len() {
                return Ok(fields);
            }
            i = end + 1;
        }
    }
}

/// Reads the next CSV record that is not blank. `width` is the header's field count, once
/// known: a row spanning lines that does not match it is taken as an unclosed quote, rejected
/// on its first line, and the lines after that are read again as rows of their own.
pub(crate) fn next_record<R: BufRead>(
    lines: &mut Lines<R>,
    width: Option<usize>,
) -> io::Result<Option<Record>> {
    let Some(first) = lines.next_non_blank()? else {
        return Ok(None);
    };
    let line = first.no;
    if first.too_long {
        return Ok(Some(Record::Bad {
            line,
            message: too_long_message(),
        }));
    }
    let unclosed = |detail: &str| Record::Bad {
        line,
        message: format!("unclosed quote: a quoted field starting on this line {detail}"),
    };
    let mut quotes = count_quotes(&first.bytes);
    let mut rec = first.bytes;
    let mut more: Vec<Line> = Vec::new();
    while quotes % 2 == 1 {
        match lines.next()? {
            None => {
                lines.unread(more);
                return Ok(Some(unclosed("is never closed")));
            }
            Some(l) if l.too_long || rec.len() + l.bytes.len() >= MAX_RECORD => {
                more.push(l);
                lines.unread(more);
                return Ok(Some(unclosed(&format!(
                    "is not closed within {} MiB",
                    MAX_RECORD >> 20
                ))));
            }
            Some(l) => {
                quotes += count_quotes(&l.bytes);
                rec.push(b'\n');
                rec.extend_from_slice(&l.bytes);
                more.push(l);
            }
        }
    }
    let last = more.last().map(|l| l.no);
    match (parse_record(&rec), last) {
        (Ok(fields), Some(last)) if width.is_some_and(|w| w != fields.len()) => {
            lines.unread(more);
            Ok(Some(unclosed(&format!(
                "runs to line {last} and leaves the row with {} fields, not {}",
                fields.len(),
                width.unwrap_or_default()
            ))))
        }
        (Ok(fields), _) => Ok(Some(Record::Row { line, fields })),
        (Err(_), Some(last)) => {
            lines.unread(more);
            Ok(Some(unclosed(&format!("is not closed before line {last}"))))
        }
        (Err(message), None) => Ok(Some(Record::Bad { line, message })),
    }
}

fn count_quotes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'"').count()
}

pub(crate) fn utf8_message(e: &std::str::Utf8Error) -> String {
    format!(
        "is not valid UTF-8 (byte {} of the cell); save the file as UTF-8",
        e.valid_up_to() + 1
    )
}
