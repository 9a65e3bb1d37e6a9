//! The Dari and Pashto interface strings against the English ones: same messages in the same
//! order and layout, every message translated, written in the right script.
//!
//! The `.ftl` files are read with a deliberately narrow line parser: a line is blank, a `#`
//! comment or `id = value`. Anything else (multiline values, attributes, terms, selectors)
//! fails the test, so a richer Fluent feature has to be adopted on purpose, with this test.

use std::collections::HashSet;
use std::path::PathBuf;

/// Values a translation may leave exactly as in English: only ones that are codes or names
/// with nothing to translate. Keep this list short.
const SAME_AS_ENGLISH: &[&str] = &[];

/// Letters found in Pashto but not in Dari (ټ ځ څ ډ ړ ږ ښ ګ ڼ ې ۍ).
const PASHTO_LETTERS: &[char] = &[
    '\u{067C}', '\u{0681}', '\u{0685}', '\u{0689}', '\u{0693}', '\u{0696}', '\u{069A}', '\u{06AB}',
    '\u{06BC}', '\u{06D0}', '\u{06CD}',
];

/// One line of a `.ftl` file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Blank,
    Comment,
    Message { id: String, value: String },
}

impl Line {
    fn shape(&self) -> &'static str {
        match self {
            Line::Blank => "blank",
            Line::Comment => "comment",
            Line::Message { .. } => "message",
        }
    }
}

fn is_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The lines of `locales/{lang}/main.ftl`, panicking on a line of any other shape.
fn load(lang: &str) -> Vec<Line> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "locales", lang, "main.ftl"]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        !text.starts_with('\u{FEFF}'),
        "{lang}: the file starts with a byte order mark"
    );
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("{lang}/main.ftl:{}", n + 1);
        assert!(
            !line.ends_with(char::is_whitespace),
            "{at}: trailing whitespace"
        );
        if line.is_empty() {
            lines.push(Line::Blank);
        } else if line.starts_with('#') {
            lines.push(Line::Comment);
        } else {
            let (id, value) = line
                .split_once(" = ")
                .unwrap_or_else(|| panic!("{at}: not `id = value`: {line:?}"));
            assert!(is_id(id), "{at}: bad message id {id:?}");
            assert!(!value.trim().is_empty(), "{at}: empty value for {id}");
            assert!(
                !value.starts_with(char::is_whitespace),
                "{at}: value of {id} starts with whitespace"
            );
            lines.push(Line::Message {
                id: id.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    lines
}

fn messages(lines: &[Line]) -> Vec<(&str, &str)> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Message { id, value } => Some((id.as_str(), value.as_str())),
            _ => None,
        })
        .collect()
}

fn is_arabic_letter(c: char) -> bool {
    c.is_alphabetic()
        && matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// The `{ ... }` placeables of a value, in order.
fn placeables(value: &str) -> Vec<&str> {
    value
        .split('{')
        .skip(1)
        .map(|rest| rest.split('}').next().unwrap_or(rest).trim())
        .collect()
}

#[test]
fn english_is_well_formed() {
    let en = load("en");
    let ids = messages(&en).iter().map(|(id, _)| *id).collect::<Vec<_>>();
    assert!(!ids.is_empty(), "en has no messages");
    let unique = ids.iter().collect::<HashSet<_>>();
    assert_eq!(unique.len(), ids.len(), "en has a duplicate message id");
}

#[test]
fn translations_match_english_layout_and_ids() {
    let en = load("en");
    for lang in ["fa", "ps"] {
        let tr = load(lang);
        let en_shapes = en.iter().map(Line::shape).collect::<Vec<_>>();
        let tr_shapes = tr.iter().map(Line::shape).collect::<Vec<_>>();
        assert_eq!(
            tr_shapes, en_shapes,
            "{lang}: comments, blank lines and messages are not laid out as in en"
        );
        let en_ids = messages(&en).iter().map(|(id, _)| *id).collect::<Vec<_>>();
        let tr_ids = messages(&tr).iter().map(|(id, _)| *id).collect::<Vec<_>>();
        assert_eq!(tr_ids, en_ids, "{lang}: message ids differ from en");
    }
}

#[test]
fn every_message_is_translated_into_arabic_script() {
    let en = load("en");
    let en_msgs = messages(&en);
    for lang in ["fa", "ps"] {
        let tr = load(lang);
        for ((id, en_value), (_, value)) in en_msgs.iter().zip(messages(&tr)) {
            if !SAME_AS_ENGLISH.contains(&value) {
                assert_ne!(value, *en_value, "{lang}: {id} is not translated");
                assert!(
                    value.chars().any(is_arabic_letter),
                    "{lang}: {id} has no Arabic-script letter: {value:?}"
                );
            }
            assert_eq!(
                placeables(value),
                placeables(en_value),
                "{lang}: {id} has other placeables than en"
            );
        }
    }
}

#[test]
fn dari_and_pashto_use_their_own_letters() {
    let fa = load("fa");
    let ps = load("ps");
    for (id, value) in messages(&fa) {
        // Dari is written with Persian yeh and kaf, not the Arabic ones, and without the
        // letters that only Pashto has (which would mean a Pashto string slipped in).
        assert!(
            !value.contains(['\u{064A}', '\u{0643}', '\u{0649}']),
            "fa: {id} uses an Arabic yeh or kaf: {value:?}"
        );
        assert!(
            !value.contains(PASHTO_LETTERS),
            "fa: {id} uses a Pashto-only letter: {value:?}"
        );
    }
    let mut seen = HashSet::new();
    for (id, value) in messages(&ps) {
        assert!(
            !value.contains(['\u{0643}', '\u{0649}']),
            "ps: {id} uses an Arabic kaf or alef maksura: {value:?}"
        );
        seen.extend(value.chars().filter(|c| PASHTO_LETTERS.contains(c)));
    }
    assert!(
        seen.len() >= 6,
        "ps: only {} distinct Pashto-specific letters in the whole file: {seen:?}",
        seen.len()
    );
}
