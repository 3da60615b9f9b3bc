"""Files on S3: the whole HTTP round trip, and two nodes sharing PostgreSQL, Redis and
one bucket: a file uploaded on node A is downloaded on node B."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from chinwag.bus.redis import RedisBus
from chinwag.store.sql import open_store
from tests.conftest import checked_redis_url, fresh_postgres_database
from tests.files.s3server import s3_bucket, s3_endpoint
from tests.files.support import download, jpeg_with_exif, sha, upload
from tests.server.conftest import StartServer
from tests.server.support import login, register

__all__ = ["s3_bucket", "s3_endpoint"]  # fixtures


async def test_s3_round_trip_ranges_and_etags(
    start_server: StartServer, s3_endpoint: str, s3_bucket: str
) -> None:
    server = await start_server(files_url=f"s3://{s3_bucket}/chat", files_endpoint=s3_endpoint)
    alice = await register(server.url, "alice")
    data = os.urandom(3 * 1024 * 1024)
    _, file = await upload(server, alice.token, data, "noise.bin")
    status, body, headers = await download(server, alice.token, file["id"])
    assert status == 200 and sha(body) == sha(data)
    assert headers["ETag"] == f'"{sha(data)}"'
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    status, body, headers = await download(server, alice.token, file["id"], Range="bytes=5-9")
    assert status == 206 and body == data[5:10]
    assert headers["Content-Range"] == f"bytes 5-9/{len(data)}"
    status, body, _ = await download(server, alice.token, file["id"], Range="bytes=-4")
    assert status == 206 and body == data[-4:]
    status, _, _ = await download(server, alice.token, file["id"], Range=f"bytes={len(data)}-")
    assert status == 416
    status, body, _ = await download(
        server, alice.token, file["id"], **{"If-None-Match": f'"{sha(data)}"'}
    )
    assert status == 304 and body == b""
    _, photo = await upload(server, alice.token, jpeg_with_exif(), "photo.jpg")
    status, body, headers = await download(server, alice.token, photo["thumbnail"])
    assert status == 200 and headers["Content-Type"] == "image/webp" and body[:4] == b"RIFF"
    await alice.close()


async def test_uploaded_on_node_a_downloaded_on_node_b(
    start_server: StartServer, tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    async with fresh_postgres_database() as url:
        redis = await checked_redis_url()
        prefix = f"chinwag-test-{secrets.token_hex(4)}"
        stores = [await open_store(url), await open_store(url)]
        buses = [RedisBus(redis, node, prefix=prefix) for node in ("a", "b")]
        try:
            nodes = []
            for name, store, bus in zip("ab", stores, buses, strict=True):
                data_dir = tmp_path / name
                data_dir.mkdir()
                nodes.append(
                    await start_server(
                        data_dir,
                        parts={"store": store, "bus": bus},
                        files_url=f"s3://{s3_bucket}",
                        files_endpoint=s3_endpoint,
                    )
                )
            a, b = nodes
            alice = await register(a.url, "alice")
            await (await register(b.url, "bob")).close()
            bob = await login(b.url, "bob")
            data = os.urandom(2 * 1024 * 1024)
            _, file = await upload(a, alice.token, data, "shared.bin")
            assert (await download(b, bob.token, file["id"]))[0] == 404
            await alice.ok(
                "send", room="general", body="here", client_msg_id="1", attachments=[file["id"]]
            )
            event = await bob.message("general", "here")
            assert event["attachments"][0]["id"] == file["id"]
            status, body, _ = await download(b, bob.token, file["id"])
            assert status == 200 and sha(body) == sha(data)
            await alice.close()
            await bob.close()
            for node in nodes:
                await node.close()
        finally:
            for bus in buses:
                await bus.close()
            for store in stores:
                await store.close()
