//! The verifier's report: every check with its outcome and a specific message, per item and
//! for the bundle as a whole, and a human-readable rendering.

use std::fmt;

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "outcome", content = "message")]
pub enum Outcome {
    /// The check held; the message says what was established.
    Pass(String),
    /// The check failed, or could not be made; the message says what is wrong.
    Fail(String),
    /// Information that is neither a pass nor a failure (for example, what was not checked).
    Note(String),
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, in a word or two.
    pub what: String,
    /// How it went.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    /// Whether this check failed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail(_))
    }
}

/// The checks of one evidence item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemReport {
    /// The item id.
    pub item: String,
    /// The file's path in the bundle.
    pub path: String,
    /// True when no check of this item failed.
    pub ok: bool,
    /// Every check, in the order made.
    pub checks: Vec<Check>,
}

/// The verifier's whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The bundle, as named by the caller.
    pub bundle: String,
    /// The log's origin, once the checkpoint verified.
    pub origin: Option<String>,
    /// The checkpoint's tree size, once it verified.
    pub tree_size: Option<u64>,
    /// The manifest's purpose, case and creation time, once it parsed.
    pub purpose: Option<String>,
    /// The case reference.
    pub case: Option<String>,
    /// When the exporter says the bundle was made.
    pub created: Option<String>,
    /// Checks about the bundle as a whole (archive, manifest, checkpoint, key, consistency,
    /// files not in the manifest).
    pub checks: Vec<Check>,
    /// One entry per manifest item, in manifest order.
    pub items: Vec<ItemReport>,
    /// True only if every check passed and there is at least one item.
    pub ok: bool,
}

impl Report {
    pub(crate) fn new(bundle: String) -> Self {
        Self {
            bundle,
            origin: None,
            tree_size: None,
            purpose: None,
            case: None,
            created: None,
            checks: Vec::new(),
            items: Vec::new(),
            ok: false,
        }
    }

    pub(crate) fn push(&mut self, what: &str, outcome: Outcome) {
        self.checks.push(Check {
            what: what.to_owned(),
            outcome,
        });
    }

    /// Sets [`ok`](Report::ok) and each item's `ok` from the checks.
    pub(crate) fn conclude(mut self) -> Self {
        for item in &mut self.items {
            item.ok = !item.checks.iter().any(Check::failed);
        }
        self.ok = !self.items.is_empty()
            && self.items.iter().all(|i| i.ok)
            && !self.checks.iter().any(Check::failed);
        self
    }

    /// Every failure as one line: `bundle: ...` or `item <id> (<path>): ...`.
    pub fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Fail(m) => Some(format!("bundle: {}: {m}", c.what)),
                _ => None,
            })
            .collect();
        for item in &self.items {
            for c in &item.checks {
                if let Outcome::Fail(m) = &c.outcome {
                    out.push(format!(
                        "item {} ({}): {}: {m}",
                        item.item, item.path, c.what
                    ));
                }
            }
        }
        out
    }
}

fn write_check(f: &mut fmt::Formatter<'_>, c: &Check) -> fmt::Result {
    let (tag, msg) = match &c.outcome {
        Outcome::Pass(m) => ("ok  ", m),
        Outcome::Fail(m) => ("FAIL", m),
        Outcome::Note(m) => ("note", m),
    };
    writeln!(f, "  [{tag}] {:<12} {msg}", c.what)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "gawah evidence bundle: {}", self.bundle)?;
        if let (Some(origin), Some(size)) = (&self.origin, self.tree_size) {
            writeln!(f, "log:     {origin}, signed checkpoint of {size} entries")?;
        }
        if let (Some(p), Some(case), Some(created)) = (&self.purpose, &self.case, &self.created) {
            writeln!(
                f,
                "bundle:  {p}, case {case}, made {created} (as the exporter states)"
            )?;
        }
        writeln!(f, "\nThe bundle as a whole")?;
        for c in &self.checks {
            write_check(f, c)?;
        }
        for item in &self.items {
            let verdict = if item.ok { "VERIFIED" } else { "NOT VERIFIED" };
            writeln!(f, "\nItem {}: {} ({verdict})", item.item, item.path)?;
            for c in &item.checks {
                write_check(f, c)?;
            }
        }
        let failures = self.failures();
        writeln!(f)?;
        if self.ok {
            writeln!(
                f,
                "RESULT: VERIFIED. All {} item(s) are byte for byte the files committed to in the log, \
                 and every log entry is included in the checkpoint signed by the key you gave.",
                self.items.len()
            )
        } else if failures.is_empty() {
            writeln!(f, "RESULT: NOT VERIFIED: the bundle lists no items.")
        } else {
            writeln!(
                f,
                "RESULT: NOT VERIFIED. {} check(s) failed:",
                failures.len()
            )?;
            for line in failures {
                writeln!(f, "  - {line}")?;
            }
            Ok(())
        }
    }
}
