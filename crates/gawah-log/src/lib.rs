//! The transparency log beneath gawah: an RFC 6962 Merkle tree over SHA-256, its proofs,
//! and the C2SP formats that let any tlog client read and audit it.
//!
//! # Layout
//!
//! - `hash`: leaf and node hashing, and [`NodeId`], the name of a complete subtree.
//! - `storage`: the [`HashReader`] seam and [`MemoryTree`], an in-memory implementation.
//! - `frontier`: [`Frontier`], the right edge of the tree, enough to append and to compute
//!   the root; [`tree_root`].
//! - `proof` and `verify`: making inclusion and consistency proofs from stored nodes, and
//!   checking them (RFC 6962 §2.1, RFC 9162 §2.1.3–2.1.4).
//! - `note`: C2SP signed notes with Ed25519; `checkpoint`: C2SP checkpoints signed as notes.
//! - `cosignature`: C2SP tlog-cosignature (`cosignature/v1`): witnesses' timestamped
//!   signatures over checkpoints, and their verifier keys.
//! - `tiles`: C2SP tlog-tiles paths and which stored nodes each tile holds.
//!
//! # Storage contract
//!
//! This crate stores nothing itself. A log keeps only the hashes of *complete* subtrees,
//! each written once and never changed: [`Frontier::append`] returns exactly the nodes a new
//! leaf completes, and the caller persists them before publishing a checkpoint that covers
//! that leaf. Roots and proofs for any published size are then computed from those nodes
//! through [`HashReader`], in one batch of O(log n) reads. A missing node is an error, never
//! guessed.
//!
//! Invariant: every root and proof is derived from the stored complete subtrees, so a log
//! can always be re-verified from its nodes alone.

mod checkpoint;
mod cosignature;
mod frontier;
mod hash;
mod note;
mod proof;
mod storage;
mod tiles;
mod verify;

pub use checkpoint::{Checkpoint, open_checkpoint};
pub use cosignature::{
    COSIGNATURE_ALG, CosignatureCheck, CosignatureError, CosignatureVerifier, Cosigner,
    MAX_COSIGNATURE_TIME, cosigned_message, parse_signature_lines,
};
pub use frontier::{Frontier, tree_root};
pub use hash::{HASH_SIZE, Hash, NodeId, empty_root, leaf_hash, node_hash};
pub use note::{
    MAX_NOTE_BYTES, MAX_SIGNATURES, Note, NoteError, NoteSignature, NoteSigner, NoteVerifier,
    open_note,
};
pub use proof::{ProofError, consistency_proof, inclusion_proof};
pub use storage::{HashReader, MemoryTree, StorageError};
pub use tiles::{
    MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, TileError, TileKind, TileRef, entries_tile_path,
    parse_tile_path, tile_node_ids, tile_path,
};
pub use verify::{
    verify_consistency, verify_consistency_bytes, verify_inclusion, verify_inclusion_bytes,
};
