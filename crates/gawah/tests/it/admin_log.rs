//! The admin commands as a compelled operator would use them: adding a member is a logged
//! change, and an API token is kept only as the SHA-256 of its secret, so neither a member
//! added in secret nor a token read from a copy of the database goes unnoticed or works. A
//! token can be listed (never shown) and revoked, and the revocation is logged too.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

use crate::harness::{Instance, Run, Server, files_containing, gawah, s, sha256sum, write};

const ORG: &str = "Admin Log Org";
const PASSWORD: &str = "admin-log-password-Qx81";

/// The number of entries in the log, read from the database.
fn log_size(inst: &Instance) -> i64 {
    inst.db()
        .query_row("SELECT count(*) FROM log_entries", [], |r| r.get(0))
        .unwrap()
}

/// Entry `index`, as `gawah log entry` prints it.
fn entry(inst: &Instance, index: i64) -> (String, Value) {
    let raw = inst
        .run(&["log", "entry", "--index", &index.to_string()])
        .ok()
        .stdout;
    let parsed = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
    (raw, parsed)
}

/// `gawah admin user add`, the password on stdin.
fn add_user(inst: &Instance, username: &str, role: &str) -> Run {
    let mut child = gawah()
        .args([
            "admin",
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
        ])
        .args(["--org", ORG, "--password-stdin", "--data-dir", s(&inst.dir)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(PASSWORD.as_bytes()).unwrap();
    stdin.write_all(b"\n").unwrap();
    drop(stdin);
    Run::from_output(child.wait_with_output().unwrap())
}

fn with_org() -> Instance {
    let inst = Instance::new();
    inst.run(&["admin", "org", "add", ORG]).ok();
    inst
}

#[test]
fn adding_a_member_writes_a_create_entry_naming_only_its_id() {
    let inst = with_org();
    for (username, role) in [("secret-member", "viewer"), ("secret-admin", "admin")] {
        let before = log_size(&inst);
        let out = add_user(&inst, username, role).ok();
        let id = out.stdout.trim().lines().last().unwrap().to_owned();
        assert!(id.starts_with("mem"), "a member id: {out:?}");
        assert_eq!(log_size(&inst), before + 1, "one entry for {username}");
        let (raw, e) = entry(&inst, before);
        assert_eq!(e["action"], "create", "{raw}");
        assert_eq!(e["subject"], id.as_str(), "{raw}");
        assert_eq!(e["actor"], "cli", "{raw}");
        // The entry names the member by id only: no username, role, password or organisation.
        let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["action", "actor", "subject", "time", "v"], "{raw}");
        for secret in [username, role, PASSWORD, ORG] {
            assert!(!raw.contains(secret), "{secret:?} in {raw}");
        }
    }
    // A refused member writes nothing.
    let before = log_size(&inst);
    add_user(&inst, "x", "viewer").fails(2, "username");
    assert_eq!(log_size(&inst), before);
    inst.run(&["log", "verify"]).ok();
}

#[test]
fn api_tokens_are_stored_only_as_the_sha256_of_the_secret() {
    let inst = with_org();
    let member = add_user(&inst, "token-holder", "documenter").ok();
    let member = member.stdout.trim().lines().last().unwrap().to_owned();
    let before = log_size(&inst);
    let out = inst
        .run(&["admin", "token", "create", "--username", "token-holder"])
        .ok();
    let token = out.stdout.trim().lines().last().unwrap().to_owned();
    assert!(token.len() >= 43, "256 bits: {token}");
    let (raw, e) = entry(&inst, before);
    assert_eq!(
        (e["action"].as_str(), e["subject"].as_str()),
        (Some("create"), Some(format!("token:{member}").as_str())),
        "{raw}"
    );
    assert!(!raw.contains(&token));

    // The stored value is the SHA-256 of the token's text, computed here by sha256sum.
    let plain = write(&inst.input_dir(), "token.txt", token.as_bytes());
    let expected = sha256sum(&plain);
    let rows: Vec<(Vec<u8>, String)> = {
        let db = inst.db();
        let mut stmt = db
            .prepare("SELECT token_hash, member_id FROM api_tokens")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows.len(), 1, "one token row");
    assert_eq!(hex::encode(&rows[0].0), expected);
    assert_eq!(rows[0].1, member);
    // Nowhere on disk: not in the database, its journal or any other file of the data dir.
    let found = files_containing(&inst.dir, token.as_bytes());
    assert!(found.is_empty(), "the token is stored in {found:?}");
}

/// `gawah admin token create` for `username`: the token.
fn create_token(inst: &Instance, username: &str) -> String {
    let out = inst
        .run(&["admin", "token", "create", "--username", username])
        .ok();
    out.stdout.trim().lines().last().unwrap().to_owned()
}

/// A token's id as `list` shows it, computed here from sha256sum: `tok_` and the first 8
/// bytes of its SHA-256 in hex.
fn expected_id(inst: &Instance, token: &str) -> String {
    let plain = write(&inst.input_dir(), "id.txt", token.as_bytes());
    format!("tok_{}", &sha256sum(&plain)[..16])
}

#[test]
fn a_revoked_api_token_stops_working_at_once_and_the_revocation_is_logged() {
    let inst = with_org();
    let member = add_user(&inst, "holder", "documenter").ok();
    let member = member.stdout.trim().lines().last().unwrap().to_owned();
    add_user(&inst, "bystander", "documenter").ok();
    let (first, second) = (create_token(&inst, "holder"), create_token(&inst, "holder"));
    let other = create_token(&inst, "bystander");
    let (first_id, second_id) = (expected_id(&inst, &first), expected_id(&inst, &second));

    // Listed by id and creation time, oldest first; never the token.
    let listed = inst
        .run(&["admin", "token", "list", "--username", "holder", "--json"])
        .ok();
    let rows = listed.json_lines();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut expected = vec![first_id.as_str(), second_id.as_str()];
    expected.sort_unstable();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "{listed:?}");
    assert!(
        rows.iter()
            .all(|r| r["created"].as_str().unwrap().ends_with('Z'))
    );
    for token in [&first, &second, &other] {
        assert!(
            !listed.stdout.contains(token.as_str()),
            "a token was listed"
        );
    }

    let server = Server::start(&inst.dir);
    let works = |token: &str| server.call("GET", "/api/v1/incidents", token, None).0;
    assert_eq!((works(&first), works(&second)), (200, 200));
    let before = log_size(&inst);
    inst.run(&["admin", "token", "revoke", &first_id]).ok();
    // The running server refuses it at the next request; the others still work.
    assert_eq!(works(&first), 401);
    assert_eq!((works(&second), works(&other)), (200, 200));
    drop(server.stop());

    assert_eq!(log_size(&inst), before + 1);
    let (raw, e) = entry(&inst, before);
    assert_eq!(e["action"], "disposition", "{raw}");
    assert_eq!(e["subject"], format!("token:{member}").as_str(), "{raw}");
    assert_eq!(e["token"], first_id.as_str(), "{raw}");
    let listed = inst
        .run(&["admin", "token", "list", "--username", "holder"])
        .ok();
    assert_eq!(listed.stdout.lines().count(), 1, "{listed:?}");
    assert!(listed.stdout.starts_with(&format!("{second_id}  created ")));

    // Revoking it again, or an id that is no token, changes and logs nothing.
    for id in [first_id.as_str(), "tok_0000000000000000", "nonsense"] {
        inst.run(&["admin", "token", "revoke", id])
            .fails(2, "no API token");
    }
    assert_eq!(log_size(&inst), before + 1);
    inst.run(&["log", "verify"]).ok();
}
