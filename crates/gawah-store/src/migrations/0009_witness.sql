-- Witnessing (C2SP tlog-witness; see `witness.rs`). Safe to run again.
--
-- Logs this instance witnesses, by origin (the log key's name), each with the latest
-- checkpoint it cosigned: `size` 0 and no root before the first. The state moves only by a
-- compare-and-set on (size, root) in one transaction, never backwards. Adding and removing a
-- log are logged changes (`log_index`, content in `record_versions`); a removed log keeps its
-- state (`active` = 0) so that adding it again cannot roll it back. Cosigning itself writes no
-- log entry.
CREATE TABLE IF NOT EXISTS witnessed_logs (
    origin     TEXT PRIMARY KEY,
    key        TEXT NOT NULL,
    size       INTEGER NOT NULL CHECK (size >= 0),
    root       BLOB CHECK (root IS NULL OR length(root) = 32),
    note       TEXT,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    log_index  INTEGER NOT NULL REFERENCES log_entries (idx),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((size = 0) OR (root IS NOT NULL AND note IS NOT NULL))
) WITHOUT ROWID;

-- Witnesses this instance asks to cosign its checkpoints, by key name: the verifier key and
-- the submission prefix (`<url>/add-checkpoint`). Logged like witnessed logs.
CREATE TABLE IF NOT EXISTS witnesses (
    name       TEXT PRIMARY KEY,
    key        TEXT NOT NULL,
    url        TEXT NOT NULL,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    log_index  INTEGER NOT NULL REFERENCES log_entries (idx),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Cosignatures received for this instance's own checkpoints, one per checkpoint and witness
-- key (the newest), verified before they are stored; bundles append them to the checkpoint.
CREATE TABLE IF NOT EXISTS checkpoint_cosignatures (
    size        INTEGER NOT NULL REFERENCES checkpoints (size),
    witness_key TEXT NOT NULL,
    line        TEXT NOT NULL,
    time        INTEGER NOT NULL CHECK (time >= 0),
    received_at INTEGER NOT NULL,
    PRIMARY KEY (size, witness_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS checkpoint_cosignatures_by_key
    ON checkpoint_cosignatures (witness_key, size);
