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

/// The `{ ... }` placeables of a value, sorted: a translation may put them in another order.
fn placeables(value: &str) -> Vec<&str> {
    let mut found: Vec<&str> = value
        .split('{')
        .skip(1)
        .map(|rest| rest.split('}').next().unwrap_or(rest).trim())
        .collect();
    found.sort_unstable();
    found
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

/// Files under `dir` (recursively) whose names end in `ext`.
fn files(dir: &std::path::Path, ext: &str, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The string literals of `text` that look like message ids, with their line numbers.
fn id_literals(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (i, piece) in line.split('"').enumerate() {
            if i % 2 == 1 && is_id(piece) {
                found.push((n + 1, piece));
            }
        }
    }
    found
}

/// The values a dynamic key `format!("FAMILY-{...}")` takes: every one must have a message.
fn dynamic_family(family: &str) -> Option<Vec<String>> {
    use gawah_core::vocab::{DATE_PRECISIONS, VERIFICATION_STATUSES, VIOLATION_TYPES};
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Some(match family {
        "status" => owned(&VERIFICATION_STATUSES),
        "precision" => owned(&DATE_PRECISIONS),
        // The analysis charts' titles and descriptions.
        "analysis" => ["monthly", "provinces", "edicts", "perpetrators"]
            .iter()
            .flat_map(|c| [(*c).to_owned(), format!("{c}-desc")])
            .collect(),
        "month" => (1..=12).map(|m| m.to_string()).collect(),
        // The search page's facets, as the index names them.
        "facet" => owned(&[
            "province",
            "violation_type",
            "perpetrator",
            "edict",
            "status",
            "reliability",
            "language",
            "year",
        ]),
        "duplicate" => owned(&["similar_text", "same_province", "close_date", "same_file"]),
        "domain" => {
            let mut all = owned(&VIOLATION_TYPES);
            all.extend(
                gawah_demo::edicts()
                    .expect("demo edicts")
                    .into_iter()
                    .map(|e| e.domain),
            );
            all
        }
        "action" => {
            // Entries have no list of actions; these are all of them, checked to parse.
            let names = [
                "intake",
                "view",
                "export",
                "transfer",
                "redaction",
                "analysis",
                "disposition",
                "create",
                "update",
            ];
            for n in names {
                n.parse::<gawah_core::Action>()
                    .unwrap_or_else(|_| panic!("{n} is no longer an action"));
            }
            owned(&names)
        }
        "field" => {
            // The API's field names, which field errors name, and the whole form.
            let input = serde_json::to_value(gawah_core::incident::IncidentInput::default())
                .expect("serialisable");
            let mut names: Vec<String> = input
                .as_object()
                .expect("an object")
                .keys()
                .cloned()
                .collect();
            names.push("form".into());
            names
        }
        "consent" => gawah_core::testimony::Consent::ALL
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        // The languages the testimony form offers.
        "language" => owned(&["fa", "ps", "en", "uz", "tk"]),
        // Errors of the testimony form, by the API's field names.
        "testimony-error" => serde_json::to_value(gawah_core::testimony::TestimonyInput::default())
            .expect("serialisable")
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect(),
        _ => return None,
    })
}

/// Every message the code asks for exists in every language: the `t("…")` calls of the
/// templates, every id-like string literal in the Rust sources whose first word begins some
/// message id (`"error-forbidden"`, `"evidence-done"`; HTTP header names do not), and every
/// value of a key built with `format!("family-{…}")`.
#[test]
fn every_key_used_in_templates_and_code_has_a_message_in_every_language() {
    let en = load("en");
    let ids: HashSet<&str> = messages(&en).iter().map(|(id, _)| *id).collect();
    let families: HashSet<&str> = ids
        .iter()
        .filter_map(|id| id.split_once('-'))
        .map(|(f, _)| f)
        .collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut used: Vec<(String, String)> = Vec::new(); // (where, key)
    let mut templates = Vec::new();
    files(&root.join("templates"), "html", &mut templates);
    assert!(!templates.is_empty());
    for path in &templates {
        let text = std::fs::read_to_string(path).expect("readable template");
        for (n, line) in text.lines().enumerate() {
            for call in line.split("t(\"").skip(1) {
                let key = call.split('"').next().unwrap_or_default();
                used.push((format!("{}:{}", path.display(), n + 1), key.to_owned()));
            }
        }
    }
    let mut sources = Vec::new();
    files(&root.join("src"), "rs", &mut sources);
    let mut unknown_families = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).expect("readable source");
        for (n, key) in id_literals(&text) {
            let family = key.split_once('-').map_or(key, |(f, _)| f);
            if key.contains('-') && families.contains(family) {
                used.push((format!("{}:{n}", path.display()), key.to_owned()));
            }
        }
        for (n, line) in text.lines().enumerate() {
            for rest in line.split("format!(\"").skip(1) {
                let Some((family, _)) = rest.split_once("-{") else {
                    continue;
                };
                if !is_id(family) || !families.contains(family) {
                    continue;
                }
                let at = format!("{}:{}", path.display(), n + 1);
                match dynamic_family(family) {
                    Some(values) => {
                        used.extend(
                            values
                                .into_iter()
                                .map(|v| (at.clone(), format!("{family}-{v}"))),
                        );
                    }
                    None => unknown_families.push(format!("{at}: {family}-{{…}}")),
                }
            }
        }
    }
    assert!(
        unknown_families.is_empty(),
        "keys built at run time from a family this test does not know; add it to dynamic_family: {unknown_families:#?}"
    );
    assert!(
        used.len() > 100,
        "found only {} uses of messages",
        used.len()
    );
    let mut missing = Vec::new();
    for lang in ["en", "fa", "ps"] {
        let lines = load(lang);
        let have: HashSet<&str> = messages(&lines).iter().map(|(id, _)| *id).collect();
        for (at, key) in &used {
            if !have.contains(key.as_str()) {
                missing.push(format!("{lang}: {key} (used at {at})"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "messages missing: {missing:#?}");
}
