//! Tampering with anything stored makes `gawah log verify` exit 1 and say what is wrong.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::harness::{Instance, s, write};

/// An instance with three ingested files and a signed checkpoint.
fn ingested() -> (Instance, Vec<Value>) {
    let inst = Instance::new();
    let input = inst.input_dir();
    for (name, body) in [
        ("one", "first file"),
        ("two", "second file"),
        ("three", "third file"),
    ] {
        write(&input, name, body.as_bytes());
    }
    let lines = inst.run(&["ingest", "--json", s(&input)]).ok().json_lines();
    inst.run(&["log", "verify"]).ok();
    (inst, lines)
}

#[test]
fn a_changed_blob_byte_is_named() {
    let (inst, lines) = ingested();
    let blob = inst.blob_path(lines[1]["sha256"].as_str().unwrap());
    std::fs::set_permissions(&blob, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let item = lines[1]["item"].as_str().unwrap();
    inst.run(&["log", "verify"])
        .fails(1, &format!("blob of {item} is altered"));
}

#[test]
fn a_removed_blob_is_named() {
    let (inst, lines) = ingested();
    std::fs::remove_file(inst.blob_path(lines[0]["sha256"].as_str().unwrap())).unwrap();
    let item = lines[0]["item"].as_str().unwrap();
    inst.run(&["log", "verify"])
        .fails(1, &format!("blob of {item} is missing"));
}

#[test]
fn a_changed_entry_is_named() {
    let (inst, _) = ingested();
    let db = inst.db();
    let data: Vec<u8> = db
        .query_row("SELECT data FROM log_entries WHERE idx = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let altered = String::from_utf8(data)
        .unwrap()
        .replace("\"actor\":\"cli\"", "\"actor\":\"clx\"");
    db.execute(
        "UPDATE log_entries SET data = ?1 WHERE idx = 1",
        [altered.as_bytes()],
    )
    .unwrap();
    drop(db);
    let run = inst
        .run(&["log", "verify"])
        .fails(1, "log head does not match the entries");
    assert!(
        run.stdout
            .contains("checkpoint for size 3 signs a root the stored entries do not produce"),
        "{run:?}"
    );
}

#[test]
fn a_deleted_entry_is_named() {
    let (inst, _) = ingested();
    let db = inst.db();
    db.execute_batch("PRAGMA foreign_keys=OFF; DELETE FROM log_entries WHERE idx = 1;")
        .unwrap();
    drop(db);
    inst.run(&["log", "verify"])
        .fails(1, "log entry 1 is missing");
}

#[test]
fn a_deleted_last_entry_is_named() {
    let (inst, _) = ingested();
    let db = inst.db();
    db.execute_batch("PRAGMA foreign_keys=OFF; DELETE FROM log_entries WHERE idx = 2;")
        .unwrap();
    drop(db);
    inst.run(&["log", "verify"])
        .fails(1, "log entry 2 is missing");
    // Ordinary commands refuse to work on the inconsistent head.
    inst.run(&["log", "checkpoint"])
        .fails(2, "refusing to use an inconsistent log");
}

#[test]
fn a_changed_checkpoint_is_named() {
    let (inst, _) = ingested();
    let db = inst.db();
    let note: String = db
        .query_row("SELECT note FROM checkpoints WHERE size = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    let altered = note.replacen("\n3\n", "\n4\n", 1);
    assert_ne!(note, altered);
    db.execute("UPDATE checkpoints SET note = ?1 WHERE size = 3", [altered])
        .unwrap();
    drop(db);
    inst.run(&["log", "verify"])
        .fails(1, "checkpoint for size 3 is invalid");
}

#[test]
fn a_forged_checkpoint_signature_is_named() {
    let (inst, _) = ingested();
    let db = inst.db();
    let note: String = db
        .query_row("SELECT note FROM checkpoints WHERE size = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    let (text, sig) = note.split_once("\n\n").unwrap();
    let (prefix, b64) = sig.trim_end().rsplit_once(' ').unwrap();
    let mut raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    raw[10] ^= 0x80;
    let forged = format!(
        "{text}\n\n{prefix} {}\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
    );
    db.execute("UPDATE checkpoints SET note = ?1 WHERE size = 3", [forged])
        .unwrap();
    drop(db);
    inst.run(&["log", "verify"])
        .fails(1, "checkpoint for size 3 is invalid");
}

#[test]
fn a_changed_item_record_is_named() {
    let (inst, lines) = ingested();
    let db = inst.db();
    db.execute(
        "UPDATE items SET salt = zeroblob(32) WHERE id = ?1",
        [lines[2]["item"].as_str().unwrap()],
    )
    .unwrap();
    drop(db);
    inst.run(&["log", "verify"])
        .fails(1, "does not match its log entry");
}
