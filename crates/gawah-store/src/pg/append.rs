//! Appending to the log on PostgreSQL: one transaction per batch, serialised across every
//! connection, process and server by one advisory lock.
//!
//! Order inside the transaction, and what survives a crash (of the server or of the client
//! connection) at each step:
//! 1. `pg_advisory_xact_lock` on [`LOG_LOCK`] and this schema's `log_head`: waits for the previous appender to commit or die.
//!    The lock is released at commit, at rollback, or when the connection ends: a server
//!    that dies mid-append never blocks the others for longer than it takes PostgreSQL to
//!    notice the dead connection (keepalives; `idle_in_transaction_session_timeout`).
//! 2. The head is read from `log_head` (`FOR UPDATE`, a second guard): in READ COMMITTED
//!    this statement sees everything the previous holder committed, because a transaction
//!    is visible before its locks are released. Memory is never trusted for the head.
//! 3. The frontier is loaded from the stored tree and checked against the head's root.
//! 4. Entries, tree nodes (level 4 and up), custody events and records are inserted, the
//!    head moved. A crash before step 5 leaves none of it.
//! 5. COMMIT (by the pool, `Pool::transaction`), with `synchronous_commit = on`: when it returns, the batch is in the WAL on
//!    disk. Only then are its indexes returned, to be acknowledged. If the connection breaks
//!    during COMMIT the outcome is unknown and the caller gets an error: an acknowledged
//!    entry is never lost; an unacknowledged one may or may not be there.

use gawah_log::{Frontier, leaf_hash};
use postgres::Client;

use super::error::from_pg;
use super::items::{ItemStatements, insert_item};
use super::tree::{ClientReader, STORED_MIN_LEVEL};
use crate::error::StoreError;
use crate::sqlite::to_i64;
use crate::store::{Change, LogHead, RecordWrite};

/// The high half of the advisory lock key that serialises appends (transaction scope):
/// ASCII "glog". The low half is the object id of this schema's `log_head`, so that gawah
/// instances in different schemas of one database do not wait for each other.
pub(crate) const LOG_LOCK: i64 = 0x676c_6f67;

/// Reads the head; `for_update` also locks its row until the transaction ends.
pub(crate) fn read_head(
    c: &mut impl postgres::GenericClient,
    for_update: bool,
) -> Result<LogHead, StoreError> {
    let sql = if for_update {
        "SELECT size, root FROM log_head WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT size, root FROM log_head WHERE id = 1"
    };
    let row = c.query_one(sql, &[]).map_err(from_pg)?;
    let (size, root): (i64, &[u8]) = (row.get(0), row.get(1));
    Ok(LogHead {
        size: u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("log head size {size}")))?,
        root: root
            .try_into()
            .map_err(|_| StoreError::Corrupt("log head root is not 32 bytes".into()))?,
    })
}

/// A batch's rows, computed before anything is sent, so that each table gets one statement.
#[derive(Default)]
struct Rows {
    entry_idx: Vec<i64>,
    entry_data: Vec<Vec<u8>>,
    node_level: Vec<i64>,
    node_idx: Vec<i64>,
    node_hash: Vec<Vec<u8>>,
    subject: Vec<String>,
    action: Vec<String>,
    actor: Vec<String>,
    time: Vec<i64>,
}

impl Rows {
    fn add(&mut self, frontier: &mut Frontier, change: &Change) -> Result<(), StoreError> {
        let bytes = change
            .entry
            .to_bytes()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.entry_idx.push(to_i64(frontier.size())?);
        frontier.append_with(leaf_hash(&bytes), |id, hash| {
            if id.level >= STORED_MIN_LEVEL {
                self.node_level.push(i64::from(id.level));
                // Node indexes are below the entry index, which fits an i64.
                self.node_idx.push(id.index as i64);
                self.node_hash.push(hash.to_vec());
            }
        });
        self.entry_data.push(bytes);
        let e = &change.entry;
        self.subject.push(e.subject.clone());
        self.action.push(e.action.as_str().to_owned());
        self.actor.push(e.actor.clone());
        self.time.push(e.time.millis());
        Ok(())
    }

    fn insert(&self, tx: &mut Client) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO log_entries (idx, data)
             SELECT * FROM unnest($1::bigint[], $2::bytea[])",
            &[&self.entry_idx, &self.entry_data],
        )
        .map_err(from_pg)?;
        if !self.node_level.is_empty() {
            tx.execute(
                "INSERT INTO log_nodes (level, idx, hash)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])",
                &[&self.node_level, &self.node_idx, &self.node_hash],
            )
            .map_err(from_pg)?;
        }
        tx.execute(
            "INSERT INTO custody_events (log_index, subject, action, actor, time)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],
                                  $5::bigint[])",
            &[
                &self.entry_idx,
                &self.subject,
                &self.action,
                &self.actor,
                &self.time,
            ],
        )
        .map_err(from_pg)?;
        Ok(())
    }
}

/// Appends `changes` inside the caller's transaction (see the module doc), which the caller
/// commits; returns their indexes.
pub(crate) fn append_in(tx: &mut Client, changes: &[Change]) -> Result<Vec<u64>, StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(($1::bigint << 32) | 'log_head'::regclass::oid::bigint)",
        &[&LOG_LOCK],
    )
    .map_err(from_pg)?;
    let head = read_head(tx, true)?;
    let mut frontier = {
        let reader = ClientReader::new(tx);
        Frontier::load(head.size, &reader).map_err(|e| reader.error_or(e.into()))?
    };
    if frontier.root() != head.root {
        return Err(StoreError::Inconsistent(
            "head root differs from the stored tree".into(),
        ));
    }
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let first = frontier.size();
    let mut rows = Rows::default();
    for change in changes {
        rows.add(&mut frontier, change)?;
    }
    rows.insert(tx)?;
    write_records(tx, first, changes)?;
    tx.execute(
        "UPDATE log_head SET size = $1, root = $2 WHERE id = 1",
        &[&to_i64(frontier.size())?, &&frontier.root()[..]],
    )
    .map_err(from_pg)?;
    Ok((first..first + changes.len() as u64).collect())
}

/// The record each change writes, after the entries it refers to exist.
fn write_records(tx: &mut Client, first: u64, changes: &[Change]) -> Result<(), StoreError> {
    let mut item_stmts = None;
    for (i, change) in changes.iter().enumerate() {
        let idx = to_i64(first + i as u64)?;
        let now = change.entry.time.millis();
        match &change.record {
            RecordWrite::None => {}
            RecordWrite::Item(item) => {
                let stmts = match &item_stmts {
                    Some(s) => s,
                    None => item_stmts.insert(ItemStatements::prepare(tx)?),
                };
                insert_item(tx, stmts, item, change.entry.time.millis(), idx)?;
            }
            RecordWrite::OrgKey(k) => super::keys::write_org_key(tx, k, now)?,
            RecordWrite::RotateKey(r) => super::keys::write_rotation(tx, r, now)?,
            RecordWrite::Rekey { ring, keys } => super::keys::write_rekey(tx, ring, keys)?,
            RecordWrite::Witness(w) => super::witness::write_witness(tx, idx, now, w)?,
            RecordWrite::Vocab(v) => super::vocab::write_term(tx, idx, now, v)?,
            RecordWrite::IncidentLink(l) => super::analysis::write_link(tx, idx, now, l)?,
            RecordWrite::IntakeKey(k) => super::intake::write_intake_key(tx, now, k)?,
            RecordWrite::Submission(s) => super::intake::write_submission(tx, idx, s)?,
            RecordWrite::SubmissionPart(p) => super::intake::write_part(tx, idx, p)?,
            RecordWrite::SubmissionStatus(s) => super::intake::write_status(tx, s)?,
            RecordWrite::Org { id, name } => super::records::write_org(tx, now, id, name)?,
            RecordWrite::Member(m) => super::records::write_member(tx, now, m)?,
            RecordWrite::ApiToken { member, token_hash } => {
                super::records::write_api_token(tx, now, member, token_hash)?
            }
            RecordWrite::RevokeApiToken { member, token_hash } => {
                super::records::revoke_api_token(tx, member, token_hash)?
            }
            RecordWrite::Edict(e) => super::records::write_edict(tx, e)?,
            RecordWrite::Endorsement { org } => super::records::write_endorsement(tx, now, org)?,
            RecordWrite::Incident(w) => super::incidents::write_incident(tx, idx, now, w)?,
            RecordWrite::Evidence(e) => super::uploads::write_evidence(tx, idx, now, e)?,
            RecordWrite::Derivative(d) => super::derivatives::write_derivative(tx, idx, now, d)?,
            RecordWrite::Person(p) => super::people::write_person(tx, idx, now, p)?,
            RecordWrite::Testimony(t) => super::people::write_testimony(tx, idx, now, t)?,
            RecordWrite::Act(a) => super::people::write_act(tx, idx, a)?,
            RecordWrite::ErasureRequest(r) => super::people::write_erasure_request(tx, idx, r)?,
            RecordWrite::ErasureApprove(a) => super::people::write_erasure_approve(tx, idx, a)?,
        }
    }
    Ok(())
}
