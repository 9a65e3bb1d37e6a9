//! CSV: RFC 4180 quoting, CRLF, the HXL row, the formula-injection guard.

use gawah_charts::csv_table;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

#[test]
fn header_hxl_and_rows_in_order_with_crlf() {
    let csv = csv_table(
        &["month", "count"],
        Some(&["#date", "#affected"]),
        &[row(&["2022-01", "12"])],
    );
    assert_eq!(csv, "month,count\r\n#date,#affected\r\n2022-01,12\r\n");
    let csv = csv_table(&["a"], None, &[]);
    assert_eq!(csv, "a\r\n");
    assert!(!csv.starts_with('\u{FEFF}'));
}

#[test]
fn the_web_crates_call_shape_compiles() {
    // As in gawah-web's /figures.csv: arrays passed by reference.
    const HEADER: [&str; 2] = ["key", "count"];
    const HXL: [&str; 2] = ["#meta+key", "#affected"];
    let rows: Vec<Vec<String>> = vec![row(&["AF-KAB", "<5"])];
    let csv = csv_table(&HEADER, Some(&HXL), &rows);
    assert_eq!(csv, "key,count\r\n#meta+key,#affected\r\nAF-KAB,<5\r\n");
}

#[test]
fn fields_are_quoted_per_rfc_4180() {
    let csv = csv_table(
        &["x"],
        None,
        &[
            row(&["a,b"]),
            row(&["say \"no\""]),
            row(&["two\r\nlines"]),
            row(&["line\nfeed"]),
            row(&["plain text"]),
            row(&["کابل، هرات"]),
        ],
    );
    let expected = "x\r\n\"a,b\"\r\n\"say \"\"no\"\"\"\r\n\"two\r\nlines\"\r\n\"line\nfeed\"\r\nplain text\r\nکابل، هرات\r\n";
    assert_eq!(csv, expected);
}

#[test]
fn formulas_are_defused_and_numbers_kept() {
    let cells = [
        "=1+1",
        "+cmd",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "＝1",
        "=HYPERLINK(\"http://x\",\"y\")",
    ];
    let csv = csv_table(
        &["x"],
        None,
        &cells.iter().map(|c| row(&[c])).collect::<Vec<_>>(),
    );
    let expected = "x\r\n'=1+1\r\n'+cmd\r\n'-2+3\r\n'@SUM(A1)\r\n'\tx\r\n\"'\rx\"\r\n'＝1\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n";
    assert_eq!(csv, expected);
    let numbers = ["-3", "+12", "-0.5", "<5", "0", "1234"];
    let csv = csv_table(
        &["x"],
        None,
        &numbers.iter().map(|c| row(&[c])).collect::<Vec<_>>(),
    );
    assert_eq!(csv, "x\r\n-3\r\n+12\r\n-0.5\r\n<5\r\n0\r\n1234\r\n");
}

#[test]
fn the_guard_applies_to_the_header_and_hxl_rows_too() {
    let csv = csv_table(&["=evil"], Some(&["-bad"]), &[]);
    assert_eq!(csv, "'=evil\r\n'-bad\r\n");
}
