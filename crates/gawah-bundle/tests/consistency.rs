//! A trusted checkpoint obtained earlier: same history passes, a fork fails.

mod common;

use common::*;
use gawah_bundle::*;

#[test]
fn same_checkpoint_passes() {
    let b = good();
    let report = check_with(
        &b.zip,
        &b.log.key(),
        Some(&b.log.checkpoint()),
        &Policy::default(),
    );
    assert!(report.ok, "{report}");
    assert!(
        report
            .to_string()
            .contains("the trusted checkpoint has the same size (9) and root")
    );
}

#[test]
fn older_trusted_checkpoint_with_consistency_proof_passes() {
    let b = build(Spec {
        consistency_from_early: true,
        ..Spec::default()
    });
    let old = b.log.checkpoint_at(b.early_size);
    let report = check_with(&b.zip, &b.log.key(), Some(&old), &Policy::default());
    assert!(report.ok, "{report}");
    assert!(
        report
            .to_string()
            .contains("the bundle's checkpoint (size 9) extends the trusted one (size 3)")
    );
}

#[test]
fn older_trusted_checkpoint_without_proof_fails() {
    let b = good();
    let old = b.log.checkpoint_at(3);
    let report = check_with(&b.zip, &b.log.key(), Some(&old), &Policy::default());
    assert_refused(
        &report,
        "the bundle carries no log/consistency.json proving that its checkpoint (size 9) extends the trusted one (size 3)",
    );
}

#[test]
fn older_checkpoint_of_a_different_history_fails() {
    let b = build(Spec {
        consistency_from_early: true,
        ..Spec::default()
    });
    // Same key, same size 3, but different first entries: the old tree is not a prefix.
    let mut fork = Log::new(ORIGIN, 42);
    fork.push(&[("action", "create"), ("subject", "incident_forged")]);
    fork.filler(2);
    let forged = fork.checkpoint();
    let report = check_with(&b.zip, &b.log.key(), Some(&forged), &Policy::default());
    assert_refused(
        &report,
        "log/consistency.json does not prove that size 9 extends the trusted size 3",
    );
}

#[test]
fn forked_checkpoint_of_the_same_size_fails() {
    let b = good();
    let mut fork = Log::new(ORIGIN, 42);
    for e in &b.log.entries[..8] {
        fork.entries.push(e.clone());
        fork.tree.push(e);
    }
    fork.push(&[("action", "create"), ("subject", "incident_other")]);
    assert_eq!(fork.size(), b.log.size());
    let report = check_with(
        &b.zip,
        &b.log.key(),
        Some(&fork.checkpoint()),
        &Policy::default(),
    );
    assert_refused(
        &report,
        "FORK: the trusted checkpoint and the bundle's both have size 9 but different roots",
    );
}

#[test]
fn newer_trusted_checkpoint_needs_an_external_proof() {
    let mut b = good();
    let bundle_size = b.log.size();
    b.log.filler(5);
    let newer = b.log.checkpoint();
    let report = check_with(&b.zip, &b.log.key(), Some(&newer), &Policy::default());
    assert_refused(
        &report,
        "the trusted checkpoint (size 14) is newer than the bundle's (size 9): give a consistency proof from 9 to 14",
    );
    let proof = serde_json::to_string(&b.log.consistency(bundle_size)).unwrap();
    let policy = Policy {
        newer_consistency: Some(proof),
        ..Policy::default()
    };
    let report = check_with(&b.zip, &b.log.key(), Some(&newer), &policy);
    assert!(report.ok, "{report}");
    // A proof for other sizes is refused.
    let wrong = serde_json::to_string(&b.log.consistency(bundle_size - 1)).unwrap();
    let policy = Policy {
        newer_consistency: Some(wrong),
        ..Policy::default()
    };
    assert_refused(
        &check_with(&b.zip, &b.log.key(), Some(&newer), &policy),
        "the consistency proof is from size 8 to 14",
    );
}

#[test]
fn trusted_checkpoint_by_another_key_is_an_input_error() {
    let b = good();
    let other = Log::new(ORIGIN, 9);
    let err = verify_archive(
        std::io::Cursor::new(&b.zip),
        "x",
        &b.log.key(),
        Some(&other.checkpoint_at(0)),
        &Policy::default(),
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::Trusted(_)), "{err}");
    let err = verify_archive(
        std::io::Cursor::new(&b.zip),
        "x",
        "not a key",
        None,
        &Policy::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("the key is not a verifier key"),
        "{err}"
    );
}
