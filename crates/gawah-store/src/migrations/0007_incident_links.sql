-- Links between incidents an analyst judged to be reports of the same event. Reports are
-- linked, never deleted or merged: each stays as it was documented. A pair is stored once,
-- with the smaller id first. Safe to run again.
CREATE TABLE IF NOT EXISTS incident_links (
    a          TEXT NOT NULL REFERENCES incidents (id),
    b          TEXT NOT NULL REFERENCES incidents (id),
    kind       TEXT NOT NULL CHECK (kind IN ('duplicate')),
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    actor      TEXT NOT NULL,
    log_index  INTEGER NOT NULL REFERENCES log_entries (idx),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (a, b, kind),
    CHECK (a < b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incident_links_b ON incident_links (b);

