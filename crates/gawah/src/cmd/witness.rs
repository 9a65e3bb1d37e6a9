//! `gawah witness ...` and `gawah log cosign`: witnessing (C2SP tlog-witness, see
//! `docs/WITNESS.md`).
//!
//! - As a witness for others: `witness key` makes (once) and prints this instance's witness
//!   key; `witness add-log --key VKEY` / `remove-log --origin O` choose the logs whose
//!   checkpoints `gawah serve` cosigns at `POST /add-checkpoint`.
//! - For its own log: `witness add --url URL --key VKEY` / `remove --name N` choose the
//!   witnesses `gawah log cosign` asks; their cosignatures are kept and go into bundles.
//!
//! Configuration changes are logged changes; cosigning is not (it would make a new checkpoint
//! to cosign, forever, between two instances witnessing each other).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_log::{
    CosignatureCheck, CosignatureVerifier, NoteVerifier, consistency_proof, open_checkpoint,
    parse_signature_lines,
};
use gawah_store::sqlite::OpenMode;
use gawah_store::witness::{
    StoredCosignature, Witness, add_log_change, add_witness_change, remove_log_change,
    remove_witness_change,
};
use gawah_store::{DataDir, Ledger, StoredCheckpoint};
use serde_json::json;

use super::{data_dir, open_ledger};
use crate::Outcome;
use crate::cli::{Global, WitnessCommand};
use crate::output::json_line;

/// Longest answer read from a witness.
const MAX_ANSWER: u64 = 64 * 1024;
/// A witness that does not answer within this is counted as refusing.
const TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(g: &Global, cmd: WitnessCommand) -> Result<Outcome> {
    match cmd {
        WitnessCommand::Key => key(g),
        WitnessCommand::AddLog { key } => add_log(g, &key),
        WitnessCommand::RemoveLog { origin } => remove_log(g, &origin),
        WitnessCommand::Add { url, key } => add(g, &url, &key),
        WitnessCommand::Remove { name } => remove(g, &name),
        WitnessCommand::List => list(g),
    }
}

/// Prints the witness verifier key, making the key on first use.
fn key(g: &Global) -> Result<Outcome> {
    let dir = DataDir::open(data_dir(g)?)?;
    let (cosigner, created) = dir.witness_signer_or_create()?;
    if created {
        eprintln!(
            "created the witness key {} (mode 0600); restart `gawah serve` to answer add-checkpoint",
            dir.path.join("witness-signing.key").display()
        );
    }
    if g.json {
        json_line(&json!({"name": cosigner.name(), "key": cosigner.verifier_key()}))?;
    } else {
        println!("{}", cosigner.verifier_key());
    }
    Ok(Outcome::Ok)
}

fn add_log(g: &Global, key: &str) -> Result<Outcome> {
    let verifier = NoteVerifier::parse(key.trim()).context(
        "--key must be the log's verifier key (<name>+<key id>+<base64 key>, `gawah log key` of that instance)",
    )?;
    let ledger = open_ledger(g, OpenMode::Checked)?;
    if verifier.name() == ledger.origin() {
        bail!("this is this instance's own log; a log cannot witness itself");
    }
    // A log witnessed needs a key to cosign with: make it now rather than at the first request.
    let (cosigner, _) = DataDir::open(data_dir(g)?)?.witness_signer_or_create()?;
    let change = add_log_change(ledger.clock().now(), ledger.actor(), &verifier)?;
    let index = ledger.commit(&[change])?[0];
    ledger.checkpoint()?;
    report(
        g,
        json!({"witnessed_log": verifier.name(), "log_index": index, "witness_key": cosigner.verifier_key()}),
        &format!(
            "witnessing {} (entry {index}); give the log's operator this witness key:\n{}",
            verifier.name(),
            cosigner.verifier_key()
        ),
    )
}

fn remove_log(g: &Global, origin: &str) -> Result<Outcome> {
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let log = ledger
        .store
        .witnessed_log(origin)?
        .filter(|l| l.active)
        .with_context(|| format!("{origin} is not a witnessed log (see `gawah witness list`)"))?;
    let index = ledger.commit(&[remove_log_change(
        ledger.clock().now(),
        ledger.actor(),
        &log,
    )?])?[0];
    ledger.checkpoint()?;
    report(
        g,
        json!({"removed_log": origin, "log_index": index}),
        &format!("no longer witnessing {origin} (entry {index}); its last state is kept"),
    )
}

fn add(g: &Global, url: &str, key: &str) -> Result<Outcome> {
    let verifier = CosignatureVerifier::parse(key.trim()).context(
        "--key must be the witness's cosignature key (<name>+<key id>+<base64 of 0x04 and the key>, `gawah witness key` of that instance)",
    )?;
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let url = url.trim_end_matches('/');
    let change = add_witness_change(ledger.clock().now(), ledger.actor(), &verifier, url)?;
    let index = ledger.commit(&[change])?[0];
    ledger.checkpoint()?;
    report(
        g,
        json!({"witness": verifier.name(), "url": url, "log_index": index}),
        &format!(
            "asking {} at {url} (entry {index}); `gawah log cosign` asks every witness",
            verifier.name()
        ),
    )
}

fn remove(g: &Global, name: &str) -> Result<Outcome> {
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let witness = ledger
        .store
        .witnesses()?
        .into_iter()
        .find(|w| w.name == name && w.active)
        .with_context(|| {
            format!("{name} is not a configured witness (see `gawah witness list`)")
        })?;
    let change = remove_witness_change(ledger.clock().now(), ledger.actor(), &witness)?;
    let index = ledger.commit(&[change])?[0];
    ledger.checkpoint()?;
    report(
        g,
        json!({"removed_witness": name, "log_index": index}),
        &format!("no longer asking {name} (entry {index}); its cosignatures are kept"),
    )
}

fn report(g: &Global, v: serde_json::Value, human: &str) -> Result<Outcome> {
    if g.json {
        json_line(&v)?;
    } else {
        eprintln!("{human}");
    }
    Ok(Outcome::Ok)
}

fn list(g: &Global) -> Result<Outcome> {
    let dir = DataDir::open(data_dir(g)?)?;
    let own = dir.witness_signer()?.map(|c| c.verifier_key());
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let logs = ledger.store.witnessed_logs()?;
    let witnesses = ledger.store.witnesses()?;
    let mut cosigned = Vec::new();
    for w in &witnesses {
        cosigned.push(ledger.store.last_cosigned_size(&w.key)?);
    }
    if g.json {
        let logs: Vec<_> = logs
            .iter()
            .map(|l| {
                json!({
                    "origin": l.origin, "key": l.key, "active": l.active, "size": l.size,
                    "root": l.root.map(|r| B64.encode(r)), "updated_at": l.updated_at.to_rfc3339(),
                })
            })
            .collect();
        let ws: Vec<_> = witnesses.iter().zip(&cosigned).map(|(w, c)| json!({
            "name": w.name, "url": w.url, "key": w.key, "active": w.active, "last_cosigned_size": c,
        })).collect();
        json_line(&json!({"witness_key": own, "witnessed_logs": logs, "witnesses": ws}))?;
        return Ok(Outcome::Ok);
    }
    println!(
        "witness key: {}",
        own.as_deref()
            .unwrap_or("none (`gawah witness key` makes one)")
    );
    println!("logs witnessed:");
    for l in &logs {
        let state = if l.active { "" } else { " (removed)" };
        println!(
            "  {}{state}: cosigned up to size {}, {}",
            l.origin,
            l.size,
            l.updated_at.to_rfc3339()
        );
    }
    println!("witnesses asked:");
    for (w, c) in witnesses.iter().zip(&cosigned) {
        let state = if w.active { "" } else { " (removed)" };
        let last = c.map_or("never cosigned".into(), |s| {
            format!("cosigned up to size {s}")
        });
        println!("  {}{state} at {}: {last}", w.name, w.url);
    }
    Ok(Outcome::Ok)
}

/// `gawah log cosign`: the head's checkpoint (signed first if needed) to every witness; exit
/// 1 if any refused or failed.
pub fn cosign(g: &Global, ledger: &Ledger) -> Result<Outcome> {
    let witnesses: Vec<Witness> = ledger
        .store
        .witnesses()?
        .into_iter()
        .filter(|w| w.active)
        .collect();
    if witnesses.is_empty() {
        bail!("no witness is configured; add one with `gawah witness add --url URL --key KEY`");
    }
    let cp = ledger.checkpoint()?;
    let (_, opened) = open_checkpoint(&cp.note, &ledger.signer().verifier())
        .context("the stored checkpoint does not verify; run `gawah log verify`")?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut refused = 0;
    for w in &witnesses {
        let result = ask(&agent, ledger, &cp, &opened.text, w);
        if result.is_err() {
            refused += 1;
        }
        if g.json {
            json_line(&match &result {
                Ok(time) => {
                    json!({"witness": w.name, "url": w.url, "size": cp.size, "ok": true, "time": time})
                }
                Err(e) => {
                    json!({"witness": w.name, "url": w.url, "size": cp.size, "ok": false, "error": format!("{e:#}")})
                }
            })?;
        } else {
            match &result {
                Ok(time) => println!("ok    {} cosigned size {} (time {time})", w.name, cp.size),
                Err(e) => println!("FAIL  {} at {}: {e:#}", w.name, w.url),
            }
        }
    }
    Ok(if refused == 0 {
        Outcome::Ok
    } else {
        Outcome::VerifyFailed
    })
}

/// Asks one witness; on a 409 asks once more from the size it says it holds. Returns the time
/// of the cosignature, which is verified and stored.
fn ask(
    agent: &ureq::Agent,
    ledger: &Ledger,
    cp: &StoredCheckpoint,
    text: &str,
    w: &Witness,
) -> Result<u64> {
    let verifier = CosignatureVerifier::parse(&w.key).context("the stored witness key")?;
    let mut old = ledger.store.last_cosigned_size(&w.key)?.unwrap_or(0);
    for attempt in 0..2 {
        let body = request(ledger, cp, old)?;
        let url = format!("{}/add-checkpoint", w.url);
        let mut resp = agent
            .post(&url)
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(&body[..])
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status().as_u16();
        let size_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim() == "text/x.tlog.size");
        let answer = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .context("reading the witness's answer")?;
        match status {
            200 => return accept(ledger, cp, text, &verifier, &answer),
            409 if attempt == 0 && size_type => {
                let known: u64 = answer
                    .strip_suffix('\n')
                    .and_then(|s| s.parse().ok())
                    .context("the witness's 409 does not hold a size")?;
                if known > cp.size {
                    bail!(
                        "the witness holds size {known}, beyond this log's checkpoint ({}): it has seen a checkpoint of this log that this log does not hold",
                        cp.size
                    );
                }
                old = known;
            }
            _ => bail!(
                "refused with {status}: {}",
                answer
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
        }
    }
    bail!("the witness disagreed twice about the size it holds")
}

/// `old <size>`, the consistency proof from it, an empty line, the checkpoint note.
fn request(ledger: &Ledger, cp: &StoredCheckpoint, old: u64) -> Result<Vec<u8>> {
    let mut body = format!("old {old}\n");
    if old != 0 && old != cp.size {
        for h in consistency_proof(old, cp.size, &ledger.store.as_ref())? {
            body.push_str(&B64.encode(h));
            body.push('\n');
        }
    }
    body.push('\n');
    body.push_str(&cp.note);
    Ok(body.into_bytes())
}

/// Keeps the witness's cosignature if one of its lines verifies over our checkpoint.
fn accept(
    ledger: &Ledger,
    cp: &StoredCheckpoint,
    text: &str,
    verifier: &CosignatureVerifier,
    answer: &str,
) -> Result<u64> {
    let lines =
        parse_signature_lines(answer).context("the witness's answer is not signature lines")?;
    let time = match verifier.check(text, &lines) {
        CosignatureCheck::Valid { time } => time,
        CosignatureCheck::Missing => bail!("the answer holds no cosignature by the witness's key"),
        CosignatureCheck::Bad(e) => bail!("the witness's cosignature does not hold: {e}"),
    };
    let sig = lines
        .iter()
        .find(|s| verifier.verify(text, s).is_ok())
        .context("the cosignature vanished")?;
    let mut bytes = sig.key_id.to_vec();
    bytes.extend_from_slice(&sig.signature);
    let line = format!("\u{2014} {} {}\n", sig.name, B64.encode(bytes));
    let stored = StoredCosignature {
        size: cp.size,
        witness_key: verifier.verifier_key(),
        line,
        time,
    };
    ledger
        .store
        .put_cosignature(&stored, ledger.clock().now())?;
    Ok(time)
}
