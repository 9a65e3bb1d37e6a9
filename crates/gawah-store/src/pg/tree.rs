//! Reading the stored Merkle tree from PostgreSQL: subtree hashes at level 4 and above from
//! `log_nodes`, lower ones hashed from the entries they cover (as on SQLite, see
//! `STORED_MIN_LEVEL`). At most two round trips per batch of ids, whatever its length.

use std::cell::RefCell;
use std::collections::HashMap;

use gawah_log::{Frontier, Hash, HashReader, NodeId, StorageError, leaf_hash};
use postgres::GenericClient;

use super::error::from_pg;
use crate::error::StoreError;

/// Tree levels below this are not stored; the same layout as SQLite's since its migration
/// 0005 (a CHECK in the PostgreSQL schema keeps lower rows out).
pub(crate) const STORED_MIN_LEVEL: u8 = 4;

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("index {v} is out of range")))
}

/// The hashes of `ids`, in order; a missing node or entry is an error, never a made-up hash.
pub(crate) fn read_nodes_on(
    c: &mut impl GenericClient,
    ids: &[NodeId],
) -> Result<Vec<Hash>, StoreError> {
    let (low, high): (Vec<NodeId>, Vec<NodeId>) =
        ids.iter().partition(|id| id.level < STORED_MIN_LEVEL);
    let stored = stored_nodes(c, &high)?;
    let computed = low_nodes(c, &low)?;
    ids.iter()
        .map(|id| {
            let found = if id.level < STORED_MIN_LEVEL {
                computed.get(id)
            } else {
                stored.get(id)
            };
            found
                .copied()
                .ok_or_else(|| StoreError::Inconsistent(format!("missing tree node {id:?}")))
        })
        .collect()
}

fn stored_nodes(
    c: &mut impl GenericClient,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let levels: Vec<i64> = ids.iter().map(|id| i64::from(id.level)).collect();
    let indexes = ids
        .iter()
        .map(|id| to_i64(id.index))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = c
        .query(
            "SELECT n.level, n.idx, n.hash FROM log_nodes n
             JOIN unnest($1::bigint[], $2::bigint[]) AS w(level, idx)
               ON n.level = w.level AND n.idx = w.idx",
            &[&levels, &indexes],
        )
        .map_err(from_pg)?;
    rows.iter()
        .map(|r| {
            let (level, idx, hash): (i64, i64, &[u8]) = (r.get(0), r.get(1), r.get(2));
            let id = NodeId::new(
                u8::try_from(level).map_err(|_| bad_node(level, idx))?,
                u64::try_from(idx).map_err(|_| bad_node(level, idx))?,
            );
            let hash: Hash = hash.try_into().map_err(|_| bad_node(level, idx))?;
            Ok((id, hash))
        })
        .collect()
}

fn bad_node(level: i64, idx: i64) -> StoreError {
    StoreError::Corrupt(format!("tree node ({level}, {idx})"))
}

/// Subtrees below [`STORED_MIN_LEVEL`], each hashed from the (at most 8) entries under it,
/// all fetched in one query. A node over a missing entry is left out (and so reported).
fn low_nodes(
    c: &mut impl GenericClient,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let bounds = |id: &NodeId| (id.index << id.level, (id.index + 1) << id.level);
    let mut los = Vec::with_capacity(ids.len());
    let mut his = Vec::with_capacity(ids.len());
    for id in ids {
        let (lo, hi) = bounds(id);
        los.push(to_i64(lo)?);
        his.push(to_i64(hi)?);
    }
    let rows = c
        .query(
            "SELECT DISTINCT e.idx, e.data FROM log_entries e
             JOIN unnest($1::bigint[], $2::bigint[]) AS w(lo, hi)
               ON e.idx >= w.lo AND e.idx < w.hi
             ORDER BY e.idx",
            &[&los, &his],
        )
        .map_err(from_pg)?;
    let leaves: HashMap<u64, Hash> = rows
        .iter()
        .map(|r| {
            let idx: i64 = r.get(0);
            let data: &[u8] = r.get(1);
            (idx as u64, leaf_hash(data))
        })
        .collect();
    let mut out = HashMap::new();
    for id in ids {
        let (lo, hi) = bounds(id);
        let mut subtree = Frontier::empty();
        for i in lo..hi {
            match leaves.get(&i) {
                Some(leaf) => subtree.append_with(*leaf, |_, _| {}),
                None => break,
            }
        }
        if subtree.size() == hi - lo {
            out.insert(*id, subtree.root());
        }
    }
    Ok(out)
}

/// A [`HashReader`] over one connection or transaction, that keeps the first database error
/// as it was, so that a lost connection stays retryable instead of reading as a broken tree.
pub(crate) struct ClientReader<'a, C: GenericClient> {
    client: RefCell<&'a mut C>,
    error: RefCell<Option<StoreError>>,
}

impl<'a, C: GenericClient> ClientReader<'a, C> {
    pub(crate) fn new(client: &'a mut C) -> Self {
        Self {
            client: RefCell::new(client),
            error: RefCell::new(None),
        }
    }

    /// The database error behind a failed read, if one was kept; else `other`.
    pub(crate) fn error_or(&self, other: StoreError) -> StoreError {
        self.error.borrow_mut().take().unwrap_or(other)
    }
}

impl<C: GenericClient> HashReader for ClientReader<'_, C> {
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        let mut client = self.client.borrow_mut();
        read_nodes_on(*client, ids).map_err(|e| {
            let text = e.to_string();
            if !matches!(e, StoreError::Inconsistent(_)) {
                self.error.borrow_mut().get_or_insert(e);
            }
            StorageError(text)
        })
    }
}
