//! `gawah demo generate`: a deterministic synthetic corpus written through the ledger.

use crate::harness::Instance;

/// Titles and refs of an organisation's incidents, in ref order.
fn titles(inst: &Instance, org: &str) -> Vec<(String, String)> {
    let db = inst.db();
    let mut stmt = db
        .prepare(
            "SELECT i.ref, i.title FROM incidents i JOIN orgs o ON o.id = i.org_id
             WHERE o.name = ?1 ORDER BY i.ref",
        )
        .unwrap();
    stmt.query_map([org], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Each incident is its own logged change; the same seed gives the same corpus; the log
/// verifies afterwards.
#[test]
fn generates_a_deterministic_corpus_that_verifies() {
    let a = Instance::new();
    let b = Instance::new();
    for inst in [&a, &b] {
        inst.run(&["admin", "org", "add", "Org A"]).ok();
    }
    let size_before: i64 = a
        .db()
        .query_row("SELECT size FROM log_head", [], |r| r.get(0))
        .unwrap();
    a.run(&[
        "demo",
        "generate",
        "--org",
        "Org A",
        "--incidents",
        "50",
        "--batch",
        "7",
    ])
    .ok();
    b.run(&["demo", "generate", "--org", "Org A", "--incidents", "50"])
        .ok();
    let (ta, tb) = (titles(&a, "Org A"), titles(&b, "Org A"));
    assert_eq!(ta.len(), 50);
    assert_eq!(ta, tb, "the same seed gives the same incidents");
    assert_eq!(ta[0].0, "SYN-000001");
    // Dari, Pashto and English titles.
    let arabic_script = ta
        .iter()
        .filter(|(_, t)| t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))
        .count();
    assert!(arabic_script > 10 && arabic_script < 50, "{arabic_script}");
    let size_after: i64 = a
        .db()
        .query_row("SELECT size FROM log_head", [], |r| r.get(0))
        .unwrap();
    assert_eq!(size_after - size_before, 50, "one log entry per incident");

    let c = Instance::new();
    c.run(&["admin", "org", "add", "Org A"]).ok();
    c.run(&[
        "demo",
        "generate",
        "--org",
        "Org A",
        "--incidents",
        "5",
        "--seed",
        "7",
    ])
    .ok();
    assert_ne!(
        titles(&c, "Org A"),
        ta[..5].to_vec(),
        "another seed, another corpus"
    );

    a.run(&["log", "verify"]).ok();
}

/// The organisation must exist; the error says how to add it.
#[test]
fn refuses_an_unknown_organisation() {
    let inst = Instance::new();
    inst.run(&["demo", "generate", "--org", "Nobody", "--incidents", "3"])
        .fails(2, "gawah admin org add");
}
