-- Tree nodes below level 4 are no longer stored: each covers at most 8 entries, and the store
-- recomputes it from them when a proof, a tile or the frontier needs it. Stores from before
-- this migration hold a row for every complete subtree; the rows below level 4 (leaf hashes
-- and pairs, quads, octets of leaves, all copies of what the entries hash to) are dropped so
-- that every store has the same layout. Nothing reads them after this version, and a build
-- from before it refuses this schema (`user_version` is newer) instead of missing them.
DELETE FROM log_nodes WHERE level < 4;
