//! No secret in any log line: the real server, unlocked with a passphrase and logging at
//! `trace` for every crate, goes through a sign-in with password and TOTP (and a wrong
//! password), API calls with a token (and a wrong one), a testimony and an incident with
//! confidential fields, an anonymous submission with its receipt code, reads of all of them and
//! a sign-out. Then not one of the secrets involved may appear in what it printed.

use std::path::Path;
use std::process::{Command, Stdio};

use gawah_core::Clock;
use serde_json::{Value, json};

use crate::harness::{Server, gawah, s};

const PASSPHRASE: &str = "logtest passphrase Qk2v9 never printed";
const PASSWORD: &str = "logtest-password-Zr8wq";
const WRONG_PASSWORD: &str = "logtest-wrong-guess-Yp3v";
const WRONG_TOKEN: &str = "logtest-wrong-token-Hh7c";
/// Confidential values of records and of a submission.
const CONFIDENTIAL: [&str; 6] = [
    "logtest-location-Mm41",
    "logtest-statement-Mm42",
    "logtest-witness-Mm43",
    "logtest-contact-Mm44",
    "logtest-intake-text-Mm45",
    "logtest-intake-contact-Mm46",
];

/// `gawah` unlocked by the passphrase file instead of the test key file.
fn with_passphrase(cmd: &mut Command, pass: &Path) {
    cmd.env_remove("GAWAH_KEY_FILE")
        .env("GAWAH_PASSPHRASE_FILE", pass);
}

fn run(pass: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = gawah();
    with_passphrase(&mut cmd, pass);
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn base32_decode(s: &str) -> Vec<u8> {
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in s.bytes() {
        let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .iter()
            .position(|&a| a == c)
            .unwrap() as u64;
        value = (value << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((value >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// A cookie set by a response.
fn set_cookie(headers: &[String], name: &str) -> String {
    headers
        .iter()
        .filter_map(|h| {
            h.strip_prefix("set-cookie: ")
                .or_else(|| h.strip_prefix("Set-Cookie: "))
        })
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
}

/// The value of the first `name="..." value="..."` input of a page.
fn input(page: &str, name: &str) -> String {
    let at = page
        .find(&format!(r#"name="{name}" value=""#))
        .unwrap_or_else(|| panic!("no {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    let enc = |v: &str| {
        v.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

const FORM: &str = "Content-Type: application/x-www-form-urlencoded";

/// The output with its RFC 3339 timestamps removed (their microseconds are six digits that
/// could equal a TOTP code by chance).
fn without_timestamps(output: &str) -> String {
    let b = output.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let looks = |j: usize, pat: &[u8]| {
            pat.iter().enumerate().all(|(k, p)| {
                b.get(j + k).is_some_and(|c| {
                    if *p == b'0' {
                        c.is_ascii_digit()
                    } else {
                        c == p
                    }
                })
            })
        };
        if looks(i, b"0000-00-00T00:00:00") {
            i += 19;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            continue;
        }
        let len = output[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&output[i..i + len]);
        i += len;
    }
    out
}

/// Whether `digits` occurs in `text` with no digit right before or after it.
fn has_number(text: &str, digits: &str) -> bool {
    text.match_indices(digits).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + digits.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn no_secret_reaches_the_server_log_even_at_trace_level() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let pass = tmp.path().join("passphrase");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let d = s(&dir);
    run(&pass, &["init", "--data-dir", d], None);
    run(
        &pass,
        &["admin", "org", "add", "Log Org", "--data-dir", d],
        None,
    );
    let add = |user: &str, role: &str| {
        let args = [
            "admin",
            "user",
            "add",
            "--username",
            user,
            "--role",
            role,
            "--org",
            "Log Org",
        ];
        let mut all = args.to_vec();
        all.extend(["--password-stdin", "--data-dir", d]);
        run(&pass, &all, Some(&format!("{PASSWORD}\n")))
    };
    let uri = add("boss", "admin");
    let secret_b32 = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let secret = base32_decode(&secret_b32);
    add("doc", "documenter");
    let token_out = run(
        &pass,
        &[
            "admin",
            "token",
            "create",
            "--username",
            "doc",
            "--data-dir",
            d,
        ],
        None,
    );
    let token = token_out.trim().lines().last().unwrap().to_owned();

    let server = Server::start_with(&dir, |cmd| {
        with_passphrase(cmd, &pass);
        cmd.env("GAWAH_LOG", "trace");
    });
    let bearer = format!("Authorization: Bearer {token}");
    // Sign-in: a wrong password, then password and second factor.
    let (_, h, _) = server.raw("GET", "/login", &[], b"");
    let login_csrf = set_cookie(&h, "gawah_login_csrf");
    let jar = format!("Cookie: gawah_login_csrf={login_csrf}");
    let wrong = form(&[
        ("csrf", &login_csrf),
        ("username", "doc"),
        ("password", WRONG_PASSWORD),
    ]);
    assert_eq!(
        server
            .raw("POST", "/login", &[jar.clone(), FORM.into()], &wrong)
            .0,
        200
    );
    let right = form(&[
        ("csrf", &login_csrf),
        ("username", "boss"),
        ("password", PASSWORD),
    ]);
    let (status, h, _) = server.raw("POST", "/login", &[jar.clone(), FORM.into()], &right);
    assert_eq!(status, 303);
    let pending = set_cookie(&h, "gawah_session");
    let now = gawah_core::SystemClock.now();
    let code = format!("{:06}", gawah_web::auth::totp(&secret, now));
    let jar2 = format!("{jar}; gawah_session={pending}");
    let body = form(&[("csrf", &login_csrf), ("code", &code)]);
    let (status, h, page) = server.raw("POST", "/login/totp", &[jar2, FORM.into()], &body);
    assert_eq!(status, 303, "{page}");
    let session = set_cookie(&h, "gawah_session");
    let cookie = format!("Cookie: gawah_session={session}");
    let (_, _, page) = server.raw("GET", "/intake", std::slice::from_ref(&cookie), b"");
    let csrf = input(&page, "csrf");
    let enable = form(&[("csrf", &csrf)]);
    let (status, _, _) = server.raw(
        "POST",
        "/intake/enable",
        &[cookie.clone(), FORM.into()],
        &enable,
    );
    assert_eq!(status, 303);

    // The API with a token (and a wrong one), confidential fields written and read.
    let call = |method: &str, path: &str, body: Option<Value>| {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let headers = [bearer.clone(), "Content-Type: application/json".to_owned()];
        let (status, _, payload) = server.raw(method, path, &headers, body.as_bytes());
        (
            status,
            serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
        )
    };
    let wrong_bearer = format!("Authorization: Bearer {WRONG_TOKEN}");
    assert_eq!(
        server
            .raw("GET", "/api/v1/incidents", &[wrong_bearer], b"")
            .0,
        401
    );
    let (status, inc) = call(
        "POST",
        "/api/v1/incidents",
        Some(
            json!({"title": "log test", "date": "2023-01-02", "province": "AF-BAL",
            "violation_types": ["education"], "exact_location": CONFIDENTIAL[0]}),
        ),
    );
    assert_eq!(status, 201, "{inc}");
    let incident = inc["id"].as_str().unwrap();
    let (status, t) = call(
        "POST",
        &format!("/api/v1/incidents/{incident}/testimonies"),
        Some(
            json!({"statement": CONFIDENTIAL[1], "witness_name": CONFIDENTIAL[2],
            "witness_contact": CONFIDENTIAL[3], "language": "fa", "consent": ["legal"]}),
        ),
    );
    assert_eq!(status, 201, "{t}");
    let (status, read) = call(
        "GET",
        &format!("/api/v1/testimonies/{}", t["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(
        (status, read["statement"].as_str()),
        (200, Some(CONFIDENTIAL[1]))
    );
    let (status, _) = call("GET", &format!("/api/v1/incidents/{incident}"), None);
    assert_eq!(status, 200);

    // An anonymous submission, its receipt code used, then opened by a member.
    let (_, h, page) = server.raw("GET", "/submit", &[], b"");
    let submit_csrf = set_cookie(&h, "gawah_submit_csrf");
    let org = input(&page, "org");
    let jar = format!("Cookie: gawah_submit_csrf={submit_csrf}");
    let report = form(&[
        ("csrf", &submit_csrf),
        ("org", &org),
        ("text", CONFIDENTIAL[4]),
        ("contact", CONFIDENTIAL[5]),
        ("consent", "internal"),
    ]);
    let (status, _, page) = server.raw("POST", "/submit", &[jar.clone(), FORM.into()], &report);
    assert_eq!(status, 200, "{page}");
    let at = page.find(r#"id="receipt-code""#).unwrap();
    let receipt = page[at..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let check = form(&[("csrf", &submit_csrf), ("code", &receipt)]);
    assert_eq!(
        server
            .raw("POST", "/submit/status", &[jar, FORM.into()], &check)
            .0,
        200
    );
    let (_, list) = call("GET", "/api/v1/submissions", None);
    let id = list["submissions"][0]["id"].as_str().unwrap().to_owned();
    let (status, opened) = call("GET", &format!("/api/v1/submissions/{id}"), None);
    assert_eq!(status, 200, "{opened}");
    assert!(opened.to_string().contains(CONFIDENTIAL[4]));
    let logout = form(&[("csrf", &csrf)]);
    assert_eq!(
        server
            .raw("POST", "/logout", &[cookie, FORM.into()], &logout)
            .0,
        303
    );

    let output = server.stop();
    assert!(
        output
            .lines()
            .filter(|l| l.contains("TRACE") || l.contains("DEBUG"))
            .count()
            >= 5,
        "the server did not log at trace level:\n{output}"
    );
    let mut secrets = vec![
        ("passphrase", PASSPHRASE.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("wrong password", WRONG_PASSWORD.to_owned()),
        ("API token", token.clone()),
        ("wrong API token", WRONG_TOKEN.to_owned()),
        ("TOTP secret", secret_b32.clone()),
        ("TOTP secret (hex)", hex_of(&secret)),
        ("pre-MFA session", pending),
        ("session", session),
        ("login form token", login_csrf),
        ("form token", csrf),
        ("intake form token", submit_csrf),
        ("receipt code", receipt.clone()),
        ("receipt code (bare)", receipt.replace('-', "")),
    ];
    secrets.extend(
        CONFIDENTIAL
            .iter()
            .map(|c| ("confidential value", (*c).to_owned())),
    );
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} is too short to look for");
        let hit = output.lines().find(|l| l.contains(secret.as_str()));
        assert!(
            hit.is_none(),
            "the {what} is in the server's output: {hit:?}"
        );
    }
    assert!(
        !has_number(&without_timestamps(&output), &code),
        "the TOTP code {code} is in the server's output"
    );
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
