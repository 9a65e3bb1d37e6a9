-- The evidence ledger: the transparency log, its checkpoints, evidence items and custody events.

-- The log head: one row, moved in the same transaction as every append.
CREATE TABLE log_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32)
);
-- SHA-256 of the empty string: the RFC 6962 root of an empty tree.
INSERT INTO log_head (id, size, root)
VALUES (1, 0, X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

-- Raw entry bytes, index from 0, no gaps.
CREATE TABLE log_entries (
    idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
    data BLOB NOT NULL CHECK (length(data) <= 65535)
);

-- Every complete subtree hash: level 0 holds leaf hashes; (level, idx) covers
-- leaves [idx << level, (idx + 1) << level).
CREATE TABLE log_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Signed checkpoints; never two for one size.
CREATE TABLE checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL
);

-- Custody events: the log indexed by subject.
CREATE TABLE custody_events (
    log_index INTEGER PRIMARY KEY REFERENCES log_entries (idx),
    subject   TEXT NOT NULL,
    action    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    time      INTEGER NOT NULL
);
CREATE INDEX custody_events_subject ON custody_events (subject, log_index);

-- Evidence items: original files, by SHA-256, with the salt of their commitment.
CREATE TABLE items (
    id         TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
    bytes      INTEGER NOT NULL CHECK (bytes >= 0),
    salt       BLOB NOT NULL CHECK (length(salt) = 32),
    case_ref   TEXT,
    file_name  TEXT,
    created_at INTEGER NOT NULL,
    log_index  INTEGER NOT NULL UNIQUE REFERENCES log_entries (idx)
);
CREATE INDEX items_case ON items (case_ref);
CREATE INDEX items_sha256 ON items (sha256);
