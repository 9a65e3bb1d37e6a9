//! Public figures: counts safe to publish.
//!
//! The public sees counts of incidents by month, by province and by domain, one dimension at a
//! time and never finer (no month × province cells, no perpetrators, no places below the
//! province). What goes in is decided by the caller (only incidents whose every testimony
//! consents to anonymised publication, see `gawah-store`); what comes out is decided here:
//!
//! - **Primary suppression**: a count under [`THRESHOLD`] (including zero) is shown as `<5`,
//!   so that nobody can tell one incident in a small province from none.
//! - **Secondary suppression**: the total is published, so a table with exactly one suppressed
//!   cell would give that cell away (total minus the others). In such a table the smallest
//!   published cell is suppressed too, so that at least two cells share the unknown remainder.
//! - Every row of a dimension is listed (all 34 provinces, all domains, every month from the
//!   first to the last documented), so the absence of a row reveals nothing either.
//!
//! An incident with several violation types counts once in each of its domains, so the domain
//! table may add up to more than the total. An incident dated only to a year is in the total,
//! the province and the domain tables, but in no month; how many there are is a cell of its
//! own, suppressed like the others.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::vocab::{PROVINCES, VIOLATION_TYPES};

/// Counts under this are never published.
pub const THRESHOLD: u64 = 5;

/// What the figures know of one publishable incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureInput {
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date: String,
    /// ISO 3166-2:AF code.
    pub province: String,
    /// Its domains (violation types).
    pub domains: Vec<String>,
}

/// A published count: exact, or suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// At least [`THRESHOLD`].
    Count(u64),
    /// Under [`THRESHOLD`], or hidden so that another small cell cannot be derived.
    #[serde(serialize_with = "suppressed")]
    Suppressed,
}

fn suppressed<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("<5")
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Suppressed => f.write_str("<5"),
        }
    }
}

/// One dimension's table: a key (month, province code, domain) and its cell, in order.
pub type Table = Vec<(String, Cell)>;

/// Everything `/figures` publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Every publishable incident.
    pub total: Cell,
    /// By month (`YYYY-MM`), from the first to the last month documented.
    pub by_month: Table,
    /// Incidents dated only to a year (in no month).
    pub without_month: Cell,
    /// By province, all 34.
    pub by_province: Table,
    /// By domain, every violation type.
    pub by_domain: Table,
}

/// Counts `inputs` and suppresses small cells.
pub fn figures(inputs: &[FigureInput]) -> Figures {
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    let mut without_month = 0u64;
    let mut provinces: BTreeMap<&str, u64> = PROVINCES.iter().map(|(p, _)| (*p, 0)).collect();
    let mut domains: BTreeMap<&str, u64> = VIOLATION_TYPES.iter().map(|d| (*d, 0)).collect();
    for i in inputs {
        match i.date.get(..7).filter(|m| m.len() == 7) {
            Some(m) => *months.entry(m.to_owned()).or_default() += 1,
            None => without_month += 1,
        }
        if let Some(n) = provinces.get_mut(i.province.as_str()) {
            *n += 1;
        }
        for d in &i.domains {
            if let Some(n) = domains.get_mut(d.as_str()) {
                *n += 1;
            }
        }
    }
    let total = inputs.len() as u64;
    // The month table and the year-only cell together add up to the total: suppress them as one.
    let mut month_rows: Vec<(String, u64)> = every_month(&months);
    month_rows.push((String::new(), without_month));
    let mut by_month = suppress(month_rows);
    let without_month = by_month.pop().map_or(Cell::Suppressed, |(_, c)| c);
    Figures {
        total: cell(total),
        by_month,
        without_month,
        by_province: suppress(
            provinces
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ),
        // Domains overlap, so their sum does not give a cell away; primary suppression only.
        by_domain: domains
            .into_iter()
            .map(|(k, v)| (k.to_owned(), cell(v)))
            .collect(),
    }
}

fn cell(n: u64) -> Cell {
    if n < THRESHOLD {
        Cell::Suppressed
    } else {
        Cell::Count(n)
    }
}

/// Every month from the first to the last key of `months`, zeros included.
fn every_month(months: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let parse = |m: &str| -> Option<(u32, u32)> {
        Some((m.get(..4)?.parse().ok()?, m.get(5..7)?.parse().ok()?))
    };
    let (Some(first), Some(last)) = (
        months.keys().next().and_then(|m| parse(m)),
        months.keys().next_back().and_then(|m| parse(m)),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut y, mut m) = first;
    while (y, m) <= last && (1..=12).contains(&m) {
        let key = format!("{y:04}-{m:02}");
        let n = months.get(&key).copied().unwrap_or(0);
        out.push((key, n));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// Primary then secondary suppression of one table whose cells add up to a published total.
fn suppress(rows: Vec<(String, u64)>) -> Table {
    let mut hidden: Vec<bool> = rows.iter().map(|(_, n)| *n < THRESHOLD).collect();
    if hidden.iter().filter(|h| **h).count() == 1 {
        // Hide the smallest published cell as well (the first such, for determinism).
        if let Some((i, _)) = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| !hidden[*i])
            .min_by_key(|(i, (_, n))| (*n, *i))
        {
            hidden[i] = true;
        }
    }
    rows.into_iter()
        .zip(hidden)
        .map(|((k, n), h)| (k, if h { Cell::Suppressed } else { Cell::Count(n) }))
        .collect()
}

/// HXL hashtags of the CSV's columns (Humanitarian Exchange Language).
pub const CSV_HXL: [&str; 5] = [
    "#meta+dimension",
    "#date+month",
    "#adm1+code",
    "#sector+code",
    "#indicator+incidents+num",
];

/// Header row of the CSV.
pub const CSV_HEADER: [&str; 5] = ["dimension", "month", "province", "domain", "incidents"];

impl Figures {
    /// The rows of the public CSV, in [`CSV_HEADER`] order: the total, then each table.
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        let row = |dim: &str, month: &str, province: &str, domain: &str, c: &Cell| {
            vec![
                dim.to_owned(),
                month.to_owned(),
                province.to_owned(),
                domain.to_owned(),
                c.to_string(),
            ]
        };
        let mut rows = vec![row("total", "", "", "", &self.total)];
        rows.extend(
            self.by_month
                .iter()
                .map(|(m, c)| row("month", m, "", "", c)),
        );
        rows.push(row("month", "unknown", "", "", &self.without_month));
        rows.extend(
            self.by_province
                .iter()
                .map(|(p, c)| row("province", "", p, "", c)),
        );
        rows.extend(
            self.by_domain
                .iter()
                .map(|(d, c)| row("domain", "", "", d, c)),
        );
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(date: &str, province: &str, domains: &[&str]) -> FigureInput {
        FigureInput {
            date: date.into(),
            province: province.into(),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn get<'a>(t: &'a Table, key: &str) -> &'a Cell {
        &t.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn small_cells_are_suppressed_and_large_ones_exact() {
        let mut inputs = vec![input("2022-03-23", "AF-KAB", &["education"]); 7];
        inputs.extend(vec![
            input(
                "2022-03-02",
                "AF-HER",
                &["education", "movement"]
            );
            3
        ]);
        inputs.extend(vec![input("2022-05", "AF-BAL", &["employment"]); 6]);
        let f = figures(&inputs);
        assert_eq!(f.total, Cell::Count(16));
        assert_eq!(get(&f.by_province, "AF-KAB"), &Cell::Count(7));
        assert_eq!(get(&f.by_province, "AF-HER"), &Cell::Suppressed);
        assert_eq!(get(&f.by_province, "AF-BAL"), &Cell::Count(6));
        assert_eq!(
            get(&f.by_province, "AF-BDS"),
            &Cell::Suppressed,
            "zero is <5"
        );
        assert_eq!(f.by_province.len(), 34);
        assert_eq!(get(&f.by_domain, "education"), &Cell::Count(10));
        assert_eq!(get(&f.by_domain, "movement"), &Cell::Suppressed);
        assert_eq!(f.by_domain.len(), VIOLATION_TYPES.len());
        // Months from the first to the last, the empty one included.
        let months: Vec<&str> = f.by_month.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(months, ["2022-03", "2022-04", "2022-05"]);
        assert_eq!(get(&f.by_month, "2022-03"), &Cell::Count(10));
        assert_eq!(get(&f.by_month, "2022-04"), &Cell::Suppressed);
    }

    #[test]
    fn a_lone_small_cell_takes_the_smallest_other_with_it() {
        // Province table: only AF-KAB and AF-HER exist, but 32 provinces are 0 → many hidden:
        // no secondary needed there. Months: 2022-01 = 9, 2022-02 = 3, 2022-03 = 6, year-only 0.
        let mut inputs = vec![input("2022-01-05", "AF-KAB", &["health"]); 9];
        inputs.extend(vec![input("2022-02", "AF-KAB", &["health"]); 3]);
        inputs.extend(vec![input("2022-03", "AF-KAB", &["health"]); 6]);
        inputs.extend(vec![input("2022", "AF-KAB", &["health"]); 5]);
        let f = figures(&inputs);
        assert_eq!(f.total, Cell::Count(23));
        assert_eq!(get(&f.by_month, "2022-02"), &Cell::Suppressed);
        // Without secondary suppression 23 - 9 - 6 - 5 = 3 would give 2022-02 away.
        assert_eq!(
            f.without_month,
            Cell::Suppressed,
            "smallest published (5) hidden too"
        );
        assert_eq!(get(&f.by_month, "2022-01"), &Cell::Count(9));
        assert_eq!(get(&f.by_month, "2022-03"), &Cell::Count(6));
        let hidden = f
            .by_month
            .iter()
            .map(|(_, c)| c)
            .chain([&f.without_month])
            .filter(|c| **c == Cell::Suppressed)
            .count();
        assert_eq!(hidden, 2);
    }

    #[test]
    fn nothing_to_publish_publishes_nothing_identifying() {
        let f = figures(&[]);
        assert_eq!(f.total, Cell::Suppressed);
        assert!(f.by_month.is_empty());
        assert!(f.by_province.iter().all(|(_, c)| *c == Cell::Suppressed));
        let one = figures(&[input("2023-07-01", "AF-GHO", &["dress"])]);
        assert_eq!(one.total, Cell::Suppressed);
        assert!(one.csv_rows().iter().all(|r| r[4] == "<5"));
    }

    #[test]
    fn csv_rows_follow_the_header_and_suppress() {
        let inputs = vec![input("2024-01-10", "AF-KAN", &["media"]); 5];
        let f = figures(&inputs);
        let rows = f.csv_rows();
        assert!(rows.iter().all(|r| r.len() == CSV_HEADER.len()));
        assert_eq!(rows[0], ["total", "", "", "", "5"]);
        assert!(rows.contains(&vec![
            "province".into(),
            "".into(),
            "AF-KAN".into(),
            "".into(),
            "5".into()
        ]));
        assert!(rows.contains(&vec![
            "province".into(),
            "".into(),
            "AF-KAB".into(),
            "".into(),
            "<5".into()
        ]));
        assert_eq!(
            serde_json::to_value(Cell::Suppressed).unwrap(),
            serde_json::json!("<5")
        );
        assert_eq!(
            serde_json::to_value(Cell::Count(7)).unwrap(),
            serde_json::json!(7)
        );
    }
}
