//! Trusted time: `gawah log timestamp` and bundles against a real local RFC 3161 authority
//! (`openssl ts -reply` over HTTP, see `timestamp/tsa.rs`). Every token gawah keeps or
//! bundles must pass `openssl ts -verify`; every wrong answer is refused and nothing kept.

#[path = "it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "timestamp/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};

use gawah_bundle::{BundleReader, BundleWriter, Limits, Manifest, TIMESTAMP, TIMESTAMP_TEXT};
use harness::{Run, gawah, s, write};
use tsa::{Mode, Tsa};

/// Runs gawah on `dir` with `GAWAH_TSA_URL` set to `env` (or unset).
fn run_in(dir: &Path, env: Option<&str>, args: &[&str]) -> Run {
    let mut c = gawah();
    c.env_remove("GAWAH_TSA_URL")
        .args(args)
        .args(["--data-dir", s(dir)]);
    if let Some(url) = env {
        c.env("GAWAH_TSA_URL", url);
    }
    Run::from_output(c.output().expect("spawn gawah"))
}

/// A data dir made with `gawah init` (and `--tsa-url` if given), with its log key on disk.
struct Dir {
    tmp: tempfile::TempDir,
    path: PathBuf,
    key: PathBuf,
}

impl Dir {
    fn init(tsa_url: Option<&str>) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("data");
        let mut args = vec!["init", "--origin", "tsa.example/gawah"];
        if let Some(u) = tsa_url {
            args.extend(["--tsa-url", u]);
        }
        run_in(&path, None, &args).ok();
        let key = tmp.path().join("log.key");
        std::fs::write(&key, run_in(&path, None, &["log", "key"]).ok().stdout).unwrap();
        Self { tmp, path, key }
    }

    fn run(&self, args: &[&str]) -> Run {
        run_in(&self.path, None, args)
    }

    fn ingest(&self, name: &str, bytes: &[u8]) {
        let p = write(self.tmp.path(), name, bytes);
        self.run(&["ingest", "--case", "CASE-T", s(&p)]).ok();
    }

    fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn kept(&self) -> i64 {
        rusqlite::Connection::open(self.path.join("gawah.db"))
            .unwrap()
            .query_row("SELECT count(*) FROM checkpoint_timestamps", [], |r| {
                r.get(0)
            })
            .unwrap()
    }

    fn export(&self, name: &str) -> (Run, PathBuf) {
        let out = self.file(name);
        let args = [
            "export",
            "--case",
            "CASE-T",
            "--purpose",
            "legal",
            "--out",
            s(&out),
        ];
        (self.run(&args).ok(), out)
    }

    fn verify(&self, bundle: &Path) -> Run {
        harness::run(&["verify", s(bundle), "--key", s(&self.key)])
    }
}

/// The checkpoint's text: `gawah log checkpoint` up to its blank line.
fn checkpoint_text(d: &Dir) -> String {
    let note = d.run(&["log", "checkpoint"]).ok().stdout;
    let end = note.find("\n\n").expect("a signed note") + 1;
    note[..end].to_owned()
}

/// Every file of a bundle, in order.
fn unpack(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let mut r = BundleReader::open(bundle, &Limits::default()).unwrap();
    let names: Vec<String> = r.entries().iter().map(|e| e.name().to_owned()).collect();
    names
        .into_iter()
        .map(|n| {
            let bytes = r.read_bounded(&n, 1 << 24).unwrap();
            (n, bytes)
        })
        .collect()
}

/// A copy of `bundle` with `name`'s bytes changed by `change`.
fn altered(bundle: &Path, out: &Path, name: &str, change: impl Fn(&mut Vec<u8>)) -> PathBuf {
    let mut w = BundleWriter::create(out).unwrap();
    for (n, mut bytes) in unpack(bundle) {
        if n == name {
            change(&mut bytes);
        }
        w.add_bytes(&n, &bytes).unwrap();
    }
    w.commit().unwrap()
}

fn file_of(bundle: &Path, name: &str) -> Vec<u8> {
    unpack(bundle)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is not in the bundle"))
        .1
}

#[test]
fn a_checkpoint_token_verifies_with_openssl_kept_and_bundled() {
    let tsa = Tsa::start();
    let d = Dir::init(Some(&tsa.url));
    let config = std::fs::read_to_string(d.path.join("gawah.toml")).unwrap();
    assert!(
        config.contains(&format!("tsa_url = \"{}\"", tsa.url)),
        "{config}"
    );

    // An early token, over the checkpoint of one entry.
    d.ingest("gate.jpg", b"a photo of the closed school gate");
    let (early_tsr, early_txt) = (d.file("early.tsr"), d.file("early.txt"));
    d.run(&[
        "log",
        "timestamp",
        "--out",
        s(&early_tsr),
        "--text",
        s(&early_txt),
    ])
    .ok();

    // The token over the current checkpoint: kept, and verifiable by hand with openssl.
    d.ingest("statement.ogg", b"an audio statement");
    let before = d.run(&["log", "entry", "--index", "0"]).ok().stdout;
    let (tsr, txt) = (d.file("token.tsr"), d.file("token.txt"));
    let r = d
        .run(&[
            "--json",
            "log",
            "timestamp",
            "--out",
            s(&tsr),
            "--text",
            s(&txt),
        ])
        .ok();
    let j = &r.json_lines()[0];
    assert_eq!(j["new"], true, "{j}");
    let size = j["size"].as_u64().unwrap();
    let gen_time = j["gen_time"].as_str().unwrap().to_owned();
    assert!(
        gen_time.ends_with('Z') && gen_time.len() >= 20,
        "{gen_time}"
    );
    assert_eq!(d.kept(), 2);
    assert_eq!(std::fs::read_to_string(&txt).unwrap(), checkpoint_text(&d));
    assert!(checkpoint_text(&d).starts_with(&format!("tsa.example/gawah\n{size}\n")));
    let (ok, said) = tsa.verify(&txt, &tsr);
    assert!(ok, "openssl ts -verify: {said}");
    let stored: Vec<u8> = rusqlite::Connection::open(d.path.join("gawah.db"))
        .unwrap()
        .query_row(
            "SELECT response FROM checkpoint_timestamps WHERE size = ?1",
            [size as i64],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        stored,
        std::fs::read(&tsr).unwrap(),
        "--out writes the kept response"
    );
    // One byte of the text changed: openssl refuses it.
    let mut changed = std::fs::read(&txt).unwrap();
    changed[0] ^= 0x20;
    let changed_path = write(d.tmp.path(), "changed.txt", &changed);
    assert!(
        !tsa.verify(&changed_path, &tsr).0,
        "a changed text must not verify"
    );
    // Fetching a token is not a log entry, and a second run keeps the first token.
    let served = tsa.served();
    let again = d.run(&["log", "timestamp"]).ok();
    assert!(again.stdout.contains("already stamped"), "{again:?}");
    assert_eq!(tsa.served(), served, "the kept token is reused");
    assert_eq!(d.run(&["log", "entry", "--index", "0"]).ok().stdout, before);
    assert_eq!(checkpoint_text(&d), std::fs::read_to_string(&txt).unwrap());

    // The bundle carries the kept token and the stamped text; both verify by hand.
    let (_, bundle) = d.export("case.zip");
    assert_eq!(tsa.served(), served, "the export used the kept token");
    let manifest = Manifest::parse(&file_of(&bundle, "manifest.json")).unwrap();
    assert_eq!(manifest.timestamp.as_deref(), Some(TIMESTAMP));
    assert_eq!(file_of(&bundle, TIMESTAMP), std::fs::read(&tsr).unwrap());
    let inner_tsr = write(d.tmp.path(), "bundle.tsr", &file_of(&bundle, TIMESTAMP));
    let inner_txt = write(
        d.tmp.path(),
        "bundle.txt",
        &file_of(&bundle, TIMESTAMP_TEXT),
    );
    let (ok, said) = tsa.verify(&inner_txt, &inner_tsr);
    assert!(ok, "openssl ts -verify on the bundle's token: {said}");
    let v = d.verify(&bundle).ok();
    assert!(
        v.stdout.contains(&format!("genTime {gen_time}")),
        "{}",
        v.stdout
    );
    assert!(
        v.stdout
            .contains("signature on the token is not checked here"),
        "{}",
        v.stdout
    );
    readme_recipe_checks_the_timestamp(&bundle, &tsa);

    // Refused: an altered text, an altered token, a token over another checkpoint.
    let t = d.tmp.path();
    let text_changed = altered(&bundle, &t.join("b1.zip"), TIMESTAMP_TEXT, |b| b[0] ^= 0x20);
    d.verify(&text_changed)
        .fails(1, "is not the text of log/checkpoint");
    let imprint = file_of(&bundle, TIMESTAMP);
    let at = sha256_at(&imprint, &file_of(&bundle, TIMESTAMP_TEXT));
    let token_changed = altered(&bundle, &t.join("b2.zip"), TIMESTAMP, |b| b[at] ^= 1);
    d.verify(&token_changed)
        .fails(1, "not SHA-256 of log/timestamp.txt");
    let garbled = altered(&bundle, &t.join("b3.zip"), TIMESTAMP, |b| b.truncate(40));
    d.verify(&garbled).fails(1, "not a valid RFC 3161");
    let early = std::fs::read(&early_tsr).unwrap();
    let other_token = altered(&bundle, &t.join("b4.zip"), TIMESTAMP, |b| {
        *b = early.clone()
    });
    d.verify(&other_token).fails(1, "over something else");
    let early_text = std::fs::read(&early_txt).unwrap();
    let both = altered(&other_token, &t.join("b5.zip"), TIMESTAMP_TEXT, |b| {
        *b = early_text.clone()
    });
    d.verify(&both)
        .fails(1, "is not the text of log/checkpoint");
}

/// Where SHA-256 of `text` sits in `response`.
fn sha256_at(response: &[u8], text: &[u8]) -> usize {
    use sha2::Digest;
    let d = sha2::Sha256::digest(text);
    response
        .windows(32)
        .position(|w| w == d.as_slice())
        .expect("the imprint")
}

/// README.txt's commands, run with `sh` in the unpacked bundle, check the timestamp.
fn readme_recipe_checks_the_timestamp(bundle: &Path, tsa: &Tsa) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in unpack(bundle) {
        let p = dir.path().join(&name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let readme = std::fs::read_to_string(dir.path().join("README.txt")).unwrap();
    let script: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| !l.starts_with(' '))
        .collect();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script.join("\n"))
        .current_dir(dir.path())
        .env("LC_ALL", "C")
        .env("TSA_CA", tsa.ca())
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for want in ["timestamp text: OK", "Status: Granted.", "Verification: OK"] {
        assert!(said.contains(want), "{want:?} not in: {said}");
    }
    assert!(!said.contains("MISMATCH"), "{said}");
}

#[test]
fn a_wrong_answer_is_an_error_and_nothing_is_kept() {
    let tsa = Tsa::start();
    let d = Dir::init(None);
    d.ingest("a.txt", b"first file");
    // No authority anywhere: a clear error.
    d.run(&["log", "timestamp"])
        .fails(2, "no timestamp authority");
    let cases = [
        (Mode::Garbage, "not a valid RFC 3161 time-stamp response"),
        (Mode::Reject, "did not grant a token: status 2 (rejection)"),
        (Mode::WrongNonce, "its nonce is"),
        (Mode::WrongImprint, "the token does not answer our request"),
        (Mode::ServerError, "answered HTTP 500"),
    ];
    for (mode, needle) in cases {
        tsa.set(mode);
        let r = d.run(&["log", "timestamp", "--tsa-url", &tsa.url]);
        r.fails(2, needle);
        assert_eq!(d.kept(), 0, "{mode:?}: nothing is kept");
    }
    d.run(&["log", "timestamp", "--tsa-url", "http://127.0.0.1:1/tsa"])
        .fails(2, "timestamp authority http://127.0.0.1:1/tsa");
    d.run(&["log", "timestamp", "--tsa-url", "ftp://tsa.example"])
        .fails(2, "not an http:// or https:// URL");
    assert_eq!(d.kept(), 0);

    // A failing authority leaves a bundle without a timestamp, which still verifies.
    tsa.set(Mode::Garbage);
    let (r, bundle) = {
        let out = d.file("no-ts.zip");
        let args = [
            "export",
            "--case",
            "CASE-T",
            "--purpose",
            "legal",
            "--out",
            s(&out),
        ];
        (run_in(&d.path, Some(&tsa.url), &args).ok(), out)
    };
    assert!(r.stderr.contains("the bundle has no timestamp"), "{r:?}");
    assert!(
        Manifest::parse(&file_of(&bundle, "manifest.json"))
            .unwrap()
            .timestamp
            .is_none()
    );
    d.verify(&bundle).ok();

    // GAWAH_TSA_URL names the authority when the config does not; the export stamps the
    // checkpoint it bundles.
    tsa.set(Mode::Good);
    let out = d.file("with-ts.zip");
    let args = [
        "export",
        "--case",
        "CASE-T",
        "--purpose",
        "legal",
        "--out",
        s(&out),
    ];
    run_in(&d.path, Some(&tsa.url), &args).ok();
    assert_eq!(d.kept(), 1);
    let v = d.verify(&out).ok();
    assert!(
        v.stdout.contains("RFC 3161 token over the checkpoint"),
        "{}",
        v.stdout
    );
}

#[test]
fn init_refuses_a_tsa_url_that_is_not_http() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    run_in(&path, None, &["init", "--tsa-url", "file:///etc/passwd"])
        .fails(2, "not an http:// or https:// URL");
    assert!(!path.join("gawah.toml").exists());
}
