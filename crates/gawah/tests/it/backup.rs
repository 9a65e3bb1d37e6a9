//! `gawah backup` and `gawah restore`: a round trip with items, an incident, a sealed
//! testimony and an upload; restores checked against trusted checkpoints (one before the
//! backup, one of a forked log, one newer than the backup); altered backups refused.

use std::path::{Path, PathBuf};

use crate::harness::{Instance, Run, Server, gawah, s, write};

/// Copies a folder (a data dir or a backup) as `cp -a` does.
fn copy_tree(from: &Path, to: &Path) {
    let ok = std::process::Command::new("cp")
        .args(["-a", s(from), s(to)])
        .status()
        .expect("spawn cp")
        .success();
    assert!(ok, "cp -a {} {}", from.display(), to.display());
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::from_output(
        gawah()
            .args(args)
            .args(["--data-dir", s(dir)])
            .output()
            .expect("spawn gawah"),
    )
}

/// The signed note of the head, saved to a file.
fn checkpoint_file(dir: &Path, out: &Path) -> PathBuf {
    let note = run_in(dir, &["log", "checkpoint"]).ok().stdout;
    std::fs::write(out, &note).expect("write checkpoint");
    out.to_owned()
}

fn restore(backup: &Path, to: &Path, checkpoint: Option<&Path>) -> Run {
    let mut args = vec!["restore", "--from", s(backup)];
    if let Some(c) = checkpoint {
        args.extend(["--checkpoint", s(c)]);
    }
    run_in(to, &args)
}

#[test]
fn backup_and_restore_round_trip_with_trusted_checkpoints() {
    let inst = Instance::new();
    let tmp = inst.tmp.path();
    let inputs = inst.input_dir();
    let plain = write(&inputs, "order.txt", b"the order closing the schools");
    let secret = write(&inputs, "names.txt", b"names of the teachers");
    let plain_item = inst.run(&["ingest", "--json", s(&plain)]).ok().json_lines()[0]["item"]
        .as_str()
        .expect("item")
        .to_owned();
    inst.run(&["ingest", "--confidential", s(&secret)]).ok();
    let rec = inst.record_case("Org B", "backup");
    let before = checkpoint_file(&inst.dir, &tmp.join("before.checkpoint"));

    // A fork: a copy of the data dir that goes on with another history, signed by the
    // same key.
    let fork = tmp.join("fork");
    copy_tree(&inst.dir, &fork);
    let other = write(&inputs, "other.txt", b"another history");
    run_in(&fork, &["ingest", s(&other)]).ok();
    let forked = checkpoint_file(&fork, &tmp.join("fork.checkpoint"));

    for name in ["a.txt", "b.txt"] {
        let f = write(&inputs, name, name.as_bytes());
        inst.run(&["ingest", s(&f)]).ok();
    }
    let backup = tmp.join("backup");
    let made = inst
        .run(&["backup", "--out", s(&backup), "--json"])
        .ok()
        .json_lines();
    let size = made[0]["size"].as_u64().expect("size");
    assert!(backup.join("manifest.json").is_file());
    assert!(
        backup.join("log-signing.key").is_file(),
        "the key is in the backup"
    );
    assert_eq!(made[0]["blobs"], 5, "{made:?}");
    // Nothing confidential is decrypted into the backup.
    assert!(crate::harness::files_containing(&backup, b"sent home at the gate: backup").is_empty());
    assert!(crate::harness::files_containing(&backup, b"names of the teachers").is_empty());
    // A backup never overwrites.
    inst.run(&["backup", "--out", s(&backup)])
        .fails(2, "already exists");

    // Newer than the backup: the backup is too old for it.
    let f = write(&inputs, "later.txt", b"after the backup");
    inst.run(&["ingest", s(&f)]).ok();
    let newer = checkpoint_file(&inst.dir, &tmp.join("newer.checkpoint"));
    let refused = tmp.join("refused-newer");
    restore(&backup, &refused, Some(&newer))
        .fails(1, "the backup is older than the trusted checkpoint");
    assert!(!refused.exists(), "nothing restored");

    let refused = tmp.join("refused-fork");
    restore(&backup, &refused, Some(&forked))
        .fails(1, "not consistent with the trusted checkpoint");
    assert!(!refused.exists(), "nothing restored");

    let restored = tmp.join("restored");
    let out = restore(&backup, &restored, Some(&before)).ok();
    assert!(
        out.stdout
            .contains("consistent with the trusted checkpoint"),
        "{out:?}"
    );
    let verified = run_in(&restored, &["log", "verify", "--json"])
        .ok()
        .json_lines();
    assert_eq!(verified[0]["ok"], true);
    assert_eq!(verified[0]["entries"], size);
    let show = |dir: &Path| {
        run_in(dir, &["item", "show", "--json", &plain_item])
            .ok()
            .stdout
    };
    let restored_item = show(&restored);
    assert!(restored_item.contains(&plain_item));

    // The restored instance opens sealed data with the same keys and serves the upload.
    let server = Server::start(&restored);
    let (status, t) = server.call(
        "GET",
        &format!("/api/v1/testimonies/{}", rec.testimony),
        &rec.token,
        None,
    );
    assert_eq!(status, 200, "{t}");
    assert!(
        t.to_string().contains("sent home at the gate: backup"),
        "{t}"
    );
    let (status, _, body) = server.raw(
        "GET",
        &format!("/api/v1/evidence/{}/file", rec.upload),
        &[format!("Authorization: Bearer {}", rec.token)],
        b"",
    );
    assert_eq!(status, 200);
    assert!(
        body.contains("a photo of the closed gate: backup"),
        "{body}"
    );
    let (status, inc) = server.call(
        "GET",
        &format!("/api/v1/incidents/{}", rec.incident),
        &rec.token,
        None,
    );
    assert_eq!(status, 200, "{inc}");
    server.stop();

    // Into a data dir that holds something: refused.
    restore(&backup, &inst.dir, None).fails(2, "not empty");
}

#[test]
fn an_altered_backup_is_refused() {
    let inst = Instance::new();
    let inputs = inst.input_dir();
    let file = write(&inputs, "decree.txt", b"the decree as published");
    let sha = crate::harness::sha256sum(&file);
    inst.run(&["ingest", s(&file)]).ok();
    inst.run(&["log", "checkpoint"]).ok();
    let backup = inst.tmp.path().join("backup");
    inst.run(&["backup", "--out", s(&backup)]).ok();

    // A blob changed.
    let blob_altered = inst.tmp.path().join("blob-altered");
    copy_tree(&backup, &blob_altered);
    let blob = blob_altered.join("blobs/sha256").join(&sha[..2]).join(&sha);
    let mut perms = std::fs::metadata(&blob).expect("blob").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).expect("chmod");
    std::fs::write(&blob, b"the decree as forged!!").expect("alter blob");
    let to = inst.tmp.path().join("from-blob-altered");
    restore(&blob_altered, &to, None).fails(1, "blob");
    assert!(!to.exists(), "nothing restored");

    // A log entry changed in the database.
    let db_altered = inst.tmp.path().join("db-altered");
    copy_tree(&backup, &db_altered);
    let conn = rusqlite::Connection::open(db_altered.join("gawah.db")).expect("open");
    let n = conn
        .execute(
            "UPDATE log_entries SET data = data || X'20' WHERE idx = 0",
            [],
        )
        .expect("alter entry");
    assert_eq!(n, 1);
    drop(conn);
    let to = inst.tmp.path().join("from-db-altered");
    let out = restore(&db_altered, &to, None);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("FAIL"), "{out:?}");
    assert!(!to.exists(), "nothing restored");

    // The untouched backup restores.
    let to = inst.tmp.path().join("restored");
    restore(&backup, &to, None).ok();
}
