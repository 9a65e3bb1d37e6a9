//! The right edge of the tree, which is all a sequencer needs to append and sign.

use crate::hash::{Hash, NodeId, fold_range, node_hash, range_ids};
use crate::proof::ProofError;
use crate::storage::{HashReader, read_checked};

/// The right edge of the tree: roots of the maximal complete subtrees (largest first),
/// enough to append and compute the root without reading anything else.
///
/// A tree of `size` leaves has one such subtree per set bit of `size`, so the frontier
/// holds at most 64 hashes and can be kept in memory or reloaded in one read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Which complete subtrees make the frontier of a tree of `size` leaves, largest first.
    pub fn ids(size: u64) -> Vec<NodeId> {
        range_ids(0, size)
    }

    /// Loads the frontier of a tree of `size` leaves from stored nodes: one batch of at most
    /// 64 reads.
    pub fn load(size: u64, reader: &impl HashReader) -> Result<Self, ProofError> {
        let hashes = read_checked(reader, &Self::ids(size))?;
        Ok(Self { size, hashes })
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, largest first, in the order of [`Frontier::ids`].
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Root of the tree; [`crate::empty_root`] for the empty tree.
    pub fn root(&self) -> Hash {
        fold_range(&self.hashes)
    }

    /// Appends one leaf hash; returns every complete subtree it completes (the leaf itself
    /// at level 0 first, then parents), each to be stored by the caller.
    ///
    /// Each append merges as many subtrees as `size` has trailing one bits, which averages
    /// under one hash per leaf.
    ///
    /// # Panics
    ///
    /// If the tree already holds `u64::MAX` leaves, which no real log reaches.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let mut completed = Vec::with_capacity(2);
        self.append_with(leaf, |id, hash| completed.push((id, *hash)));
        completed
    }

    /// [`append`](Frontier::append) without allocating: calls `completed` with each subtree
    /// the leaf completes, in the same order (the leaf itself first).
    ///
    /// # Panics
    ///
    /// As [`append`](Frontier::append).
    pub fn append_with(&mut self, leaf: Hash, mut completed: impl FnMut(NodeId, &Hash)) {
        let new_size = self
            .size
            .checked_add(1)
            .unwrap_or_else(|| panic!("log size overflows u64"));
        let mut id = NodeId::leaf(self.size);
        let mut hash = leaf;
        completed(id, &hash);
        while (self.size >> id.level) & 1 == 1 {
            // A set bit at this level means the frontier ends with a subtree of this level.
            let Some(left) = self.hashes.pop() else {
                unreachable!("frontier has one hash per set bit of its size");
            };
            hash = node_hash(&left, &hash);
            id = NodeId::new(id.level + 1, id.index >> 1);
            completed(id, &hash);
        }
        self.hashes.push(hash);
        self.size = new_size;
    }
}

/// Root of the tree of `size` leaves from stored nodes: O(log n) reads in one batch.
pub fn tree_root(size: u64, reader: &impl HashReader) -> Result<Hash, ProofError> {
    Ok(Frontier::load(size, reader)?.root())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{empty_root, leaf_hash};

    #[test]
    fn empty_frontier_has_empty_root() {
        assert_eq!(Frontier::empty().root(), empty_root());
        assert!(Frontier::ids(0).is_empty());
    }

    #[test]
    fn append_reports_completed_subtrees_leaf_first() {
        let mut frontier = Frontier::empty();
        let leaves: Vec<Hash> = (0..4u8).map(|i| leaf_hash(&[i])).collect();
        frontier.append(leaves[0]);
        frontier.append(leaves[1]);
        frontier.append(leaves[2]);
        let done = frontier.append(leaves[3]);
        let ids: Vec<NodeId> = done.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids,
            vec![NodeId::leaf(3), NodeId::new(1, 1), NodeId::new(2, 0)]
        );
        let left = node_hash(&leaves[0], &leaves[1]);
        let right = node_hash(&leaves[2], &leaves[3]);
        assert_eq!(done[2].1, node_hash(&left, &right));
        assert_eq!(frontier.root(), node_hash(&left, &right));
        assert_eq!(frontier.hashes().len(), 1);
    }

    #[test]
    fn ids_follow_set_bits_of_size() {
        assert_eq!(
            Frontier::ids(13),
            vec![NodeId::new(3, 0), NodeId::new(2, 2), NodeId::leaf(12)]
        );
    }
}
