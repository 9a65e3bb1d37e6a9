-- The whole schema of SQLite migrations 0001 to 0010, in PostgreSQL terms, as one migration
-- (PostgreSQL schema version 1 = SQLite user_version 10). Later changes are added to both
-- backends as their own migrations. The same tables, columns, constraints and indexes; only
-- the spelling differs:
-- - BLOB is BYTEA, INTEGER is BIGINT (so every integer column reads as an i64, as on SQLite);
--   flags stay 0/1 integers with their CHECKs.
-- - Every TEXT column is COLLATE "C": SQLite compares text byte by byte, and so must every
--   ORDER BY, every index and CHECK (a < b) here, whatever the database's own collation.
-- - WITHOUT ROWID tables are plain tables with the same primary key.
-- - The incident count triggers (0006) are PL/pgSQL functions; `IS NOT` is `IS DISTINCT FROM`.
-- - log_nodes holds only levels >= 4 (0005); here a CHECK states it.
-- Runs inside one transaction under an advisory lock (see `migrate.rs`).

-- 0001: the ledger.
CREATE TABLE log_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL CHECK (size >= 0),
    root BYTEA NOT NULL CHECK (length(root) = 32)
);
-- SHA-256 of the empty string: the RFC 6962 root of an empty tree.
INSERT INTO log_head (id, size, root)
VALUES (1, 0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

CREATE TABLE log_entries (
    idx  BIGINT PRIMARY KEY CHECK (idx >= 0),
    data BYTEA NOT NULL CHECK (length(data) <= 65535)
);

CREATE TABLE log_nodes (
    level BIGINT NOT NULL CHECK (level >= 4 AND level < 64),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL CHECK (length(root) = 32),
    note TEXT COLLATE "C" NOT NULL
);

CREATE TABLE custody_events (
    log_index BIGINT PRIMARY KEY REFERENCES log_entries (idx),
    subject   TEXT COLLATE "C" NOT NULL,
    action    TEXT COLLATE "C" NOT NULL,
    actor     TEXT COLLATE "C" NOT NULL,
    time      BIGINT NOT NULL
);
CREATE INDEX custody_events_subject ON custody_events (subject, log_index);
CREATE INDEX custody_events_actor ON custody_events (actor, log_index);

-- Items as rebuilt by 0004.
CREATE TABLE items (
    id          TEXT COLLATE "C" PRIMARY KEY,
    sha256      TEXT COLLATE "C" CHECK (sha256 IS NULL OR length(sha256) = 64),
    bytes       BIGINT NOT NULL CHECK (bytes >= 0),
    salt        BYTEA CHECK (salt IS NULL OR length(salt) = 32),
    case_ref    TEXT COLLATE "C",
    file_name   TEXT COLLATE "C",
    created_at  BIGINT NOT NULL,
    log_index   BIGINT NOT NULL UNIQUE REFERENCES log_entries (idx),
    blob_sha256 TEXT COLLATE "C" NOT NULL CHECK (length(blob_sha256) = 64),
    sealed      BYTEA,
    CHECK ((sha256 IS NULL) = (salt IS NULL)),
    CHECK (sha256 IS NOT NULL OR sealed IS NOT NULL)
);
CREATE INDEX items_case ON items (case_ref);
CREATE INDEX items_sha256 ON items (sha256);

-- 0002: the case database.
CREATE TABLE orgs (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE members (
    id            TEXT COLLATE "C" PRIMARY KEY,
    org_id        TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    role          TEXT COLLATE "C" NOT NULL
                  CHECK (role IN ('admin', 'documenter', 'analyst', 'legal', 'viewer')),
    password_hash TEXT COLLATE "C" NOT NULL,
    totp_secret   BYTEA,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash  BYTEA PRIMARY KEY,
    member_id   TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    csrf        TEXT COLLATE "C" NOT NULL,
    mfa_pending BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash BYTEA PRIMARY KEY,
    member_id  TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE edicts (
    id      TEXT COLLATE "C" PRIMARY KEY,
    date    TEXT COLLATE "C" NOT NULL,
    domain  TEXT COLLATE "C" NOT NULL,
    content TEXT COLLATE "C" NOT NULL
);
CREATE INDEX edicts_date ON edicts (date);

CREATE TABLE incidents (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    org_id              TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    ref                 TEXT COLLATE "C",
    title               TEXT COLLATE "C" NOT NULL,
    date                TEXT COLLATE "C" NOT NULL,
    province            TEXT COLLATE "C" NOT NULL,
    verification_status TEXT COLLATE "C" NOT NULL,
    content             TEXT COLLATE "C" NOT NULL,
    version             BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    sealed              BYTEA
);
CREATE INDEX incidents_org_date ON incidents (org_id, date DESC, id);
CREATE INDEX incidents_org_province_date ON incidents (org_id, province, date DESC, id);

CREATE TABLE incident_edicts (
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
    edict_id    TEXT COLLATE "C" NOT NULL REFERENCES edicts (id),
    PRIMARY KEY (incident_id, edict_id)
);

CREATE TABLE record_versions (
    subject   TEXT COLLATE "C" NOT NULL,
    version   BIGINT NOT NULL,
    log_index BIGINT NOT NULL UNIQUE REFERENCES log_entries (idx),
    salt      BYTEA NOT NULL CHECK (length(salt) = 32),
    content   BYTEA NOT NULL,
    PRIMARY KEY (subject, version)
);

CREATE TABLE endorsements (
    org_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
    created_at BIGINT NOT NULL
);

-- 0003: uploads.
CREATE TABLE item_owners (
    item_id      TEXT COLLATE "C" PRIMARY KEY REFERENCES items (id),
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    member_id    TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    confidential BIGINT NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1))
);
CREATE INDEX item_owners_org ON item_owners (org_id, item_id);

CREATE TABLE incident_items (
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
    item_id     TEXT COLLATE "C" NOT NULL REFERENCES items (id),
    log_index   BIGINT NOT NULL REFERENCES log_entries (idx),
    PRIMARY KEY (incident_id, item_id)
);

CREATE TABLE uploads (
    id           TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    member_id    TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    length       BIGINT NOT NULL CHECK (length >= 0),
    received     BIGINT NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= length),
    file_name    TEXT COLLATE "C",
    case_ref     TEXT COLLATE "C",
    incident_id  TEXT COLLATE "C" REFERENCES incidents (id),
    confidential BIGINT NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1)),
    created_at   BIGINT NOT NULL,
    item_id      TEXT COLLATE "C" REFERENCES items (id),
    sealed       BYTEA
);
CREATE INDEX uploads_member ON uploads (member_id);

-- 0004: sealing, keys, people, acts, testimonies, erasure, intake, derivatives.
CREATE TABLE keyring (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    kdf         TEXT COLLATE "C" NOT NULL CHECK (kdf IN ('argon2id', 'keyfile')),
    m_cost      BIGINT,
    t_cost      BIGINT,
    p_cost      BIGINT,
    salt        BYTEA CHECK (salt IS NULL OR length(salt) = 16),
    check_value BYTEA NOT NULL,
    CHECK ((kdf = 'argon2id') = (salt IS NOT NULL))
);

CREATE TABLE org_keys (
    scope      TEXT COLLATE "C" NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1),
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, version)
);

CREATE TABLE data_keys (
    record      TEXT COLLATE "C" PRIMARY KEY,
    scope       TEXT COLLATE "C" NOT NULL,
    key_version BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL
);
CREATE INDEX data_keys_scope ON data_keys (scope, key_version);

CREATE TABLE shredded (
    record    TEXT COLLATE "C" PRIMARY KEY,
    log_index BIGINT NOT NULL REFERENCES log_entries (idx)
);

CREATE TABLE people (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    content    TEXT COLLATE "C" NOT NULL,
    sealed     BYTEA,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX people_org ON people (org_id, id);

CREATE TABLE acts (
    id             TEXT COLLATE "C" PRIMARY KEY,
    incident_id    TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
    violation_type TEXT COLLATE "C" NOT NULL,
    log_index      BIGINT NOT NULL REFERENCES log_entries (idx)
);
CREATE INDEX acts_incident ON acts (incident_id);
CREATE TABLE act_people (
    act_id    TEXT COLLATE "C" NOT NULL REFERENCES acts (id),
    person_id TEXT COLLATE "C" NOT NULL REFERENCES people (id),
    role      TEXT COLLATE "C" NOT NULL CHECK (role IN ('victim', 'perpetrator')),
    PRIMARY KEY (act_id, person_id, role)
);
CREATE INDEX act_people_person ON act_people (person_id);

CREATE TABLE testimonies (
    id          TEXT COLLATE "C" PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
    person_id   TEXT COLLATE "C" REFERENCES people (id),
    content     TEXT COLLATE "C" NOT NULL,
    sealed      BYTEA,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX testimonies_incident ON testimonies (incident_id);

CREATE TABLE erasure_requests (
    id            TEXT COLLATE "C" PRIMARY KEY,
    org_id        TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    record        TEXT COLLATE "C" NOT NULL,
    requested_by  TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    request_index BIGINT NOT NULL REFERENCES log_entries (idx),
    approved_by   TEXT COLLATE "C" REFERENCES members (id),
    approve_index BIGINT REFERENCES log_entries (idx),
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX erasure_requests_org ON erasure_requests (org_id, record);

CREATE TABLE intake_keys (
    org_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
    recipient  TEXT COLLATE "C" NOT NULL,
    identity   BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE submissions (
    id           TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    receipt_hash BYTEA NOT NULL UNIQUE CHECK (length(receipt_hash) = 32),
    status       TEXT COLLATE "C" NOT NULL
                 CHECK (status IN ('received', 'under_review', 'closed')),
    created_day  TEXT COLLATE "C" NOT NULL,
    updated_day  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX submissions_org ON submissions (org_id, status);
CREATE TABLE submission_parts (
    submission_id TEXT COLLATE "C" NOT NULL REFERENCES submissions (id),
    part          BIGINT NOT NULL CHECK (part >= 1),
    sealed        BYTEA NOT NULL,
    created_day   TEXT COLLATE "C" NOT NULL,
    log_index     BIGINT NOT NULL REFERENCES log_entries (idx),
    PRIMARY KEY (submission_id, part)
);

CREATE TABLE derivatives (
    item_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES items (id),
    original_id TEXT COLLATE "C" NOT NULL REFERENCES items (id),
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('redaction')),
    params      TEXT COLLATE "C" NOT NULL,
    log_index   BIGINT NOT NULL REFERENCES log_entries (idx)
);
CREATE INDEX derivatives_original ON derivatives (original_id);

-- 0006: incident counts per organisation and province, and a list version per organisation,
-- kept by triggers inside the transaction that writes the incident.
CREATE TABLE incident_counts (
    org_id   TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    province TEXT COLLATE "C" NOT NULL,
    n        BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (org_id, province)
);

CREATE TABLE incident_list_versions (
    org_id TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
    v      BIGINT NOT NULL
);

CREATE FUNCTION incident_counts_add(org TEXT, prov TEXT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO incident_counts AS c (org_id, province, n) VALUES (org, prov, 1)
        ON CONFLICT (org_id, province) DO UPDATE SET n = c.n + 1;
$$;

CREATE FUNCTION incident_list_bump(org TEXT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO incident_list_versions AS l (org_id, v) VALUES (org, 1)
        ON CONFLICT (org_id) DO UPDATE SET v = l.v + 1;
$$;

CREATE FUNCTION incident_counts_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incident_counts_add(NEW.org_id, NEW.province);
    PERFORM incident_list_bump(NEW.org_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION incident_counts_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incident_counts SET n = n - 1 WHERE org_id = OLD.org_id AND province = OLD.province;
    UPDATE incident_list_versions SET v = v + 1 WHERE org_id = OLD.org_id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION incident_counts_move() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incident_counts SET n = n - 1 WHERE org_id = OLD.org_id AND province = OLD.province;
    PERFORM incident_counts_add(NEW.org_id, NEW.province);
    UPDATE incident_list_versions SET v = v + 1 WHERE org_id = OLD.org_id;
    PERFORM incident_list_bump(NEW.org_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER incident_counts_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_counts_insert();
CREATE TRIGGER incident_counts_delete AFTER DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_counts_delete();
CREATE TRIGGER incident_counts_move AFTER UPDATE OF org_id, province, date ON incidents
    FOR EACH ROW
    WHEN (NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.province IS DISTINCT FROM OLD.province
          OR NEW.date IS DISTINCT FROM OLD.date)
    EXECUTE FUNCTION incident_counts_move();

-- 0007: links between incidents judged to report the same event; a pair once, smaller first
-- (byte order, as the column's collation says).
CREATE TABLE incident_links (
    a          TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
    b          TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
    kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('duplicate')),
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    actor      TEXT COLLATE "C" NOT NULL,
    log_index  BIGINT NOT NULL REFERENCES log_entries (idx),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (a, b, kind),
    CHECK (a < b)
);
CREATE INDEX incident_links_b ON incident_links (b);

-- 0008: an organisation's editable vocabularies.
CREATE TABLE vocab_terms (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    vocab      TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    en         TEXT COLLATE "C",
    fa         TEXT COLLATE "C",
    ps         TEXT COLLATE "C",
    active     BIGINT NOT NULL CHECK (active IN (0, 1)),
    version    BIGINT NOT NULL CHECK (version >= 1),
    log_index  BIGINT NOT NULL REFERENCES log_entries (idx),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, vocab, key)
);

-- 0009: witnessing (C2SP tlog-witness).
CREATE TABLE witnessed_logs (
    origin     TEXT COLLATE "C" PRIMARY KEY,
    key        TEXT COLLATE "C" NOT NULL,
    size       BIGINT NOT NULL CHECK (size >= 0),
    root       BYTEA CHECK (root IS NULL OR length(root) = 32),
    note       TEXT COLLATE "C",
    active     BIGINT NOT NULL CHECK (active IN (0, 1)),
    log_index  BIGINT NOT NULL REFERENCES log_entries (idx),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((size = 0) OR (root IS NOT NULL AND note IS NOT NULL))
);

CREATE TABLE witnesses (
    name       TEXT COLLATE "C" PRIMARY KEY,
    key        TEXT COLLATE "C" NOT NULL,
    url        TEXT COLLATE "C" NOT NULL,
    active     BIGINT NOT NULL CHECK (active IN (0, 1)),
    log_index  BIGINT NOT NULL REFERENCES log_entries (idx),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE checkpoint_cosignatures (
    size        BIGINT NOT NULL REFERENCES checkpoints (size),
    witness_key TEXT COLLATE "C" NOT NULL,
    line        TEXT COLLATE "C" NOT NULL,
    time        BIGINT NOT NULL CHECK (time >= 0),
    received_at BIGINT NOT NULL,
    PRIMARY KEY (size, witness_key)
);
CREATE INDEX checkpoint_cosignatures_by_key ON checkpoint_cosignatures (witness_key, size);

-- 0010: RFC 3161 timestamp tokens over checkpoints.
CREATE TABLE checkpoint_timestamps (
    size       BIGINT NOT NULL REFERENCES checkpoints (size),
    tsa_url    TEXT COLLATE "C" NOT NULL,
    root       BYTEA NOT NULL CHECK (length(root) = 32),
    response   BYTEA NOT NULL,
    gen_time   TEXT COLLATE "C" NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (size, tsa_url)
);
