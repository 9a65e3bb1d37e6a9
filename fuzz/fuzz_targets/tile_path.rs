//! Arbitrary text through the C2SP tlog-tiles path parser the server uses for `/log/tile/...`
//! (gawah-log's `parse_tile_path`; logweb prefixes `tile/` to what follows `/log/tile/`), and
//! the nodes the parsed tile covers. The parser is strict, one spelling per tile (one cache
//! key), so whatever parses must print back to exactly the same text.
#![no_main]

use gawah_log::{
    MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, TileKind, parse_tile_path, tile_node_ids,
};
use libfuzzer_sys::fuzz_target;

fn check(path: &str) {
    let Ok(t) = parse_tile_path(path) else {
        return;
    };
    assert_eq!(t.path(), path, "two spellings of one tile");
    assert!((1..=TILE_WIDTH).contains(&t.width));
    assert_eq!(parse_tile_path(&t.path()), Ok(t));
    if let TileKind::Hashes(level) = t.kind {
        assert!(level <= MAX_TILE_LEVEL);
        let ids = tile_node_ids(level, t.index, t.width);
        assert!(ids.len() as u64 <= t.width);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                u32::from(id.level),
                u32::from(level) * u32::from(TILE_HEIGHT)
            );
            assert_eq!(
                Some(id.index),
                t.index.checked_mul(TILE_WIDTH).map(|f| f + i as u64)
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    check(&format!("tile/{text}"));
});
