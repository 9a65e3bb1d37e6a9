-- SQLite's migration 0011: the incident list's index also carries every column the HTML list
-- shows and the row's version and times, so that a page without content can be an
-- index-only scan. Same key as before.
DROP INDEX IF EXISTS incidents_org_date;
CREATE INDEX incidents_org_date ON incidents (org_id, date DESC, id)
    INCLUDE (ref, title, province, verification_status, version, created_at, updated_at);
