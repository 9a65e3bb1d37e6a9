//! `gawah search`, `gawah index rebuild` and `gawah export incidents`: spelling variants
//! found whichever way they were typed, exact facet counts, confidential fields absent from the
//! index and from exports, exports logged and never overwriting.

use serde_json::Value;

use crate::harness::{Instance, files_containing, s, write};

const CANARY: &str = "canary-exact-place-5c1f0e9a";

/// Incidents written in different spellings of the same Dari words.
fn corpus() -> String {
    let rows = [
        // Persian yeh and keheh, ZWNJ, Persian digits.
        r#"{"ref":"V-1","title":"بسته شدن مکتب دخترانه","description":"دختران صنف ۷ نمی‌توانند به مکتب بروند","date":"2022-03-23","province":"AF-KAB","violation_types":["education"],"perpetrators":["Ministry of Education"],"exact_location":"CANARY"}"#,
        // Arabic kaf and yeh, no ZWNJ, ASCII digits, diacritics.
        r#"{"ref":"V-2","title":"بسته شدن مكتب دخترانه","description":"دختران صنف 7 نميتوانند به مَكتب بروند","date":"2022-03-24","province":"AF-HER","violation_types":["education"],"perpetrators":["Ministry of Education"]}"#,
        // Pashto: ښ must stay apart from ش.
        r#"{"ref":"V-3","title":"ښځې له کار منع شوې","description":"ښځو ته د کار اجازه نشته","date":"2022-05","province":"AF-KAN","violation_types":["employment"],"perpetrators":["Governor's office"]}"#,
        // English, stemming.
        r#"{"ref":"V-4","title":"Schools closed to girls","description":"Girls were banned from attending secondary schools (internal-marker-91ab)","date":"2022","province":"AF-KAB","violation_types":["education","movement"],"perpetrators":["Ministry of Education"]}"#,
    ];
    rows.join("\n").replace("CANARY", CANARY) + "\n"
}

fn setup() -> Instance {
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", "Org A"]).ok();
    inst.run(&["admin", "org", "add", "Org B"]).ok();
    let file = write(&inst.input_dir(), "v.jsonl", corpus().as_bytes());
    inst.run(&["import", "incidents", "--org", "Org A", s(&file)])
        .ok();
    inst
}

fn search(inst: &Instance, args: &[&str]) -> Value {
    let mut all = vec!["search", "--org", "Org A", "--json"];
    all.extend(args);
    inst.run(&all).ok().json_lines().remove(0)
}

fn refs(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ref"].as_str().unwrap().to_owned())
        .collect();
    r.sort();
    r
}

#[test]
fn finds_every_spelling_and_counts_facets_exactly() {
    let inst = setup();
    // Arabic letters in the query find Persian letters, and the other way round.
    assert_eq!(refs(&search(&inst, &["مكتب"])), ["V-1", "V-2"]);
    assert_eq!(refs(&search(&inst, &["مکتب"])), ["V-1", "V-2"]);
    // With or without ZWNJ, with either digit set.
    assert_eq!(refs(&search(&inst, &["نمی‌توانند"])), ["V-1", "V-2"]);
    assert_eq!(refs(&search(&inst, &["نمیتوانند", "۷"])), ["V-1", "V-2"]);
    // Pashto letters are not folded.
    assert_eq!(refs(&search(&inst, &["ښځې"])), ["V-3"]);
    assert!(refs(&search(&inst, &["شځې"])).is_empty());
    // English stems.
    assert_eq!(refs(&search(&inst, &["school", "ban"])), ["V-4"]);
    // Filters and exact facets.
    let v = search(&inst, &["--province", "AF-KAB"]);
    assert_eq!(v["total"], 2);
    assert_eq!(refs(&v), ["V-1", "V-4"]);
    let all = search(&inst, &[]);
    assert_eq!(all["total"], 4);
    assert_eq!(all["facets"]["province"]["AF-KAB"], 2);
    assert_eq!(all["facets"]["province"]["AF-HER"], 1);
    assert_eq!(all["facets"]["violation_type"]["education"], 3);
    assert_eq!(all["facets"]["perpetrator"]["Ministry of Education"], 3);
    // Date ranges overlap imprecise dates: "2022" and "2022-05" overlap May 2022.
    assert_eq!(
        refs(&search(
            &inst,
            &["--from", "2022-05-01", "--to", "2022-05-31"]
        )),
        ["V-3", "V-4"]
    );
    assert_eq!(
        refs(&search(
            &inst,
            &["--type", "education", "--from", "2022-03-24"]
        )),
        ["V-2", "V-4"]
    );
    // Another organisation sees none of them.
    let b = inst
        .run(&["search", "--org", "Org B", "--json", "مکتب"])
        .ok()
        .json_lines()
        .remove(0);
    assert_eq!(b["total"], 0);
    // A bad query is a clear error, not a crash.
    inst.run(&["search", "--org", "Org A", "--from", "yesterday", "x"])
        .fails(2, "YYYY-MM-DD");
}

#[test]
fn confidential_text_never_reaches_the_index_and_rebuild_gives_the_same_answers() {
    let inst = setup();
    let before = search(&inst, &["دختران"]);
    assert!(search(&inst, &[CANARY])["total"] == 0);
    let index_dir = inst.dir.join("index");
    assert!(index_dir.is_dir(), "the index lives in the data dir");
    // The scan works: an internal field's text is found in the index files.
    assert!(!files_containing(&index_dir, b"internal-marker-91ab").is_empty());
    assert!(
        files_containing(&index_dir, CANARY.as_bytes()).is_empty(),
        "the exact place entered the index"
    );
    inst.run(&["index", "rebuild"]).ok();
    let after = search(&inst, &["دختران"]);
    assert_eq!(refs(&before), refs(&after));
    assert_eq!(before["facets"], after["facets"]);
    // Deleting the index loses nothing: it is rebuilt from the database.
    std::fs::remove_dir_all(&index_dir).unwrap();
    assert_eq!(refs(&search(&inst, &["دختران"])), ["V-1", "V-2"]);
}

#[test]
fn exports_are_logged_complete_and_never_overwrite() {
    let inst = setup();
    let out = inst.tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let size = |inst: &Instance| -> i64 {
        inst.db()
            .query_row("SELECT size FROM log_head", [], |r| r.get(0))
            .unwrap()
    };
    let before = size(&inst);
    let jsonl = out.join("incidents.jsonl");
    inst.run(&[
        "export",
        "incidents",
        "--org",
        "Org A",
        "--format",
        "jsonl",
        "--out",
        s(&jsonl),
    ])
    .ok();
    assert_eq!(size(&inst), before + 1, "the export is a logged event");
    let action: String = inst
        .db()
        .query_row(
            "SELECT json_extract(CAST(data AS TEXT), '$.action') FROM log_entries ORDER BY idx DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(action, "export");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines
            .iter()
            .all(|l| l["id"].as_str().unwrap().starts_with("inc_"))
    );
    assert!(
        !text.contains(CANARY),
        "an export holds no confidential field"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&jsonl).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Never overwrites, and a refused export is not logged.
    inst.run(&[
        "export",
        "incidents",
        "--org",
        "Org A",
        "--format",
        "csv",
        "--out",
        s(&jsonl),
    ])
    .fails(2, "exists");
    assert_eq!(size(&inst), before + 1);
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap(), text);
    // The CSV imports elsewhere as the same incidents.
    let csv = out.join("incidents.csv");
    inst.run(&[
        "export",
        "incidents",
        "--org",
        "Org A",
        "--format",
        "csv",
        "--out",
        s(&csv),
    ])
    .ok();
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(csv_text.lines().nth(1).unwrap().starts_with("#meta+id,"));
    assert!(!csv_text.contains(CANARY));
    let other = Instance::new();
    other.run(&["admin", "org", "add", "Org C"]).ok();
    other
        .run(&["import", "incidents", "--org", "Org C", s(&csv)])
        .ok();
    let titles = |inst: &Instance| -> Vec<String> {
        let db = inst.db();
        let mut st = db
            .prepare("SELECT title FROM incidents ORDER BY title")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(titles(&other), titles(&inst));
    // No stray temporary file is left beside the exports.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
