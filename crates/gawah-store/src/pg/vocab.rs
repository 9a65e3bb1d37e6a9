//! Vocabularies on PostgreSQL: a term's version written inside the commit's transaction,
//! and the [`VocabStore`] reads. The same rows, order and refusals as on SQLite
//! (`sqlite_vocab.rs`).

use gawah_core::OrgId;
use postgres::{Client, Row};

use super::PgStore;
use super::error::from_pg;
use super::records::insert_version;
use crate::error::StoreError;
use crate::sqlite_vocab::{
    COLUMNS, VocabCols, term_conflict, term_subject, term_version, vocab_row,
};
use crate::vocab::{VocabKind, VocabStore, VocabTermRow, VocabWrite};

/// Writes version `w.version` of a term as entry `idx` at `now`: version 1 inserts it (an
/// existing key is a conflict), a later one replaces the stored version one less. The term
/// must be valid and `w.content` its canonical bytes, so the stored row, the stored version
/// and the entry's commitment always describe the same term.
pub(crate) fn write_term(
    tx: &mut Client,
    idx: i64,
    now: i64,
    w: &VocabWrite,
) -> Result<(), StoreError> {
    let t = &w.term;
    let version = term_version(w)?;
    let (org, vocab, active) = (w.org.as_str(), t.vocab.as_str(), i64::from(t.active));
    let args: [&(dyn postgres::types::ToSql + Sync); 10] = [
        &org, &vocab, &t.key, &t.en, &t.fa, &t.ps, &active, &version, &idx, &now,
    ];
    // `$8::bigint`: the WHERE clause is typed before the SET list, and `$8 - 1` alone would
    // make `$8` an int4, which an i64 cannot be sent as.
    let sql = if w.version == 1 {
        "INSERT INTO vocab_terms (org_id, vocab, key, en, fa, ps, active, version, log_index,
                                  created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (org_id, vocab, key) DO NOTHING"
    } else {
        "UPDATE vocab_terms SET en = $4, fa = $5, ps = $6, active = $7, version = $8,
             log_index = $9, updated_at = $10
         WHERE org_id = $1 AND vocab = $2 AND key = $3 AND version = $8::bigint - 1"
    };
    let changed = tx.execute(sql, &args).map_err(from_pg)?;
    if changed != 1 {
        return Err(term_conflict(w));
    }
    insert_version(tx, &term_subject(w), version, idx, &w.salt, &w.content)
}

/// A term row read into SQLite's [`VocabCols`] (a flag column is an integer here) and checked
/// by the same [`vocab_row`].
fn row(r: &Row) -> Result<VocabTermRow, StoreError> {
    let cols: VocabCols = (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get::<_, i64>(6) != 0,
        r.get(7),
        r.get(8),
        r.get(9),
        r.get(10),
    );
    vocab_row(cols)
}

impl VocabStore for PgStore {
    fn vocab_terms(&self, org: &OrgId) -> Result<Vec<VocabTermRow>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM vocab_terms WHERE org_id = $1 ORDER BY vocab, key");
        let org = org.as_str().to_owned();
        self.pool
            .read(move |c| c.query(&sql, &[&org]).map_err(from_pg))?
            .iter()
            .map(row)
            .collect()
    }

    fn vocab_term(
        &self,
        org: &OrgId,
        vocab: VocabKind,
        key: &str,
    ) -> Result<Option<VocabTermRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM vocab_terms WHERE org_id = $1 AND vocab = $2 AND key = $3"
        );
        let (org, key) = (org.as_str().to_owned(), key.to_owned());
        self.pool
            .read(move |c| {
                c.query_opt(&sql, &[&org, &vocab.as_str(), &key])
                    .map_err(from_pg)
            })?
            .as_ref()
            .map(row)
            .transpose()
    }
}
