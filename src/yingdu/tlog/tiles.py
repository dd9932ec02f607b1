"""C2SP tlog-tiles: tile paths, tile contents from stored hashes, and entry bundles.

A tile at level L, index N holds the Merkle tree hashes of up to 256 consecutive subtrees of 256**L leaves:
hash i is MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L]), which is the stored hash at subtree level
8*L, index N*256 + i (yingdu.tlog.storage). Full tiles hold 256 hashes; the rightmost tile of a level in a tree of
size s is partial, with floor(s / 256**L) mod 256 hashes. Entry bundles are big-endian uint16 length-prefixed entries.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from yingdu.tlog.errors import ProofError
from yingdu.tlog.storage import HashReader, read_stored_hashes, stored_hash_index

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF

_INDEX_PATH = r"(?:x\d{3}/)*\d{3}"
_TILE_PATH = re.compile(rf"(?P<level>entries|0|[1-9]\d?)/(?P<index>{_INDEX_PATH})(?:\.p/(?P<width>[1-9]\d{{0,2}}))?",
                        re.ASCII)


class TilePathError(ValueError):
    """A path that is not a C2SP tlog-tiles tile or entry bundle path."""


@dataclass(frozen=True)
class Tile:
    """A tile (level 0…63) or an entry bundle (level None) with its index and width (256 when full)."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        return self.level is None

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def leaves_per_hash(self) -> int:
        return TILE_WIDTH ** (self.level or 0)

    def covered_size(self) -> int:
        """The smallest tree size in which this tile (at this width) exists."""
        return (self.index * TILE_WIDTH + self.width) * self.leaves_per_hash

    def path(self) -> str:
        """The path after <prefix>/tile/, e.g. 0/x001/234.p/5 or entries/000."""
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.is_full else f".p/{self.width}"
        return f"{level}/{encode_tile_index(self.index)}{suffix}"

    @classmethod
    def parse(cls, path: str) -> "Tile":
        match = _TILE_PATH.fullmatch(path)
        if match is None:
            raise TilePathError(f"not a tile path: {path!r}")
        level_text = match["level"]
        level = None if level_text == "entries" else int(level_text)
        if level is not None and level > MAX_TILE_LEVEL:
            raise TilePathError(f"tile level {level} is above {MAX_TILE_LEVEL}")
        width = int(match["width"]) if match["width"] else TILE_WIDTH
        if match["width"] and width >= TILE_WIDTH:
            raise TilePathError(f"partial tile width {width} is not below {TILE_WIDTH}")
        index = decode_tile_index(match["index"])
        return cls(level=level, index=index, width=width)


def encode_tile_index(index: int) -> str:
    """Zero-padded 3-digit path elements, all but the last prefixed with x: 1234067 -> x001/x234/067."""
    if index < 0:
        raise ValueError("a tile index is not negative")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*("x" + group for group in groups[:-1]), groups[-1]])


def decode_tile_index(text: str) -> int:
    parts = text.split("/")
    if len(parts) > 1 and parts[0] == "x000":
        raise TilePathError("tile index has a leading zero group")
    index = 0
    for part in parts:
        index = index * 1000 + int(part.removeprefix("x"))
    return index


def tiles_for_size(tree_size: int) -> list[Tile]:
    """Every tile and entry bundle of a tree of tree_size leaves: the full ones and the rightmost partial ones."""
    tiles: list[Tile] = []
    level = 0
    while level <= MAX_TILE_LEVEL:
        hashes_at_level = tree_size // TILE_WIDTH**level
        if hashes_at_level == 0:
            break
        full, partial = divmod(hashes_at_level, TILE_WIDTH)
        levels = [level, None] if level == 0 else [level]
        for tile_level in levels:
            tiles.extend(Tile(level=tile_level, index=n) for n in range(full))
            if partial:
                tiles.append(Tile(level=tile_level, index=full, width=partial))
        level += 1
    return tiles


def tile_exists(tile: Tile, *, tree_size: int) -> bool:
    """True when the tile (at its width) is part of a tree of tree_size leaves, or of a smaller one."""
    return tile.covered_size() <= tree_size


def tile_hash_indexes(tile: Tile) -> list[int]:
    """The stored-hash indexes whose values, concatenated, are the tile's content."""
    if tile.is_entries:
        raise ValueError("an entry bundle is not made of hashes")
    first = tile.index * TILE_WIDTH
    level = TILE_HEIGHT * tile.level
    return [stored_hash_index(level=level, index=first + offset) for offset in range(tile.width)]


def read_tile(tile: Tile, *, hash_reader: HashReader) -> bytes:
    """The tile's bytes: its hashes concatenated, read from stored hashes."""
    indexes = tile_hash_indexes(tile)
    stored = read_stored_hashes(hash_reader, indexes)
    return b"".join(stored[index] for index in indexes)


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries as a C2SP tlog-tiles entry bundle: each a big-endian uint16 length, then its bytes."""
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise ProofError(f"an entry of {len(entry)} bytes does not fit an entry bundle")
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of an entry bundle."""
    entries = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise ProofError("entry bundle ends inside a length prefix")
        size = int.from_bytes(data[position:position + 2], "big")
        position += 2
        if position + size > len(data):
            raise ProofError("entry bundle ends inside an entry")
        entries.append(data[position:position + size])
        position += size
    return entries
