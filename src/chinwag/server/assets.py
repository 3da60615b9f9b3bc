"""Data the web client fetches as a file: the emoji table of the picker and of
`:shortcode:` completion (`/assets/emoji.json`), the same table the desktop client
reads from chinwag.core.emojis."""

from __future__ import annotations

import functools
import hashlib

from aiohttp import web

from chinwag.core import emojis

EMOJI_PATH = "/assets/emoji.json"


@functools.cache
def _emoji_etag() -> str:
    return '"' + hashlib.sha256(emojis.table_json()).hexdigest()[:32] + '"'


async def emoji_table(request: web.Request) -> web.StreamResponse:
    """The table, `[[emoji, name, alias, ...], ...]` in the picker's order. It changes
    only with the server's `emoji` package: the browser keeps it and asks again with its
    ETag (a 304 costs no body), so that an upgraded server is never answered from a
    stale copy."""
    etag = _emoji_etag()
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in _etags(request.headers.get("If-None-Match", "")):
        return web.Response(status=304, headers=headers)
    response = web.Response(
        body=emojis.table_json(), content_type="application/json", headers=headers
    )
    response.enable_compression()
    return response


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
