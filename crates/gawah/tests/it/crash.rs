//! Crash safety: `gawah ingest` killed with SIGKILL at random moments. After every kill the
//! log verifies, and every item acknowledged before the kill is present and intact.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::harness::{Instance, Rng, gawah, s, write};

const ROUNDS: usize = 60;

#[test]
#[allow(clippy::disallowed_methods)] // SystemTime::now makes a seed, not a time the code sees
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let inst = Instance::new();
    let input = inst.input_dir();
    let seed = std::env::var("GAWAH_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed {seed} (set GAWAH_CRASH_SEED to replay)");
    let mut rng = Rng(seed);
    for i in 0..150 {
        let len = 1 + rng.below(8192) as usize;
        write(&input, &format!("d{}/f{i}", i % 7), &rng.bytes(len));
    }
    for i in 0..3 {
        write(&input, &format!("big{i}"), &rng.bytes(3 << 20));
    }
    let mut acknowledged: BTreeMap<String, Value> = BTreeMap::new();
    let full = inst.run(&["ingest", "--json", s(&input)]).ok();
    let files = full.json_lines().len() as u64;
    for v in full.json_lines() {
        acknowledged.insert(v["item"].as_str().unwrap().to_owned(), v);
    }
    for round in 0..ROUNDS {
        let mut child = gawah()
            .args(["ingest", "--json", "--data-dir", s(&inst.dir), s(&input)])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The kill lands after a random number of acknowledgements (from none to all of
        // them), then a random few milliseconds later: between two files, inside one, or
        // while the next is being committed. Counting lines, not time, spreads the kills
        // over the run whatever the machine's speed.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut out = String::new();
        for _ in 0..rng.below(files + 1) {
            if stdout.read_line(&mut out).unwrap() == 0 {
                break;
            }
        }
        // The moment of the kill is the random variable here, not a wait for readiness.
        std::thread::sleep(Duration::from_millis(rng.below(25)));
        let _ = child.kill();
        stdout.read_to_string(&mut out).unwrap();
        child.wait().unwrap();
        // Only whole lines were acknowledged; a line cut by the kill was not.
        let whole = out.rfind('\n').map_or("", |end| &out[..end]);
        for line in whole.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            acknowledged.insert(v["item"].as_str().unwrap().to_owned(), v);
        }
        let verify = inst.run(&["log", "verify"]);
        assert_eq!(verify.code, 0, "round {round} seed {seed}: {verify:?}");
        check_present(&inst, &acknowledged, round, seed);
    }
    let head: i64 = inst
        .db()
        .query_row("SELECT size FROM log_head", [], |r| r.get(0))
        .unwrap();
    assert!(
        acknowledged.len() as u64 > 2 * files && head > acknowledged.len() as i64 - 1,
        "the kills should land both before and after acknowledgements: {} acknowledged, log size {head}",
        acknowledged.len()
    );
}

fn check_present(inst: &Instance, acknowledged: &BTreeMap<String, Value>, round: usize, seed: u64) {
    let db = inst.db();
    let mut stmt = db
        .prepare("SELECT sha256, bytes, log_index FROM items WHERE id = ?1")
        .unwrap();
    for (id, ack) in acknowledged {
        let (sha, bytes, idx): (String, i64, i64) = stmt
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap_or_else(|e| panic!("round {round} seed {seed}: acknowledged {id} lost: {e}"));
        assert_eq!(sha, ack["sha256"].as_str().unwrap());
        assert_eq!(Some(bytes), ack["bytes"].as_i64());
        assert_eq!(Some(idx), ack["log_index"].as_i64());
        let source = std::fs::read(ack["path"].as_str().unwrap()).unwrap();
        let blob = std::fs::read(inst.blob_path(&sha)).unwrap();
        assert!(
            source == blob,
            "round {round}: blob of {id} differs from its source"
        );
    }
}
