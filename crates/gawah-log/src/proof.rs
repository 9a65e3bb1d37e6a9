//! Making RFC 6962 inclusion and consistency proofs from stored nodes.
//!
//! Each proof element is the Merkle tree hash of a range of leaves. The ranges are worked
//! out first from the sizes alone, then every complete subtree they need is read in one
//! batch, and each range hash is folded from its pieces. So a proof costs O(log n) node
//! reads and a single round trip to storage.

use crate::hash::{Hash, NodeId, fold_range, range_ids, split_point};
use crate::storage::{HashReader, StorageError, read_checked};

/// Why a proof could not be made or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index asked about.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has {got} hashes, expected {expected}")]
    WrongProofSize {
        /// Hashes the sizes call for.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The proof does not lead to the expected root.
    #[error("computed root does not match")]
    RootMismatch,
    /// A hash given as bytes is not 32 bytes long.
    #[error("hash is {got} bytes, expected 32")]
    BadHashLength {
        /// Length of the bad hash.
        got: usize,
    },
    /// Consistency with the empty tree proves nothing, so it is refused.
    #[error("consistency from the empty tree is meaningless")]
    EmptyTreeConsistency,
    /// The second tree is smaller than the first.
    #[error("tree size decreases from {from} to {to}")]
    SizesDecrease {
        /// The older size.
        from: u64,
        /// The newer size.
        to: u64,
    },
    /// Storage could not supply a node.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Leaf ranges whose hashes form the audit path of `index` in a tree of `size`, in proof
/// order (nearest the leaf first). `index < size` is the caller's check.
pub(crate) fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut siblings = Vec::new();
    let (mut lo, mut hi) = (0, size);
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            siblings.push((mid, hi));
            hi = mid;
        } else {
            siblings.push((lo, mid));
            lo = mid;
        }
    }
    siblings.reverse();
    siblings
}

/// Leaf ranges whose hashes form the RFC 6962 §2.1.2 consistency proof from `from` to `to`,
/// in proof order. `0 < from <= to` is the caller's check.
pub(crate) fn consistency_ranges(from: u64, to: u64) -> Vec<(u64, u64)> {
    let mut parts = Vec::new();
    let (mut lo, mut hi, mut old) = (0, to, from);
    // Whether the old tree is still a whole subtree on the path (RFC 6962's flag `b`).
    let mut old_is_subtree = true;
    while old != hi - lo {
        let mid = lo + split_point(hi - lo);
        if lo + old <= mid {
            parts.push((mid, hi));
            hi = mid;
        } else {
            parts.push((lo, mid));
            old -= mid - lo;
            lo = mid;
            old_is_subtree = false;
        }
    }
    if !old_is_subtree {
        parts.push((lo, hi));
    }
    parts.reverse();
    parts
}

/// Reads all the nodes `ranges` need in one batch and folds each range into its hash.
fn range_hashes(ranges: &[(u64, u64)], reader: &impl HashReader) -> Result<Vec<Hash>, ProofError> {
    let pieces: Vec<Vec<NodeId>> = ranges.iter().map(|&(lo, hi)| range_ids(lo, hi)).collect();
    let ids: Vec<NodeId> = pieces.iter().flatten().copied().collect();
    let hashes = read_checked(reader, &ids)?;
    let mut rest = hashes.as_slice();
    let folded = pieces
        .iter()
        .map(|piece| {
            let (mine, tail) = rest.split_at(piece.len());
            rest = tail;
            fold_range(mine)
        })
        .collect();
    Ok(folded)
}

/// RFC 6962 §2.1.1 audit path for leaf `index` in the tree of `size`: O(log n) reads, one
/// batch.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    reader: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    range_hashes(&inclusion_ranges(index, size), reader)
}

/// RFC 6962 §2.1.2 consistency proof from `from` to `to` (0 < from <= to): O(log n) reads,
/// one batch.
pub fn consistency_proof(
    from: u64,
    to: u64,
    reader: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    check_sizes(from, to)?;
    range_hashes(&consistency_ranges(from, to), reader)
}

/// The size rules shared by making and verifying consistency proofs.
pub(crate) fn check_sizes(from: u64, to: u64) -> Result<(), ProofError> {
    if from == 0 {
        return Err(ProofError::EmptyTreeConsistency);
    }
    if from > to {
        return Err(ProofError::SizesDecrease { from, to });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_ranges_match_rfc_example() {
        // RFC 6962 §2.1.3: the path for d0 in a tree of 7 leaves is [b, h, l].
        assert_eq!(inclusion_ranges(0, 7), vec![(1, 2), (2, 4), (4, 7)]);
        // ... and for d3 it is [c, g, l].
        assert_eq!(inclusion_ranges(3, 7), vec![(2, 3), (0, 2), (4, 7)]);
        assert!(inclusion_ranges(0, 1).is_empty());
    }

    #[test]
    fn consistency_ranges_match_rfc_example() {
        // RFC 6962 §2.1.3: 3 -> 7 is [c, d, g, l]; 4 -> 7 is [l]; 6 -> 7 is [i, j, g].
        assert_eq!(
            consistency_ranges(3, 7),
            vec![(2, 3), (3, 4), (0, 2), (4, 7)]
        );
        assert_eq!(consistency_ranges(4, 7), vec![(4, 7)]);
        assert_eq!(consistency_ranges(6, 7), vec![(4, 6), (6, 7), (0, 4)]);
        assert!(consistency_ranges(5, 5).is_empty());
    }

    #[test]
    fn size_rules() {
        assert!(matches!(
            check_sizes(0, 3),
            Err(ProofError::EmptyTreeConsistency)
        ));
        assert!(matches!(
            check_sizes(4, 3),
            Err(ProofError::SizesDecrease { from: 4, to: 3 })
        ));
        assert!(check_sizes(3, 3).is_ok());
    }
}
