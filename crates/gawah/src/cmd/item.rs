//! `gawah item show`.

use anyhow::{Context, Result, bail};
use gawah_core::{Commitment, ItemId};
use gawah_store::sqlite::OpenMode;
use serde_json::json;

use super::open_ledger;
use crate::Outcome;
use crate::cli::{Global, ItemCommand};
use crate::output::json_line;

pub fn run(g: &Global, cmd: ItemCommand) -> Result<Outcome> {
    let ItemCommand::Show { id } = cmd;
    let id: ItemId = id.parse().context("bad item id")?;
    let ledger = open_ledger(g, OpenMode::Checked)?;
    let Some(item) = ledger.store.item(&id)? else {
        bail!("no item {id}");
    };
    let custody = ledger.store.custody(id.as_str())?;
    let commitment = Commitment::new(&item.salt, &item.sha256);
    if g.json {
        let custody: Vec<_> = custody
            .iter()
            .map(|c| json!({"log_index": c.log_index, "action": c.action, "actor": c.actor, "time": c.time.to_rfc3339()}))
            .collect();
        json_line(&json!({
            "item": item.id.as_str(),
            "sha256": item.sha256.to_hex(),
            "bytes": item.bytes,
            "log_index": item.log_index,
            "case": item.case_ref,
            "file_name": item.file_name,
            "created_at": item.created_at.to_rfc3339(),
            "salt": item.salt.to_hex(),
            "commitment": commitment.to_hex(),
            "custody": custody,
        }))?;
    } else {
        println!("item       {}", item.id);
        println!("sha256     {}", item.sha256);
        println!("bytes      {}", item.bytes);
        println!("case       {}", item.case_ref.as_deref().unwrap_or("-"));
        println!("file name  {}", item.file_name.as_deref().unwrap_or("-"));
        println!("received   {}", item.created_at);
        println!("log index  {}", item.log_index);
        println!("custody:");
        for c in custody {
            println!(
                "  #{:<8} {}  {:<10} by {}",
                c.log_index, c.time, c.action, c.actor
            );
        }
    }
    Ok(Outcome::Ok)
}
