//! `gawah-verify BUNDLE --key KEYFILE [--checkpoint TRUSTED] [--consistency PROOF.json] [--json]`
//!
//! Verifies an evidence bundle offline and prints the report. Exit status: 0 if everything
//! holds, 1 if verification failed, 2 for a usage or input error (missing file, bad key,
//! trusted checkpoint not signed by the key).

use std::path::PathBuf;
use std::process::ExitCode;

use gawah_bundle::{Policy, verify};

const USAGE: &str = "\
usage: gawah-verify BUNDLE --key KEYFILE [--checkpoint TRUSTED] [--consistency PROOF.json] [--json]

  BUNDLE          the evidence bundle (.zip)
  --key KEYFILE   file holding the log's verifier key (<name>+<key id>+<base64 key>),
                  obtained from the organisation independently of the bundle
  --checkpoint F  a checkpoint of the same log obtained earlier, to detect a forked log
  --consistency F a consistency proof from the bundle's checkpoint to a newer --checkpoint
  --json          print the report as JSON

exit status: 0 verified, 1 not verified, 2 usage or input error";

struct Args {
    bundle: PathBuf,
    key: PathBuf,
    checkpoint: Option<PathBuf>,
    consistency: Option<PathBuf>,
    json: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut bundle, mut key, mut checkpoint, mut consistency, mut json) =
        (None, None, None, None, false);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or(format!("{flag} needs a value"))
        };
        match arg.as_str() {
            "--key" => key = Some(value("--key")?),
            "--checkpoint" => checkpoint = Some(value("--checkpoint")?),
            "--consistency" => consistency = Some(value("--consistency")?),
            "--json" => json = true,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') && flag != "-" => {
                return Err(format!("unknown option {flag}"));
            }
            _ if bundle.is_none() => bundle = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    Ok(Args {
        bundle: bundle.ok_or("no BUNDLE given")?,
        key: key.ok_or("no --key given")?,
        checkpoint,
        consistency,
        json,
    })
}

fn read(path: &PathBuf, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

fn run() -> Result<bool, String> {
    let args = parse(std::env::args().skip(1))?;
    let key = read(&args.key, "key file")?;
    let trusted = args
        .checkpoint
        .as_ref()
        .map(|p| read(p, "trusted checkpoint"))
        .transpose()?;
    let policy = Policy {
        newer_consistency: args
            .consistency
            .as_ref()
            .map(|p| read(p, "consistency proof"))
            .transpose()?,
        ..Policy::default()
    };
    let report =
        verify(&args.bundle, &key, trusted.as_deref(), &policy).map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{report}");
    }
    Ok(report.ok)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gawah-verify: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
