//! RFC 6962 §2.1 hashing and the names of complete subtrees.
//!
//! The `0x00`/`0x01` prefixes keep a leaf from ever hashing like an interior node, so
//! nobody can present two leaf entries as if they were one leaf (second-preimage defence).

use sha2::{Digest, Sha256};

/// A SHA-256 output: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// Length in bytes of every [`Hash`](type@Hash).
pub const HASH_SIZE: usize = 32;

/// Hash of a log entry: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    // Entries are small (about 120 bytes): padding them into blocks on the stack and calling
    // the compression function directly costs a third less than the streaming hasher, and
    // verification hashes every entry. Longer inputs take the streaming path.
    const SHORT: usize = 3 * 64 - 1 - 9;
    if entry.len() <= SHORT {
        let mut blocks = [[0u8; 64]; 3];
        let used = write_padded(&mut blocks, 0x00, &[entry]);
        return compress_blocks(&blocks[..used]);
    }
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// Hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // 65 bytes: always two blocks.
    let mut blocks = [[0u8; 64]; 2];
    let used = write_padded(&mut blocks, 0x01, &[left, right]);
    compress_blocks(&blocks[..used])
}

/// Writes `prefix ‖ parts…` into zeroed `blocks` with SHA-256 padding (FIPS 180-4 §5.1.1);
/// returns how many blocks it fills. The caller makes sure the message fits.
fn write_padded<const N: usize>(blocks: &mut [[u8; 64]; N], prefix: u8, parts: &[&[u8]]) -> usize {
    let flat = blocks.as_flattened_mut();
    flat[0] = prefix;
    let mut len = 1;
    for part in parts {
        flat[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    flat[len] = 0x80;
    let used = (len + 9).div_ceil(64);
    let bits = (len as u64) * 8;
    flat[used * 64 - 8..used * 64].copy_from_slice(&bits.to_be_bytes());
    used
}

/// SHA-256 of already padded blocks.
fn compress_blocks(blocks: &[[u8; 64]]) -> Hash {
    let mut state: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    sha2::block_api::compress256(&mut state, blocks);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Root of the empty tree: SHA-256 of the empty string, as RFC 6962 defines MTH({}).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete subtree: covers leaves `[index << level, (index + 1) << level)`.
///
/// Only complete subtrees are ever stored; their hashes never change once the last leaf
/// under them exists, which is what lets storage be append-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves: 0 is a leaf, 1 a pair of leaves, and so on.
    pub level: u8,
    /// Position among the subtrees of this level, counted from the left.
    pub index: u64,
}

impl NodeId {
    /// The subtree at `level` whose leftmost leaf is `index << level`.
    pub const fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// A single leaf.
    pub const fn leaf(index: u64) -> Self {
        Self { level: 0, index }
    }
}

/// The complete subtrees that make up leaves `[lo, hi)`, largest first.
///
/// Callers only pass ranges where `lo` is a multiple of a power of two at least `hi - lo`
/// (true of every range in RFC 6962's recursion), so the pieces are the set bits of
/// `hi - lo` from high to low and the range hash is their right fold, see [`fold_range`].
pub(crate) fn range_ids(lo: u64, hi: u64) -> Vec<NodeId> {
    let mut ids = Vec::new();
    let mut start = lo;
    let mut rest = hi - lo;
    while rest > 0 {
        let level = 63 - rest.leading_zeros();
        // `level` < 64 because `rest` is a u64, so the cast cannot truncate.
        ids.push(NodeId::new(level as u8, start >> level));
        start += 1 << level;
        rest -= 1 << level;
    }
    ids
}

/// Merkle tree hash of a range from the hashes of its [`range_ids`], largest first.
///
/// RFC 6962 splits an incomplete range into its largest complete left part and the rest,
/// so the rightmost pieces combine first.
pub(crate) fn fold_range(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |acc, left| node_hash(left, &acc))
}

/// Largest power of two strictly below `n` (the RFC 6962 split point); `n` must be > 1.
pub(crate) fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let hex: String = empty_root().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let leaf = leaf_hash(b"");
        let hex: String = leaf.iter().map(|b| format!("{b:02x}")).collect();
        // RFC 6962 test vector: hash of the empty leaf.
        assert_eq!(
            hex,
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_ne!(node_hash(&leaf, &leaf), leaf_hash(&[leaf, leaf].concat()));
    }

    #[test]
    fn block_hashing_matches_the_streaming_hasher_at_every_length() {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            let entry = &data[..len];
            let mut h = Sha256::new();
            h.update([0x00]);
            h.update(entry);
            let expected: Hash = h.finalize().into();
            assert_eq!(leaf_hash(entry), expected, "length {len}");
        }
        let (l, r) = (leaf_hash(b"l"), leaf_hash(b"r"));
        let mut h = Sha256::new();
        h.update([0x01]);
        h.update(l);
        h.update(r);
        let expected: Hash = h.finalize().into();
        assert_eq!(node_hash(&l, &r), expected);
    }

    #[test]
    fn split_point_is_largest_power_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn range_ids_decompose_into_powers_of_two() {
        assert_eq!(
            range_ids(0, 7),
            vec![NodeId::new(2, 0), NodeId::new(1, 2), NodeId::new(0, 6)]
        );
        assert_eq!(range_ids(8, 10), vec![NodeId::new(1, 4)]);
        assert!(range_ids(5, 5).is_empty());
    }
}
