-- Sealed blobs are addressed by the BLAKE3 of their sealed bytes (a quarter of SHA-256's
-- cost on every byte of a sealed ingest); originals stay addressed by their SHA-256, which
-- proofs and bundles speak of. An item's blob key is now a hash and a digest:
-- `blob_sha256` becomes `blob_digest` (64 hex digits, as before), and `blob_hash` names the
-- hash. Every row written before is SHA-256, which the default says.
ALTER TABLE items RENAME COLUMN blob_sha256 TO blob_digest;
ALTER TABLE items ADD COLUMN blob_hash TEXT NOT NULL DEFAULT 'sha256'
    CHECK (blob_hash IN ('sha256', 'blake3'));
