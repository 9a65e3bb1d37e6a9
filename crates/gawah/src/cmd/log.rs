//! `gawah log ...`: the transparency log.

use std::io::Write;

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use gawah_log::{Hash, NoteVerifier, consistency_proof, inclusion_proof, leaf_hash, tree_root};
use gawah_store::sqlite::OpenMode;
use gawah_store::{Ledger, verify_all};
use serde_json::json;

use super::open_ledger;
use crate::Outcome;
use crate::cli::{Global, LogCommand};
use crate::output::json_line;

pub fn run(g: &Global, cmd: LogCommand) -> Result<Outcome> {
    let mode = match cmd {
        LogCommand::Verify => OpenMode::Audit,
        _ => OpenMode::Checked,
    };
    let ledger = open_ledger(g, mode)?;
    match cmd {
        LogCommand::Key => println!("{}", ledger.verifier_key()),
        LogCommand::Checkpoint => print!("{}", ledger.checkpoint()?.note),
        LogCommand::Entry { index } => {
            let mut out = std::io::stdout().lock();
            out.write_all(&ledger.store.entry(index)?)?;
            out.flush()?;
        }
        LogCommand::Prove { index, size } => prove(g, &ledger, index, size)?,
        LogCommand::Consistency { from, to } => consistency(g, &ledger, from, to)?,
        LogCommand::Verify => return verify(g, &ledger),
        LogCommand::Cosign => return super::witness::cosign(g, &ledger),
        LogCommand::Timestamp { tsa_url, out, text } => {
            return super::timestamp::run(
                g,
                &ledger,
                tsa_url.as_deref(),
                out.as_deref(),
                text.as_deref(),
            );
        }
    }
    Ok(Outcome::Ok)
}

fn b64(h: &Hash) -> String {
    B64.encode(h)
}

fn check_size(ledger: &Ledger, size: u64) -> Result<()> {
    let head = ledger.store.head()?;
    if size > head.size {
        bail!(
            "tree size {size} is larger than the log ({} entries)",
            head.size
        );
    }
    Ok(())
}

fn prove(g: &Global, ledger: &Ledger, index: u64, size: Option<u64>) -> Result<()> {
    let size = match size {
        Some(s) => s,
        None => ledger.checkpoint()?.size,
    };
    check_size(ledger, size)?;
    if index >= size {
        bail!("index {index} is not in a tree of size {size}");
    }
    let entry = ledger.store.entry(index)?;
    let proof = inclusion_proof(index, size, &ledger.store.as_ref())?;
    let root = tree_root(size, &ledger.store.as_ref())?;
    let proof: Vec<String> = proof.iter().map(b64).collect();
    let leaf = b64(&leaf_hash(&entry));
    if g.json {
        json_line(
            &json!({"index": index, "tree_size": size, "leaf_hash": leaf, "root": b64(&root), "proof": proof}),
        )?;
    } else {
        println!(
            "index      {index}\ntree size  {size}\nleaf hash  {leaf}\nroot       {}",
            b64(&root)
        );
        for p in proof {
            println!("proof      {p}");
        }
    }
    Ok(())
}

fn consistency(g: &Global, ledger: &Ledger, from: u64, to: u64) -> Result<()> {
    if from == 0 || from > to {
        bail!("need 0 < --from <= --to, got {from} and {to}");
    }
    check_size(ledger, to)?;
    let proof = consistency_proof(from, to, &ledger.store.as_ref())?;
    let root_from = b64(&tree_root(from, &ledger.store.as_ref())?);
    let root_to = b64(&tree_root(to, &ledger.store.as_ref())?);
    let proof: Vec<String> = proof.iter().map(b64).collect();
    if g.json {
        json_line(
            &json!({"from": from, "to": to, "root_from": root_from, "root_to": root_to, "proof": proof}),
        )?;
    } else {
        println!("from {from} root {root_from}\nto   {to} root {root_to}");
        for p in proof {
            println!("proof {p}");
        }
    }
    Ok(())
}

fn verify(g: &Global, ledger: &Ledger) -> Result<Outcome> {
    let verifier = NoteVerifier::parse(&ledger.verifier_key()).context("verifier key")?;
    let report = verify_all(ledger.store.as_ref(), &*ledger.blobs, &verifier);
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    if g.json {
        json_line(&json!({
            "ok": report.ok(),
            "entries": report.entries,
            "items": report.items,
            "blob_bytes": report.blob_bytes,
            "checkpoints": report.checkpoints,
            "checkpoint_size": report.checkpoint_size,
            "failures": failures,
        }))?;
    } else {
        for f in &failures {
            println!("FAIL {f}");
        }
        let verdict = if report.ok() { "ok" } else { "FAILED" };
        println!(
            "{verdict}: {} entries, {} items ({} bytes of blobs), {} checkpoints; latest valid checkpoint at size {}",
            report.entries,
            report.items,
            report.blob_bytes,
            report.checkpoints,
            report
                .checkpoint_size
                .map_or("none".to_string(), |s| s.to_string()),
        );
    }
    let unsigned = report
        .entries
        .saturating_sub(report.checkpoint_size.unwrap_or(0));
    if unsigned > 0 && !g.json {
        // Not a failure: checkpoints are signed in batches, and a crash can come between an
        // append and the next signature. `gawah log checkpoint` signs the head.
        println!("note: {unsigned} entries after the latest checkpoint are not yet signed");
    }
    Ok(if report.ok() {
        Outcome::Ok
    } else {
        Outcome::VerifyFailed
    })
}
