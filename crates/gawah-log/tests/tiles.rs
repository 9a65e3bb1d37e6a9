//! C2SP tlog-tiles paths: the spec's examples, round trips and refusals.

use gawah_log::{
    NodeId, TileKind, TileRef, entries_tile_path, parse_tile_path, tile_node_ids, tile_path,
};

#[test]
fn spec_examples() {
    assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
    assert_eq!(tile_path(2, 0, 1), "tile/2/000.p/1");
    assert_eq!(tile_path(1, 5, 17), "tile/1/005.p/17");
    assert_eq!(tile_path(0, 1000, 256), "tile/0/x001/000");
    assert_eq!(tile_path(0, 999, 256), "tile/0/999");
    assert_eq!(
        entries_tile_path(1_234_067, 8),
        "tile/entries/x001/x234/067.p/8"
    );
    assert_eq!(
        tile_path(63, u64::MAX, 255),
        "tile/63/x018/x446/x744/x073/x709/x551/615.p/255"
    );
}

#[test]
fn paths_round_trip() {
    let kinds = [
        TileKind::Hashes(0),
        TileKind::Hashes(7),
        TileKind::Hashes(63),
        TileKind::Entries,
    ];
    let indexes = [0, 1, 999, 1000, 1_234_067, 1_000_000, u64::MAX];
    for kind in kinds {
        for index in indexes {
            for width in [1, 17, 255, 256] {
                let tile = TileRef { kind, index, width };
                assert_eq!(
                    parse_tile_path(&tile.path()).unwrap(),
                    tile,
                    "{}",
                    tile.path()
                );
            }
        }
    }
}

#[test]
fn non_canonical_paths_are_refused() {
    let cases = [
        "tile/0/1234067",        // not split into groups
        "tile/0/001/234/067",    // groups without x
        "tile/0/x001/x234/x067", // last group with x
        "tile/0/x000/067",       // leading zero group
        "tile/0/67",             // short group
        "tile/0/0067",           // long group
        "tile/00/067",           // level with leading zero
        "tile/64/067",           // level too high
        "tile/-1/067",
        "tile/0/067.p/0",   // width 0
        "tile/0/067.p/256", // full width spelt as partial
        "tile/0/067.p/05",  // width with leading zero
        "tile/0/067.p/",
        "tile/0/067.p/5/6",
        "tile/0/067/",
        "tile/0/",
        "tile/0",
        "tile/entry/067",
        "tile/0/../067",
        "/tile/0/067",
        "tile/0/x018/x446/x744/x073/x709/x551/616", // past u64::MAX
        "tile/0/x001/x234/06a",
        "tile/0/x001//067",
    ];
    for path in cases {
        assert!(parse_tile_path(path).is_err(), "accepted {path}");
    }
}

#[test]
fn tile_nodes() {
    let ids = tile_node_ids(1, 2, 3);
    assert_eq!(
        ids,
        vec![
            NodeId::new(8, 512),
            NodeId::new(8, 513),
            NodeId::new(8, 514)
        ]
    );
    assert_eq!(tile_node_ids(0, 0, 256).len(), 256);
    assert_eq!(tile_node_ids(7, 0, 256).len(), 256);
    // Tile level 8 would start at tree level 64, which no u64-sized tree has.
    assert!(tile_node_ids(8, 0, 256).is_empty());
}
