-- The incident list's total, kept per organisation and province instead of counted on every
-- request, and a version per organisation that changes whenever its list order may have
-- changed (it tells cached page positions they are stale). Triggers keep both inside the
-- transaction that writes the incident, so they cannot drift from the table whichever code
-- path inserts, moves or deletes an incident. Safe to run again: it drops and rebuilds what
-- it made.

DROP TRIGGER IF EXISTS incident_counts_insert;
DROP TRIGGER IF EXISTS incident_counts_delete;
DROP TRIGGER IF EXISTS incident_counts_move;
DROP TABLE IF EXISTS incident_counts;
DROP TABLE IF EXISTS incident_list_versions;

CREATE TABLE incident_counts (
    org_id   TEXT NOT NULL REFERENCES orgs (id),
    province TEXT NOT NULL,
    n        INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (org_id, province)
) WITHOUT ROWID;

CREATE TABLE incident_list_versions (
    org_id TEXT PRIMARY KEY REFERENCES orgs (id),
    v      INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO incident_counts (org_id, province, n)
    SELECT org_id, province, count(*) FROM incidents GROUP BY org_id, province;
INSERT INTO incident_list_versions (org_id, v)
    SELECT DISTINCT org_id, 1 FROM incidents;

CREATE TRIGGER incident_counts_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO incident_counts (org_id, province, n) VALUES (NEW.org_id, NEW.province, 1)
        ON CONFLICT (org_id, province) DO UPDATE SET n = n + 1;
    INSERT INTO incident_list_versions (org_id, v) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET v = v + 1;
END;

CREATE TRIGGER incident_counts_delete AFTER DELETE ON incidents
BEGIN
    UPDATE incident_counts SET n = n - 1 WHERE org_id = OLD.org_id AND province = OLD.province;
    UPDATE incident_list_versions SET v = v + 1 WHERE org_id = OLD.org_id;
END;

CREATE TRIGGER incident_counts_move AFTER UPDATE OF org_id, province, date ON incidents
    WHEN NEW.org_id IS NOT OLD.org_id OR NEW.province IS NOT OLD.province
        OR NEW.date IS NOT OLD.date
BEGIN
    UPDATE incident_counts SET n = n - 1 WHERE org_id = OLD.org_id AND province = OLD.province;
    INSERT INTO incident_counts (org_id, province, n) VALUES (NEW.org_id, NEW.province, 1)
        ON CONFLICT (org_id, province) DO UPDATE SET n = n + 1;
    UPDATE incident_list_versions SET v = v + 1 WHERE org_id = OLD.org_id;
    INSERT INTO incident_list_versions (org_id, v) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET v = v + 1;
END;

-- A list filtered by province walks this index in order, as the unfiltered list walks
-- `incidents_org_date`.
CREATE INDEX IF NOT EXISTS incidents_org_province_date ON incidents (org_id, province, date DESC, id);
