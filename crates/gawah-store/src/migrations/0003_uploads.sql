-- Evidence uploads: where each uploaded item belongs, its links to incidents, and the state
-- of resumable (tus) uploads in progress.

-- The organisation an item was uploaded into, by whom, and whether it was marked
-- confidential (stored now, sealed in step 3). Written in the item's own intake transaction.
CREATE TABLE item_owners (
    item_id      TEXT PRIMARY KEY REFERENCES items (id),
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    member_id    TEXT NOT NULL REFERENCES members (id),
    confidential INTEGER NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1))
);
CREATE INDEX item_owners_org ON item_owners (org_id, item_id);

-- Evidence items linked to incidents.
CREATE TABLE incident_items (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    item_id     TEXT NOT NULL REFERENCES items (id),
    log_index   INTEGER NOT NULL REFERENCES log_entries (idx),
    PRIMARY KEY (incident_id, item_id)
) WITHOUT ROWID;

-- Resumable uploads. `received` is the acknowledged offset: the bytes of
-- `<data dir>/uploads/<id>.part` up to it were fsynced before it was written here. `item_id`
-- is set in the transaction that records the finished item.
CREATE TABLE uploads (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    member_id    TEXT NOT NULL REFERENCES members (id),
    length       INTEGER NOT NULL CHECK (length >= 0),
    received     INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= length),
    file_name    TEXT,
    case_ref     TEXT,
    incident_id  TEXT REFERENCES incidents (id),
    confidential INTEGER NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1)),
    created_at   INTEGER NOT NULL,
    item_id      TEXT REFERENCES items (id)
);
CREATE INDEX uploads_member ON uploads (member_id);
