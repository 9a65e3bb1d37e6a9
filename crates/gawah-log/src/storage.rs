//! The storage seam ([`HashReader`]) and an in-memory implementation ([`MemoryTree`]).

use crate::frontier::Frontier;
use crate::hash::{Hash, NodeId, leaf_hash};

/// Read access to the stored hashes of complete subtrees.
///
/// # Contract
///
/// - `read_nodes` returns the hashes of the given complete subtrees, in the same order and
///   as many as asked for. Every id asked for lies within a tree the caller knows to exist
///   (a size it has a checkpoint or a frontier for), so it must be stored.
/// - An id that is not stored is an error ([`StorageError`]), never a made-up hash: a
///   placeholder would turn a storage fault into a proof that silently fails to verify.
/// - Reads only, so implementations must be safe to call concurrently with each other and
///   with appends (stored nodes never change once written).
/// - Ids come in one batch per proof or root, so a database can answer with one query.
pub trait HashReader {
    /// Returns the hashes of `ids`, in order.
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError>;
}

impl<T: HashReader + ?Sized> HashReader for &T {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        (**self).read_nodes(ids)
    }
}

/// A storage backend failed or lacks a node it should have.
#[derive(Debug, thiserror::Error)]
#[error("log storage: {0}")]
pub struct StorageError(pub String);

/// Reads `ids` in one batch and checks the backend kept its side of the contract on count.
pub(crate) fn read_checked(
    reader: &impl HashReader,
    ids: &[NodeId],
) -> Result<Vec<Hash>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = reader.read_nodes(ids)?;
    if hashes.len() != ids.len() {
        return Err(StorageError(format!(
            "asked for {} nodes, got {}",
            ids.len(),
            hashes.len()
        )));
    }
    Ok(hashes)
}

/// An in-memory log tree: one vector of hashes per level.
///
/// For tests, benches and offline verification of an exported log. It stores exactly the
/// nodes [`Frontier::append`] reports, so it exercises the same path as a real backend.
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry (hashed as a leaf) and returns its index.
    pub fn push(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf(leaf_hash(entry))
    }

    /// Appends an already computed leaf hash and returns its index.
    pub fn push_leaf(&mut self, leaf: Hash) -> u64 {
        let index = self.frontier.size();
        for (id, hash) in self.frontier.append(leaf) {
            let level = usize::from(id.level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            // Frontier::append completes nodes left to right, so each is the next slot.
            debug_assert_eq!(self.levels[level].len() as u64, id.index);
            self.levels[level].push(hash);
        }
        index
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The right edge of the whole tree.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    fn node(&self, id: NodeId) -> Option<Hash> {
        let level = self.levels.get(usize::from(id.level))?;
        level.get(usize::try_from(id.index).ok()?).copied()
    }
}

impl HashReader for MemoryTree {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        ids.iter()
            .map(|&id| {
                self.node(id).ok_or_else(|| {
                    StorageError(format!("node {}/{} not stored", id.level, id.index))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::node_hash;

    #[test]
    fn stores_every_completed_subtree() {
        let mut tree = MemoryTree::new();
        for i in 0..5u8 {
            assert_eq!(tree.push(&[i]), u64::from(i));
        }
        let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        let pair = node_hash(&leaves[0], &leaves[1]);
        let got = tree
            .read_nodes(&[NodeId::new(1, 0), NodeId::leaf(4)])
            .unwrap();
        assert_eq!(got, vec![pair, leaves[4]]);
    }

    #[test]
    fn missing_node_is_an_error_not_a_hash() {
        let mut tree = MemoryTree::new();
        tree.push(b"a");
        assert!(tree.read_nodes(&[NodeId::new(1, 0)]).is_err());
        assert!(tree.read_nodes(&[NodeId::leaf(1)]).is_err());
        assert!(tree.read_nodes(&[NodeId::new(200, 0)]).is_err());
    }
}
