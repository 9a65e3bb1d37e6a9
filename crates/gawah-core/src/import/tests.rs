//! The import parser's unit tests (moved with it from the `gawah import` command).

use super::csv::{Record, next_record, parse_record};
use super::hxl::{INCIDENT_TAGS, INCIDENT_TARGETS, Tag, map_columns};
use super::lines::Lines;
use super::rows::incident_keys;
use super::*;

fn fields(s: &str) -> Vec<String> {
    parse_record(s.as_bytes())
        .unwrap()
        .into_iter()
        .map(|f| String::from_utf8(f).unwrap())
        .collect()
}

#[test]
fn import_csv_records_follow_rfc_4180() {
    assert_eq!(fields("a,b,c"), ["a", "b", "c"]);
    assert_eq!(fields(""), [""]);
    assert_eq!(fields("a,,"), ["a", "", ""]);
    assert_eq!(
        fields("\"x, y\",\"say \"\"hi\"\"\",z"),
        ["x, y", "say \"hi\"", "z"]
    );
    assert_eq!(fields("\"two\nlines\",b"), ["two\nlines", "b"]);
    assert_eq!(fields("\"\",b"), ["", "b"]);
    assert!(parse_record(b"\"open,b").is_err());
    assert!(parse_record(b"\"a\"b,c").is_err());
    assert!(parse_record(b"a\"b,c").is_err());
}

fn records(text: &str, width: usize) -> Vec<String> {
    let mut lines = Lines::new(text.as_bytes());
    let mut out = Vec::new();
    while let Some(r) = next_record(&mut lines, Some(width)).unwrap() {
        out.push(match r {
            Record::Row { line, fields } => format!("{line}:{}", fields.len()),
            Record::Bad { line, .. } => format!("{line}:bad"),
        });
    }
    out
}

#[test]
fn import_an_unclosed_quote_loses_only_its_row() {
    assert_eq!(
        records("a,b\n\"open,b\nc,d\n\"e\",f\ng,h\n", 2),
        ["1:2", "2:bad", "3:2", "4:2", "5:2"]
    );
    assert_eq!(records("a,b\n\"open,b\nc,d\n", 2), ["1:2", "2:bad", "3:2"]);
    assert_eq!(records("\"multi\nline\",b\r\n\r\nc,d", 2), ["1:2", "4:2"]);
    assert_eq!(records("a,\"b\"x\nc,d", 2), ["1:bad", "2:2"]);
}

#[test]
fn import_hxl_tags_ignore_case_spaces_and_attribute_order() {
    assert_eq!(
        Tag::parse(" #META +Source+Reliability").unwrap(),
        Tag::parse("#meta+reliability+source").unwrap()
    );
    assert_eq!(Tag::parse("").unwrap(), None);
    assert!(Tag::parse("title").is_err());
    assert!(Tag::parse("#date+").is_err());
    let tags: Vec<String> = ["#Event+Title", "", "#ADM1+code", "#date", "#x_custom"]
        .map(String::from)
        .to_vec();
    let (cols, notes) = map_columns(Kind::Incidents, &tags).unwrap();
    let got: Vec<(usize, &str)> = cols.iter().map(|c| (c.index, c.field.as_str())).collect();
    assert_eq!(got, [(0, "title"), (2, "province"), (3, "date")]);
    assert_eq!(notes.len(), 1);
    let dup: Vec<String> = [
        "#event+title",
        "#date",
        "#adm1+code",
        "#meta+source+reliability",
        "#META+reliability+Source",
    ]
    .map(String::from)
    .to_vec();
    assert!(map_columns(Kind::Incidents, &dup).is_err());
    let edicts: Vec<String> = [
        "#meta+id",
        "#date",
        "#sector",
        "#event+i_fa+title",
        "#event+title+i_en",
    ]
    .map(String::from)
    .to_vec();
    let (cols, _) = map_columns(Kind::Edicts, &edicts).unwrap();
    assert_eq!(cols[3].field, "title.fa");
    assert_eq!(cols[4].field, "title.en");
}

#[test]
fn import_every_incident_tag_maps_to_an_api_field() {
    let keys = incident_keys();
    for ((tag, field), target) in INCIDENT_TAGS.iter().zip(INCIDENT_TARGETS) {
        assert!(Tag::parse(tag).unwrap().is_some(), "{tag}");
        assert!(field.starts_with(target.field()), "{tag}");
        assert!(keys.iter().any(|k| k == target.field()), "{tag}");
    }
}
