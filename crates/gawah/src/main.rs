//! `gawah`: the command line of the evidence ledger.
//!
//! Exit codes: 0 ok, 1 verification failed, 2 usage or input error. Every error is one line
//! on stderr.

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// How a command ended, when it did not fail outright.
#[derive(Debug)]
pub enum Outcome {
    /// All good.
    Ok,
    /// A verification ran and found something wrong (already reported).
    VerifyFailed,
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cmd::run(args) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::VerifyFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("gawah: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
