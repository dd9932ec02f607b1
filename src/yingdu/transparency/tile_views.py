"""The log in the C2SP tlog-tiles layout under /api/v1/log/: /checkpoint (api.py) and /tile/<L>/<N>[.p/<W>],
/tile/entries/<N>[.p/<W>], computed from the stored hashes and entries (docs/decisions.md, "tlog-tiles")."""

from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_GET

from yingdu.errors import NotFound
from yingdu.tlog.tiles import Tile, TilePathError

from . import selectors

# A full tile never changes once the signed tree covers it; a partial tile is superseded by a wider one.
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"
MISSING_TILE_CACHE = "no-cache"


@require_GET
def tile(request, tile_path: str):
    try:
        wanted = Tile.parse(tile_path)
        data = selectors.tile_content(wanted)
    except (TilePathError, NotFound):
        response = HttpResponseNotFound(b"not found\n", content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = MISSING_TILE_CACHE
        return response
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Cache-Control"] = FULL_TILE_CACHE if wanted.is_full else PARTIAL_TILE_CACHE
    return response
