//! Checking RFC 6962 proofs, following the iterative algorithms of RFC 9162 §2.1.3.2 and
//! §2.1.4.2.
//!
//! The expected proof length is checked first, from the sizes alone, so a proof that is too
//! short or too long is reported as such rather than as a root mismatch, and the loops below
//! never run out of proof or tree.

use crate::hash::{Hash, node_hash};
use crate::proof::{ProofError, check_sizes, consistency_ranges, inclusion_ranges};

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    expect_len(inclusion_ranges(index, size).len(), proof.len())?;
    let computed = root_from_inclusion(index, size, leaf, proof);
    same_root(&computed, root)
}

/// Checks that the tree of `to` leaves with root `root_to` extends the tree of `from`
/// leaves with root `root_from`. Sizes must satisfy `0 < from <= to`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    root_from: &Hash,
    root_to: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    check_sizes(from, to)?;
    if from == to {
        expect_len(0, proof.len())?;
        return same_root(root_from, root_to);
    }
    expect_len(consistency_ranges(from, to).len(), proof.len())?;
    let (old, new) = roots_from_consistency(from, to, root_from, proof);
    same_root(&old, root_from)?;
    same_root(&new, root_to)
}

/// [`verify_inclusion`] over byte slices, for inputs (such as test vectors or decoded
/// JSON) whose hashes may have the wrong length: that is an error, not a panic.
pub fn verify_inclusion_bytes(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), ProofError> {
    let proof = to_hashes(proof)?;
    verify_inclusion(index, size, &to_hash(leaf)?, &proof, &to_hash(root)?)
}

/// [`verify_consistency`] over byte slices. When the sizes are equal the roots are only
/// compared, whatever their length, as the RFC 6962 test vectors expect.
pub fn verify_consistency_bytes(
    from: u64,
    to: u64,
    root_from: &[u8],
    root_to: &[u8],
    proof: &[Vec<u8>],
) -> Result<(), ProofError> {
    check_sizes(from, to)?;
    if from == to {
        expect_len(0, proof.len())?;
        return if root_from == root_to {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let proof = to_hashes(proof)?;
    verify_consistency(from, to, &to_hash(root_from)?, &to_hash(root_to)?, &proof)
}

fn to_hash(bytes: &[u8]) -> Result<Hash, ProofError> {
    Hash::try_from(bytes).map_err(|_| ProofError::BadHashLength { got: bytes.len() })
}

fn to_hashes(proof: &[Vec<u8>]) -> Result<Vec<Hash>, ProofError> {
    proof.iter().map(|h| to_hash(h)).collect()
}

fn expect_len(expected: usize, got: usize) -> Result<(), ProofError> {
    if expected == got {
        Ok(())
    } else {
        Err(ProofError::WrongProofSize { expected, got })
    }
}

fn same_root(computed: &Hash, expected: &Hash) -> Result<(), ProofError> {
    if computed == expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Shifts `node` and `last` right until `node` is odd or zero: climbs past the levels where
/// the path's node is a left child with no right sibling in this tree.
fn skip_lonely_levels(node: &mut u64, last: &mut u64) {
    while *node & 1 == 0 && *node != 0 {
        *node >>= 1;
        *last >>= 1;
    }
}

/// The root that `proof` leads to from `leaf`; the proof length is already checked.
fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> Hash {
    let (mut node, mut last) = (index, size - 1);
    let mut hash = *leaf;
    for sibling in proof {
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            skip_lonely_levels(&mut node, &mut last);
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    hash
}

/// The old and new roots that `proof` leads to; sizes and length are already checked.
///
/// When the old tree is a complete subtree its root is the proof's implicit first element.
fn roots_from_consistency(from: u64, to: u64, root_from: &Hash, proof: &[Hash]) -> (Hash, Hash) {
    let (start, rest) = match proof.split_first() {
        Some((first, rest)) if !from.is_power_of_two() => (*first, rest),
        _ => (*root_from, proof),
    };
    let (mut node, mut last) = (from - 1, to - 1);
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let (mut old, mut new) = (start, start);
    for hash in rest {
        if node & 1 == 1 || node == last {
            old = node_hash(hash, &old);
            new = node_hash(hash, &new);
            skip_lonely_levels(&mut node, &mut last);
        } else {
            new = node_hash(&new, hash);
        }
        node >>= 1;
        last >>= 1;
    }
    (old, new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn single_leaf_tree_needs_no_proof() {
        let leaf = leaf_hash(b"x");
        assert!(verify_inclusion(0, 1, &leaf, &[], &leaf).is_ok());
        assert!(matches!(
            verify_inclusion(0, 1, &leaf, &[leaf], &leaf),
            Err(ProofError::WrongProofSize {
                expected: 0,
                got: 1
            })
        ));
    }

    #[test]
    fn two_leaves() {
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let root = node_hash(&a, &b);
        assert!(verify_inclusion(0, 2, &a, &[b], &root).is_ok());
        assert!(verify_inclusion(1, 2, &b, &[a], &root).is_ok());
        assert!(verify_inclusion(1, 2, &a, &[b], &root).is_err());
        assert!(verify_consistency(1, 2, &a, &root, &[b]).is_ok());
        assert!(verify_consistency(1, 2, &b, &root, &[a]).is_err());
    }

    #[test]
    fn bad_lengths_are_errors() {
        let short = vec![0u8; 31];
        assert!(matches!(
            verify_inclusion_bytes(0, 1, &short, &[], &short),
            Err(ProofError::BadHashLength { got: 31 })
        ));
        assert!(verify_consistency_bytes(2, 2, b"abc", b"abc", &[]).is_ok());
        assert!(verify_consistency_bytes(2, 2, b"abc", b"abd", &[]).is_err());
    }
}
