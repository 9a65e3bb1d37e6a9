-- RFC 3161 timestamp tokens over checkpoints (see `timestamps.rs` and docs/TIMESTAMPS.md).
-- A token is not a log entry (logging it would make a new checkpoint to stamp, forever); it
-- is kept here, one per checkpoint size and authority: the first one obtained is kept, since
-- the earlier time is the stronger proof. `response` is the authority's DER TimeStampResp as
-- received; what it stamps is SHA-256 of the checkpoint's text (its note up to the blank
-- line), which (`size`, `root`) determine together with the log's origin. `gen_time` is the
-- token's time, RFC 3339 UTC; `fetched_at` the local clock (Unix ms). Safe to run again.
CREATE TABLE IF NOT EXISTS checkpoint_timestamps (
    size       INTEGER NOT NULL REFERENCES checkpoints (size),
    tsa_url    TEXT NOT NULL,
    root       BLOB NOT NULL CHECK (length(root) = 32),
    response   BLOB NOT NULL,
    gen_time   TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (size, tsa_url)
) WITHOUT ROWID;
