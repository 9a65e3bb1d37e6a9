//! C2SP `tlog-tiles` paths: where each tile of hashes or entries is published.
//!
//! A hash tile at level `L`, index `N` holds up to 256 consecutive node hashes from tree
//! level `8 * L`; the entries tile `N` holds leaves `N * 256 ..`. Index `1234067` is written
//! `x001/x234/067` so that no directory holds more than 1000 names; a partial tile of
//! width `W < 256` gets the suffix `.p/W`.

use crate::hash::NodeId;

/// Tree levels covered by one tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Highest tile level the spec allows in a path.
pub const MAX_TILE_LEVEL: u8 = 63;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// Node hashes of tile level `L`, from tree level `8 * L`.
    Hashes(u8),
    /// Log entries, length-prefixed, the data behind the level 0 hash tile.
    Entries,
}

/// A parsed tile path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileRef {
    /// Hashes at some level, or entries.
    pub kind: TileKind,
    /// Tile index within its level.
    pub index: u64,
    /// Number of hashes or entries: [`TILE_WIDTH`] for a full tile, 1 to 255 for a partial.
    pub width: u64,
}

/// Errors from [`parse_tile_path`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// The path is not a canonical tile path; the reason says which part.
    #[error("invalid tile path: {0}")]
    Invalid(&'static str),
}

impl TileRef {
    /// The path this tile is published at.
    pub fn path(&self) -> String {
        match self.kind {
            TileKind::Hashes(level) => tile_path(level, self.index, self.width),
            TileKind::Entries => entries_tile_path(self.index, self.width),
        }
    }
}

/// Path of a hash tile, such as `tile/0/x001/x234/067` or `tile/1/005.p/17`.
///
/// `width` is 1 to 256 and `level` at most 63; a width of 256 or more writes a full tile.
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    debug_assert!(level <= MAX_TILE_LEVEL && width > 0);
    format!("tile/{level}/{}", index_and_width(index, width))
}

/// Path of an entries tile, such as `tile/entries/x001/x234/067.p/8`.
pub fn entries_tile_path(index: u64, width: u64) -> String {
    debug_assert!(width > 0);
    format!("tile/entries/{}", index_and_width(index, width))
}

fn index_and_width(index: u64, width: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    let mut path = groups.join("/");
    if width < TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// Parses a tile path as written by [`tile_path`] or [`entries_tile_path`], refusing any
/// other spelling of the same tile, so that one tile has exactly one cache key.
pub fn parse_tile_path(path: &str) -> Result<TileRef, TileError> {
    let rest = path
        .strip_prefix("tile/")
        .ok_or(TileError::Invalid("must start with tile/"))?;
    let (kind_part, rest) = rest
        .split_once('/')
        .ok_or(TileError::Invalid("missing index"))?;
    let kind = parse_kind(kind_part)?;
    let (index_part, width) = match rest.split_once(".p/") {
        Some((index_part, width)) => (index_part, parse_partial_width(width)?),
        None => (rest, TILE_WIDTH),
    };
    let index = parse_index(index_part)?;
    Ok(TileRef { kind, index, width })
}

fn parse_kind(part: &str) -> Result<TileKind, TileError> {
    if part == "entries" {
        return Ok(TileKind::Entries);
    }
    let level = parse_canonical_decimal(part).ok_or(TileError::Invalid("bad level"))?;
    match u8::try_from(level) {
        Ok(level) if level <= MAX_TILE_LEVEL => Ok(TileKind::Hashes(level)),
        _ => Err(TileError::Invalid("level above 63")),
    }
}

fn parse_partial_width(part: &str) -> Result<u64, TileError> {
    match parse_canonical_decimal(part) {
        Some(width) if (1..TILE_WIDTH).contains(&width) => Ok(width),
        _ => Err(TileError::Invalid("partial width must be 1 to 255")),
    }
}

/// `x001/x234/067`: groups of three digits, all but the last prefixed with `x`, and no
/// leading `x000` group.
fn parse_index(part: &str) -> Result<u64, TileError> {
    let groups: Vec<&str> = part.split('/').collect();
    let Some((last, leading)) = groups.split_last() else {
        return Err(TileError::Invalid("missing index"));
    };
    if leading.first().is_some_and(|g| *g == "x000") {
        return Err(TileError::Invalid("index has a leading zero group"));
    }
    let mut index: u64 = 0;
    for group in leading {
        let digits = group
            .strip_prefix('x')
            .ok_or(TileError::Invalid("index group must start with x"))?;
        index = push_group(index, digits)?;
    }
    push_group(index, last)
}

fn push_group(index: u64, digits: &str) -> Result<u64, TileError> {
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TileError::Invalid("index group must be three digits"));
    }
    let value: u64 = digits
        .parse()
        .map_err(|_| TileError::Invalid("index group must be three digits"))?;
    index
        .checked_mul(1000)
        .and_then(|i| i.checked_add(value))
        .ok_or(TileError::Invalid("index does not fit in 64 bits"))
}

/// ASCII digits without leading zeros ("0" itself allowed).
fn parse_canonical_decimal(part: &str) -> Option<u64> {
    let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits || (part.len() > 1 && part.starts_with('0')) {
        return None;
    }
    part.parse().ok()
}

/// Which stored nodes make up a hash tile: tile at level `level`, index `index` covers
/// nodes at tree level `8 * level`, indices `index * 256 .. index * 256 + width`.
///
/// Nodes that cannot exist in a tree of at most `u64::MAX` leaves (tree level above 63, or
/// an index past the end) are left out, so the result may be shorter than `width`.
pub fn tile_node_ids(level: u8, index: u64, width: u64) -> Vec<NodeId> {
    let Some(tree_level) = level.checked_mul(TILE_HEIGHT).filter(|l| *l < 64) else {
        return Vec::new();
    };
    let Some(first) = index.checked_mul(TILE_WIDTH) else {
        return Vec::new();
    };
    let max_index = u64::MAX >> tree_level;
    (0..width.min(TILE_WIDTH))
        .map_while(|i| first.checked_add(i).filter(|n| *n <= max_index))
        .map(|n| NodeId::new(tree_level, n))
        .collect()
}
