-- An organisation's editable vocabularies (see `vocab.rs`): perpetrator institutions, and
-- label overrides of the fixed vocabularies (violation types, verification statuses). One row
-- per term, holding its current version; every version's content and salt are in
-- `record_versions` under the subject `vocab:<org>:<vocab>:<key>`, and every change is a log
-- entry. A label is NULL where none is given (for a fixed vocabulary: the interface's own
-- message is shown). Terms are retired (`active` = 0), never deleted: old incidents keep
-- naming them. `vocab` is checked by the code, not here, so that a new vocabulary needs no
-- table rebuild. Safe to run again.
CREATE TABLE IF NOT EXISTS vocab_terms (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    vocab      TEXT NOT NULL,
    key        TEXT NOT NULL,
    en         TEXT,
    fa         TEXT,
    ps         TEXT,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    version    INTEGER NOT NULL CHECK (version >= 1),
    log_index  INTEGER NOT NULL REFERENCES log_entries (idx),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, vocab, key)
) WITHOUT ROWID;
