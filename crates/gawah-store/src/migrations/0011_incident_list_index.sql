-- The incident list reads its page from the index alone. `incidents_org_date` now also holds
-- every column the HTML list shows and the row's version and times, so a page of the HTML
-- list touches no table row (50 random table pages a page before: the table is in insertion
-- order, the list in date order). The API list, which gives each incident's stored content,
-- still reads the table. Same key order as before, so the list's order, its positions
-- (`ListAnchors`) and its query plans are unchanged. Safe to run twice.
DROP INDEX IF EXISTS incidents_org_date;
CREATE INDEX IF NOT EXISTS incidents_org_date ON incidents (
    org_id, date DESC, id, ref, title, province, verification_status, version, created_at,
    updated_at
);
