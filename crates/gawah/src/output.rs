//! Human and JSON output, and the progress bar.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// Prints one JSON value on its own line.
pub fn json_line(v: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// A progress bar on stderr when it is a terminal, invisible otherwise.
pub fn progress(len: u64, bytes: bool) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    let template = if bytes {
        "{spinner} {bytes}/{total_bytes} {bytes_per_sec} {wide_bar} {eta}"
    } else {
        "{spinner} {pos}/{len} files {per_sec} {wide_bar} {eta}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
