"""The log in the C2SP tlog-tiles layout, from outside: paths, contents, cache headers, 404 beyond the tree."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from yingdu.testing.events import sample_entries
from yingdu.tlog import MemoryHashStore, node_hash
from yingdu.tlog.tiles import Tile, encode_tile_index, parse_entry_bundle, tiles_for_size
from yingdu.transparency.models import LogEntry
from yingdu.transparency.services import checkpoint_sign, log_append

pytestmark = pytest.mark.django_db

# the log's entries and checkpoints are made at one fixed moment, not the real clock
NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)

PREFIX = "/api/v1/log"


def grow(count: int, start: int = 0):
    log_append(events=sample_entries(count, start=start), now=NOW)
    return checkpoint_sign(now=NOW)


def get(path: str):
    return Client().get(f"{PREFIX}/tile/{path}")


def test_tile_index_encoding_matches_the_spec_example():
    assert encode_tile_index(1234067) == "x001/x234/067"
    assert encode_tile_index(5) == "005"
    assert Tile.parse("1/x001/x234/067.p/7") == Tile(level=1, index=1234067, width=7)
    for bad in ["0/5", "0/x000/005", "0/005.p/0", "0/005.p/256", "0/005.p/07", "64/000", "01/000", "entries/x5/000"]:
        with pytest.raises(ValueError):
            Tile.parse(bad)


def test_tiles_for_the_spec_example_size():
    tiles = tiles_for_size(70_000)
    hash_tiles = [t for t in tiles if not t.is_entries]
    assert sum(1 for t in hash_tiles if t.level == 0 and t.is_full) == 273
    assert [t.width for t in hash_tiles if not t.is_full] == [112, 17, 1]
    assert sum(1 for t in hash_tiles if t.level == 1 and t.is_full) == 1


def test_level_zero_tiles_hold_leaf_hashes_and_level_one_the_tile_roots():
    grow(600)
    leaf_hashes = [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    full = get("0/001")
    assert full.status_code == 200 and full["Content-Type"] == "application/octet-stream"
    assert full.content == b"".join(leaf_hashes[256:512])
    assert "immutable" in full["Cache-Control"] and "31536000" in full["Cache-Control"]
    partial = get("0/002.p/88")
    assert partial.content == b"".join(leaf_hashes[512:600])
    assert "immutable" not in partial["Cache-Control"] and "max-age=60" in partial["Cache-Control"]
    # A narrower partial tile of a size that had a checkpoint is still valid data.
    assert get("0/002.p/5").content == b"".join(leaf_hashes[512:517])
    level_one = get("1/000.p/2").content
    for i in range(2):
        store = MemoryHashStore()
        store.append_leaf_hashes(leaf_hashes[i * 256:(i + 1) * 256])
        assert level_one[32 * i:32 * (i + 1)] == store.root_hash()
    assert node_hash(level_one[:32], level_one[32:]) == _root_of(leaf_hashes[:512])


def _root_of(leaf_hashes):
    store = MemoryHashStore()
    store.append_leaf_hashes(leaf_hashes)
    return store.root_hash()


def test_entry_bundles_hash_to_the_level_zero_tile():
    grow(300)
    bundle = get("entries/001.p/44")
    entries = parse_entry_bundle(bundle.content)
    assert len(entries) == 44
    tile = get("0/001.p/44").content
    assert b"".join(hashlib.sha256(b"\x00" + e).digest() for e in entries) == tile
    assert [bytes(e) for e in LogEntry.objects.filter(index__gte=256).order_by("index")
            .values_list("entry", flat=True)] == entries


def test_tiles_beyond_the_signed_tree_are_not_found():
    grow(300)
    log_append(events=sample_entries(10, start=300), now=NOW)  # appended, not yet signed
    for path in ["0/001", "0/001.p/45", "entries/001.p/45", "0/002.p/1", "1/000.p/2", "2/000.p/1", "0/005",
                 "0/1", "nonsense", "0/001.p/300"]:
        response = get(path)
        assert response.status_code == 404, path
        assert response["Cache-Control"] == "no-cache"
    assert get("0/001.p/44").status_code == 200


def test_export_tiles_writes_the_same_layout_as_served(tmp_path):
    checkpoint = grow(300)
    call_command("export_tiles", str(tmp_path))
    assert (tmp_path / "checkpoint").read_text().startswith(checkpoint.note)
    written = sorted(str(p.relative_to(tmp_path / "tile")) for p in (tmp_path / "tile").rglob("*") if p.is_file())
    assert written == sorted(["0/000", "0/001.p/44", "1/000.p/1", "entries/000", "entries/001.p/44"])
    for path in written:
        assert (tmp_path / "tile" / path).read_bytes() == get(path).content
