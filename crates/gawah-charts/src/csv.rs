//! CSV downloads: RFC 4180, with an optional HXL row and a guard against formula injection.

/// Characters that make a spreadsheet read a cell as a formula (OWASP's list, with the
/// full-width forms some spreadsheets also accept).
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// A table as CSV text (UTF-8, no byte-order mark).
///
/// - The header row comes first, then the HXL hashtag row if given (`#date`, `#adm1+code`, …,
///   see <https://hxlstandard.org>), then the rows, each as given (no padding of short rows).
/// - RFC 4180: fields separated by `,`, every record ended by CRLF; a field holding `,`, `"`,
///   CR or LF is quoted, its `"` doubled.
/// - Formula injection: a cell beginning with `=`, `+`, `-`, `@`, tab or CR (or the full-width
///   `＝ ＋ － ＠`) gets a `'` in front, so that a spreadsheet shows it as text instead of running
///   it. **Except** plain numbers, kept as they are so that they stay numbers: an optional sign,
///   ASCII digits, and optionally a `.` and more digits (`-3`, `+12`, `-0.5`). Suppressed
///   counts like `<5` begin with none of those characters and are kept too. This applies to
///   every row, the header and HXL rows included.
pub fn csv_table(header: &[&str], hxl: Option<&[&str]>, rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    write_record(&mut out, header.iter().copied());
    if let Some(tags) = hxl {
        write_record(&mut out, tags.iter().copied());
    }
    for row in rows {
        write_record(&mut out, row.iter().map(String::as_str));
    }
    out
}

fn write_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell);
    }
    out.push_str("\r\n");
}

fn write_cell(out: &mut String, cell: &str) {
    let guarded = cell.starts_with(FORMULA_STARTS) && !is_plain_number(cell);
    let quoted = cell.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if guarded {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

/// `[+-]?[0-9]+(\.[0-9]+)?`
fn is_plain_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_recognised() {
        for yes in ["0", "-3", "+12", "-0.5", "123456"] {
            assert!(is_plain_number(yes), "{yes}");
        }
        for no in [
            "", "-", "+", "-3.", "-.5", "1e5", "-1+1", "- 3", "-۳", "=1", "1,000",
        ] {
            assert!(!is_plain_number(no), "{no}");
        }
    }
}
