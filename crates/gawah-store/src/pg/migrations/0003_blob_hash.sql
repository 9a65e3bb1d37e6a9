-- SQLite's migration 0012: an item's blob key is a hash and a digest. Sealed blobs are
-- addressed by the BLAKE3 of their sealed bytes, originals by their SHA-256; every row
-- written before is SHA-256, which the default says.
ALTER TABLE items RENAME COLUMN blob_sha256 TO blob_digest;
ALTER TABLE items ADD COLUMN blob_hash TEXT COLLATE "C" NOT NULL DEFAULT 'sha256'
    CHECK (blob_hash IN ('sha256', 'blake3'));
