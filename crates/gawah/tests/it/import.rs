//! `gawah import`: JSON Lines and HXL CSV files with Dari, Pashto and English rows and
//! deliberately broken ones; every bad row is named by line and field, the good ones land,
//! and the log still verifies.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Instance, gawah, s, write};

const ORG: &str = "Import Test Org";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn with_org() -> Instance {
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", ORG]).ok();
    inst
}

/// Imports the fixture edicts the incident fixtures link to (T001, T002).
fn with_edicts() -> Instance {
    let inst = with_org();
    let r = inst.run(&[
        "import",
        "edicts",
        "--org",
        ORG,
        s(&fixture("edicts.jsonl")),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    inst
}

/// Runs `import <kind> --json` and returns the exit code and the report.
fn import_json(inst: &Instance, kind: &str, file: &Path) -> (i32, Value) {
    let r = inst.run(&["import", kind, "--org", ORG, "--json", s(file)]);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 1, "one JSON report: {r:?}");
    let errors: Vec<&str> = r.stderr.lines().collect();
    if r.code == 2 {
        assert_eq!(errors.len(), 1, "one error line: {r:?}");
        assert!(errors[0].starts_with("gawah: error: "), "{r:?}");
    }
    (r.code, lines[0].clone())
}

fn rejected(report: &Value) -> Vec<(u64, Option<String>)> {
    report["rejected"]
        .as_array()
        .expect("rejected is a list")
        .iter()
        .map(|r| {
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
            (
                r["line"].as_u64().expect("line"),
                r["field"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn some(f: &str) -> Option<String> {
    Some(f.to_owned())
}

/// `(ref, title, province, date_precision)` of the org's incidents, by ref.
fn incidents(inst: &Instance) -> Vec<(String, String, String, String)> {
    let db = inst.db();
    let mut stmt = db
        .prepare(
            "SELECT coalesce(i.ref, ''), i.title, i.province, json_extract(i.content, '$.date_precision')
             FROM incidents i JOIN orgs o ON o.id = i.org_id WHERE o.name = ?1 ORDER BY i.ref",
        )
        .unwrap();
    stmt.query_map([ORG], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn verify_ok(inst: &Instance) {
    let v = inst.run(&["log", "verify"]).ok();
    assert!(v.stdout.starts_with("ok:"), "{v:?}");
}

#[test]
fn import_incidents_from_json_lines_rejects_bad_rows_by_line_and_field() {
    let inst = with_edicts();
    let (code, report) = import_json(&inst, "incidents", &fixture("incidents.jsonl"));
    assert_eq!(code, 2);
    assert_eq!(
        rejected(&report),
        [
            (5, some("date")),
            (6, some("province")),
            (7, some("title")),
            (8, some("victim_name")),
            (9, None),
            (11, some("source_credibility")),
            (12, some("edicts")),
            (13, None),
        ]
    );
    assert_eq!(report["imported"], 5);
    assert_eq!(report["rejected_rows"], 8);
    let msg = &report["rejected"][0]["message"];
    assert_eq!(
        msg,
        "\"2022-02-30\" is not a date; use YYYY, YYYY-MM or YYYY-MM-DD"
    );
    assert!(
        report["rejected"][4]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    let got = incidents(&inst);
    let refs: Vec<&str> = got.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(refs, ["J-01", "J-02", "J-04", "J-10", "J-14"]);
    assert_eq!(got[1].1, "دختران از رفتن به مکتب منع شدند");
    assert_eq!(got[1].2, "AF-HER");
    assert_eq!(
        got[2].1,
        "ښځینه کارکوونکو ته د دفتر د ننوتلو اجازه ورنکړل شوه"
    );
    assert_eq!(got[3].3, "approximate");
    let links: i64 = inst
        .db()
        .query_row("SELECT count(*) FROM incident_edicts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(links, 3);
    verify_ok(&inst);
}

#[test]
fn import_incidents_from_hxl_csv_rejects_broken_rows_and_keeps_the_rest() {
    let inst = with_edicts();
    let r = inst.run(&[
        "import",
        "incidents",
        "--org",
        ORG,
        s(&fixture("incidents.csv")),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    let out: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(out.len(), 8, "{r:?}");
    assert_eq!(
        out[0],
        "line 7: date: \"2022-02-30\" is not a date; use YYYY, YYYY-MM or YYYY-MM-DD"
    );
    for (line, prefix) in out[..7].iter().zip([
        "line 7: date: ",
        "line 8: province: ",
        "line 9: title: is longer than 300 characters",
        "line 10: unclosed quote",
        "line 12: has 14 fields; the header has 13",
        "line 13: title: is not valid UTF-8",
        "line 16: column 2: text after the closing quote",
    ]) {
        assert!(
            line.starts_with(prefix),
            "{line:?} should start with {prefix:?}"
        );
    }
    assert_eq!(out[7], "imported 6, rejected 7");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.contains("7 row(s) rejected"), "{r:?}");

    let got = incidents(&inst);
    let refs: Vec<&str> = got.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(refs, ["C-03", "C-04", "C-06", "C-11", "C-14", "C-17"]);
    assert_eq!(got[0].1, "Teachers dismissed, school closed");
    assert_eq!(got[1].1, "دختران از مکتب منع شدند");
    assert_eq!(got[2].1, "ښځې له پارکونو منع شوې");
    assert_eq!(got[2].2, "AF-KAN");
    assert_eq!(got[3].1, "Title with \"quotes\", and a comma");
    let db = inst.db();
    let content = |r: &str| -> Value {
        let text: String = db
            .query_row("SELECT content FROM incidents WHERE ref = ?1", [r], |row| {
                row.get(0)
            })
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let c04 = content("C-04");
    assert_eq!(c04["description"], "ردیف ساختگی.\nخط دوم توضیح.");
    assert_eq!(c04["edicts"], serde_json::json!(["T001", "T002"]));
    assert_eq!(c04["source_credibility"], 3);
    let c14 = content("C-14");
    assert_eq!(
        c14["violation_types"],
        serde_json::json!(["dress", "education", "movement"])
    );
    assert_eq!(c14["date_precision"], "approximate");
    assert_eq!(content("C-03")["verification_status"], "verified");
    verify_ok(&inst);
}

#[test]
fn import_writes_entries_like_the_web_does() {
    let inst = with_edicts();
    let file = write(
        &inst.input_dir(),
        "one.jsonl",
        br#"{"title":"One row","date":"2023","province":"AF-KAB","exact_location":"Secret Street"}"#,
    );
    let (code, report) = import_json(&inst, "incidents", &file);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report,
        serde_json::json!({"imported": 1, "rejected": [], "rejected_rows": 0})
    );
    let size: i64 = inst
        .db()
        .query_row("SELECT count(*) FROM log_entries", [], |r| r.get(0))
        .unwrap();
    let entry = inst
        .run(&["log", "entry", "--index", &(size - 1).to_string()])
        .ok()
        .stdout;
    let e: Value = serde_json::from_str(&entry).unwrap();
    assert_eq!(e["actor"], "cli");
    assert_eq!(e["action"], "create");
    assert!(e["subject"].as_str().unwrap().starts_with("inc"), "{e}");
    assert!(e["org"].is_string(), "{e}");
    assert!(e["commitment"].is_string(), "{e}");
    for secret in ["One row", "Secret", "AF-KAB"] {
        assert!(!entry.contains(secret), "{secret} leaked into {entry}");
    }
    verify_ok(&inst);
}

#[test]
fn import_edicts_from_json_lines_and_hxl_csv() {
    let inst = with_org();
    let (code, report) = import_json(&inst, "edicts", &fixture("edicts.jsonl"));
    assert_eq!(code, 2);
    assert_eq!(
        rejected(&report),
        [
            (3, some("domain")),
            (4, some("title.de")),
            (5, some("sources"))
        ]
    );
    assert_eq!(report["imported"], 2);
    let (code, report) = import_json(&inst, "edicts", &fixture("edicts.csv"));
    assert_eq!(code, 2);
    assert_eq!(
        rejected(&report),
        [(5, some("date")), (6, some("sources[1].url"))]
    );
    assert_eq!(report["imported"], 2);

    let db = inst.db();
    let ids: Vec<String> = db
        .prepare("SELECT id FROM edicts ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ids, ["T001", "T002", "T010", "T011"]);
    let t010: Value = serde_json::from_str(
        &db.query_row("SELECT content FROM edicts WHERE id = 'T010'", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(t010["domain"], "public_space");
    assert_eq!(t010["title"]["fa"], "پارک‌ها برای زنان بسته شد");
    assert_eq!(t010["title"]["ps"], "پارکونه د ښځو پر مخ وتړل شول");
    assert_eq!(t010["summary"]["en"], "Fixture, for tests.");
    assert_eq!(t010["sources"].as_array().unwrap().len(), 2);
    assert_eq!(t010["sources"][1]["url"], "https://example.org/b");
    let t002: String = db
        .query_row("SELECT domain FROM edicts WHERE id = 'T002'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(t002, "employment");
    verify_ok(&inst);

    // Importing again replaces, and is logged as an update.
    let (code, _) = import_json(&inst, "edicts", &fixture("edicts.csv"));
    assert_eq!(code, 2);
    verify_ok(&inst);
}

#[test]
fn import_a_clean_file_exits_0_and_reads_gawah_data_dir() {
    let inst = with_edicts();
    let file = write(
        &inst.input_dir(),
        "ok.csv",
        "Title,Date,Province\n#event+title,#date,#adm1+name\nمکتب بسته شد,2022-03-23,Herat\n"
            .as_bytes(),
    );
    let out = gawah()
        .env("GAWAH_DATA_DIR", &inst.dir)
        .args(["import", "incidents", "--org", ORG, s(&file)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "imported 1, rejected 0\n"
    );
    assert_eq!(incidents(&inst)[0].2, "AF-HER");
}

#[test]
fn import_missing_org_or_file_or_format_exits_2() {
    let inst = with_org();
    inst.run(&[
        "import",
        "incidents",
        "--org",
        "Nobody",
        s(&fixture("incidents.jsonl")),
    ])
    .fails(2, "no organisation named \"Nobody\"");
    let missing = inst.input_dir().join("missing.jsonl");
    let r = inst
        .run(&["import", "incidents", "--org", ORG, s(&missing)])
        .fails(2, "cannot read");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    let dir = inst.input_dir();
    inst.run(&["import", "incidents", "--org", ORG, s(&dir)])
        .fails(2, "not a regular file");
    let no_hxl = write(&dir, "plain.csv", b"title,date\nA,2022\n");
    inst.run(&["import", "incidents", "--org", ORG, s(&no_hxl)])
        .fails(2, "line 2: not a CSV file with HXL hashtags");
    let empty = write(&dir, "empty.jsonl", b"\n\n");
    inst.run(&["import", "incidents", "--org", ORG, s(&empty)])
        .fails(2, "the file is empty");
    let no_title = write(
        &dir,
        "no-title.csv",
        b"d,p\n#date,#adm1+code\n2022,AF-KAB\n",
    );
    inst.run(&["import", "incidents", "--org", ORG, s(&no_title)])
        .fails(2, "no #event+title column");
    inst.run(&["import", "incidents", s(&fixture("incidents.jsonl"))])
        .fails(2, "--org");
    assert!(incidents(&inst).is_empty());
}
