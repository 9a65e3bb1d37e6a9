-- The case database: organisations, members and their credentials, edicts, incidents.

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE members (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'documenter', 'analyst', 'legal', 'viewer')),
    password_hash TEXT NOT NULL,
    totp_secret   BLOB,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL
);

-- Sessions and API tokens are stored only as SHA-256 of the secret.
CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    member_id   TEXT NOT NULL REFERENCES members (id),
    csrf        TEXT NOT NULL,
    mfa_pending INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash BLOB PRIMARY KEY,
    member_id  TEXT NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL
);

-- Edicts and accountability milestones; translated texts and sources as JSON.
CREATE TABLE edicts (
    id      TEXT PRIMARY KEY,
    date    TEXT NOT NULL,
    domain  TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX edicts_date ON edicts (date);

CREATE TABLE incidents (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id),
    ref                 TEXT,
    title               TEXT NOT NULL,
    date                TEXT NOT NULL,
    province            TEXT NOT NULL,
    verification_status TEXT NOT NULL,
    content             TEXT NOT NULL,
    version             INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX incidents_org_date ON incidents (org_id, date DESC, id);

CREATE TABLE incident_edicts (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    edict_id    TEXT NOT NULL REFERENCES edicts (id),
    PRIMARY KEY (incident_id, edict_id)
) WITHOUT ROWID;

-- Every version of every record with content: the salt of its commitment and the content
-- it commits to, so that any past commitment in the log can be opened.
CREATE TABLE record_versions (
    subject   TEXT NOT NULL,
    version   INTEGER NOT NULL,
    log_index INTEGER NOT NULL UNIQUE REFERENCES log_entries (idx),
    salt      BLOB NOT NULL CHECK (length(salt) = 32),
    content   BLOB NOT NULL,
    PRIMARY KEY (subject, version)
) WITHOUT ROWID;

-- Endorsements of the coalition's declaration.
CREATE TABLE endorsements (
    org_id     TEXT PRIMARY KEY REFERENCES orgs (id),
    created_at INTEGER NOT NULL
);
