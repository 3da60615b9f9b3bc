"""/assets/emoji.json: the emoji table of the web client, cached by its ETag."""

from __future__ import annotations

import aiohttp
import msgspec

from chinwag.core import emojis
from tests.server.conftest import RunningServer


async def test_the_emoji_table_is_served_and_revalidated_by_etag(server: RunningServer) -> None:
    url = server.http("/assets/emoji.json")
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("application/json")
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Cache-Control"] == "no-cache"
            etag = response.headers["ETag"]
            body = await response.read()  # aiohttp decompresses
        assert body == emojis.table_json()
        table = msgspec.json.decode(body)
        assert table[0] == ["👍", "thumbs_up", "thumbsup", "+1"]
        assert len(table) == len(emojis.entries())

        # The browser asks again with its copy's tag: no body comes back.
        async with session.get(url, headers={"If-None-Match": etag}) as response:
            assert response.status == 304
            assert response.headers["ETag"] == etag
            assert await response.read() == b""
        async with session.get(url, headers={"If-None-Match": f'"other", W/{etag}'}) as again:
            assert again.status == 304
        async with session.get(url, headers={"If-None-Match": '"stale"'}) as response:
            assert response.status == 200
            assert await response.read() == body
        # The rest of /assets/ is still the web client's files.
        async with session.get(server.http("/assets/css/base.css")) as response:
            assert response.status == 200
