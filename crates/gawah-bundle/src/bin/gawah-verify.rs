//! `gawah-verify BUNDLE --key KEYFILE [--checkpoint TRUSTED] [--consistency PROOF.json]
//! [--witness WVKEY ...] [--min-witnesses N] [--json]`
//!
//! Verifies an evidence bundle offline and prints the report. Exit status: 0 if everything
//! holds, 1 if verification failed, 2 for a usage or input error (missing file, bad key,
//! trusted checkpoint not signed by the key).

use std::path::PathBuf;
use std::process::ExitCode;

use gawah_bundle::{Policy, verify};

const USAGE: &str = "\
usage: gawah-verify BUNDLE --key KEYFILE [--checkpoint TRUSTED] [--consistency PROOF.json]
                    [--witness WVKEY ...] [--min-witnesses N] [--json]

  BUNDLE          the evidence bundle (.zip)
  --key KEYFILE   file holding the log's verifier key (<name>+<key id>+<base64 key>),
                  obtained from the organisation independently of the bundle
  --checkpoint F  a checkpoint of the same log obtained earlier, to detect a forked log
  --consistency F a consistency proof from the bundle's checkpoint to a newer --checkpoint
  --witness WVKEY a witness's cosignature key (<name>+<key id>+<base64 key>); repeatable:
                  each witness's cosignature on the checkpoint is reported
  --min-witnesses N  how many of the --witness keys must have cosigned (default: all)
  --json          print the report as JSON

exit status: 0 verified, 1 not verified, 2 usage or input error";

struct Args {
    bundle: PathBuf,
    key: PathBuf,
    checkpoint: Option<PathBuf>,
    consistency: Option<PathBuf>,
    witnesses: Vec<String>,
    min_witnesses: Option<usize>,
    json: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut bundle, mut key, mut checkpoint, mut consistency, mut json) =
        (None, None, None, None, false);
    let (mut witnesses, mut min_witnesses) = (Vec::new(), None);
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
            "--witness" => witnesses.push(value("--witness")?.to_string_lossy().into_owned()),
            "--min-witnesses" => {
                let n = value("--min-witnesses")?;
                let n = n.to_str().and_then(|s| s.parse().ok());
                min_witnesses = Some(n.ok_or("--min-witnesses needs a number")?);
            }
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
        witnesses,
        min_witnesses,
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
        witnesses: args.witnesses.clone(),
        min_witnesses: args.min_witnesses,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn witness_options() {
        let a = args("b.zip --key k --witness w1 --witness w2 --min-witnesses 1").unwrap();
        assert_eq!(a.witnesses, ["w1", "w2"]);
        assert_eq!(a.min_witnesses, Some(1));
        let a = args("b.zip --key k").unwrap();
        assert!(a.witnesses.is_empty() && a.min_witnesses.is_none());
        assert!(args("b.zip --key k --min-witnesses many").is_err());
        assert!(args("b.zip --key k --witness").is_err());
    }
}
