-- Witness protection: the keyring, organisation and data keys, sealed columns, and the
-- records that hold the most dangerous data: people, acts, testimonies.
-- Runs with foreign keys off (the items table is rebuilt); `foreign_key_check` runs after.

-- How the key-encryption key (KEK) is derived, and a value sealed under it that tells a
-- wrong passphrase or key file from a right one. One row.
CREATE TABLE keyring (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    kdf         TEXT NOT NULL CHECK (kdf IN ('argon2id', 'keyfile')),
    m_cost      INTEGER,
    t_cost      INTEGER,
    p_cost      INTEGER,
    salt        BLOB CHECK (salt IS NULL OR length(salt) = 16),
    check_value BLOB NOT NULL,
    CHECK ((kdf = 'argon2id') = (salt IS NOT NULL))
);

-- Organisation keys (scope: an organisation id, or 'instance' for items ingested outside
-- any organisation), sealed under the KEK. Versions grow with each rotation; a rotation
-- rewraps every data key of the scope and deletes the older versions.
CREATE TABLE org_keys (
    scope      TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, version)
) WITHOUT ROWID;

-- One data key per record, wrapped under its scope's organisation key. Crypto-shredding
-- deletes the row (with secure_delete on, its bytes are overwritten).
CREATE TABLE data_keys (
    record      TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    key_version INTEGER NOT NULL,
    wrapped     BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX data_keys_scope ON data_keys (scope, key_version);

-- Records whose data key was destroyed, and the entry that logged it.
CREATE TABLE shredded (
    record    TEXT PRIMARY KEY,
    log_index INTEGER NOT NULL REFERENCES log_entries (idx)
) WITHOUT ROWID;

-- An incident's confidential fields (exact location), sealed under its data key.
ALTER TABLE incidents ADD COLUMN sealed BLOB;

-- Items, rebuilt: `blob_sha256` is where the stored bytes are (the original's SHA-256 for a
-- plain file; the sealed bytes' SHA-256 for a confidential one, whose original SHA-256 and
-- salt then live only in `sealed`, so that a seized disk cannot confirm a known file).
-- `file_name` holds names from before sealing; new names go into `sealed`.
CREATE TABLE items_sealed (
    id          TEXT PRIMARY KEY,
    sha256      TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    salt        BLOB CHECK (salt IS NULL OR length(salt) = 32),
    case_ref    TEXT,
    file_name   TEXT,
    created_at  INTEGER NOT NULL,
    log_index   INTEGER NOT NULL UNIQUE REFERENCES log_entries (idx),
    blob_sha256 TEXT NOT NULL CHECK (length(blob_sha256) = 64),
    sealed      BLOB,
    CHECK ((sha256 IS NULL) = (salt IS NULL)),
    CHECK (sha256 IS NOT NULL OR sealed IS NOT NULL)
);
INSERT INTO items_sealed (id, sha256, bytes, salt, case_ref, file_name, created_at, log_index,
                          blob_sha256, sealed)
SELECT id, sha256, bytes, salt, case_ref, file_name, created_at, log_index, sha256, NULL
FROM items;
DROP TABLE items;
ALTER TABLE items_sealed RENAME TO items;
CREATE INDEX items_case ON items (case_ref);
CREATE INDEX items_sha256 ON items (sha256);

-- People: victims, witnesses, perpetrators, pseudonymised. `content` holds the internal
-- fields (pseudonym, kind, gender, age group) as JSON; `sealed` the confidential ones
-- (name, contact, notes).
CREATE TABLE people (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    content    TEXT NOT NULL,
    sealed     BLOB,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX people_org ON people (org_id, id);

-- Acts: who did what to whom within an incident (many victims and perpetrators per act).
CREATE TABLE acts (
    id             TEXT PRIMARY KEY,
    incident_id    TEXT NOT NULL REFERENCES incidents (id),
    violation_type TEXT NOT NULL,
    log_index      INTEGER NOT NULL REFERENCES log_entries (idx)
);
CREATE INDEX acts_incident ON acts (incident_id);
CREATE TABLE act_people (
    act_id    TEXT NOT NULL REFERENCES acts (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    role      TEXT NOT NULL CHECK (role IN ('victim', 'perpetrator')),
    PRIMARY KEY (act_id, person_id, role)
) WITHOUT ROWID;
CREATE INDEX act_people_person ON act_people (person_id);

-- Testimonies: `content` holds the internal fields (language, consent scopes, interviewer,
-- date) as JSON; `sealed` the statement and the witness's name and contact.
CREATE TABLE testimonies (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    person_id   TEXT REFERENCES people (id),
    content     TEXT NOT NULL,
    sealed      BLOB,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX testimonies_incident ON testimonies (incident_id);

-- Resumable uploads: the file name (and later fields) sealed under the upload's own data key
-- (`data_keys.record` = the upload id), which also encrypts the partial file; the key is
-- destroyed when the upload becomes an item. New rows leave `file_name` empty.
ALTER TABLE uploads ADD COLUMN sealed BLOB;

-- Custody events by actor, for the access report per member.
CREATE INDEX custody_events_actor ON custody_events (actor, log_index);

-- Erasure (crypto-shredding) needs two admins of the organisation: one requests, another
-- approves; the approval destroys the record's data key in the same transaction.
CREATE TABLE erasure_requests (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id),
    record         TEXT NOT NULL,
    requested_by   TEXT NOT NULL REFERENCES members (id),
    request_index  INTEGER NOT NULL REFERENCES log_entries (idx),
    approved_by    TEXT REFERENCES members (id),
    approve_index  INTEGER REFERENCES log_entries (idx),
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX erasure_requests_org ON erasure_requests (org_id, record);

-- Anonymous intake: each organisation's X25519 (age) recipient in the clear, and its
-- identity (`AGE-SECRET-KEY-1...`) sealed under a data key of the organisation (record
-- `intake:<org id>`, so that a rotation of the organisation key rewraps it), bound to
-- `intake_keys.identity` of the org id.
CREATE TABLE intake_keys (
    org_id     TEXT PRIMARY KEY REFERENCES orgs (id),
    recipient  TEXT NOT NULL,
    identity   BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- Submissions through /submit: every part is age-encrypted to the organisation's recipient
-- on arrival. No IP address, no user agent; times kept to the day only (the id too is made
-- from the start of its day). The witness's receipt code (160 random bits) is stored as its
-- SHA-256.
CREATE TABLE submissions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    receipt_hash BLOB NOT NULL UNIQUE CHECK (length(receipt_hash) = 32),
    status       TEXT NOT NULL CHECK (status IN ('received', 'under_review', 'closed')),
    created_day  TEXT NOT NULL,
    updated_day  TEXT NOT NULL
);
CREATE INDEX submissions_org ON submissions (org_id, status);
CREATE TABLE submission_parts (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    part          INTEGER NOT NULL CHECK (part >= 1),
    sealed        BLOB NOT NULL,
    created_day   TEXT NOT NULL,
    log_index     INTEGER NOT NULL REFERENCES log_entries (idx),
    PRIMARY KEY (submission_id, part)
) WITHOUT ROWID;

-- Derived working copies (a redacted image) linked to their untouched originals.
CREATE TABLE derivatives (
    item_id     TEXT PRIMARY KEY REFERENCES items (id),
    original_id TEXT NOT NULL REFERENCES items (id),
    kind        TEXT NOT NULL CHECK (kind IN ('redaction')),
    params      TEXT NOT NULL,
    log_index   INTEGER NOT NULL REFERENCES log_entries (idx)
);
CREATE INDEX derivatives_original ON derivatives (original_id);
