"""The client's file calls (client/files.py) against a real server on loopback: an
upload's round trip with a hash check, progress, a message carrying it, the thumbnail,
refusals in words, and a cancelled upload."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from chinwag.client.files import FileError, Files, http_base, size_text
from tests.client.conftest import RestartableServer

Make = Callable[..., Any]
PASSWORD = "correct horse"


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 30)).save(out, "PNG")
    return out.getvalue()


def test_http_base() -> None:
    assert http_base("ws://127.0.0.1:8080/ws") == "http://127.0.0.1:8080"
    assert http_base("wss://chat.example.org/ws") == "https://chat.example.org"
    assert http_base("wss://example.org/chat/ws") == "https://example.org/chat"


def test_size_text() -> None:
    assert size_text(1) == "1 byte"
    assert size_text(912) == "912 bytes"
    assert size_text(48_000) == "48 KB"
    assert size_text(3_400_000) == "3.4 MB"


async def test_round_trip_with_progress_and_a_message(
    restartable: RestartableServer, clients: Make, tmp_path: Path
) -> None:
    ada, _ = await clients(restartable.url)
    await ada.register("ada", PASSWORD)
    bob, bob_events = await clients(restartable.url)
    await bob.register("bob", PASSWORD)
    data = png(900, 600)
    path = tmp_path / "harbour.png"
    path.write_bytes(data)
    files = Files(ada.url, ada.token)
    seen: list[tuple[int, int]] = []
    try:
        att = await files.upload(path, progress=lambda sent, total: seen.append((sent, total)))
        assert att.name == "harbour.png" and att.content_type == "image/png"
        assert (att.width, att.height) == (900, 600) and att.thumbnail
        assert seen[-1] == (len(data), len(data))
        assert [s for s, _ in seen] == sorted(s for s, _ in seen)

        sent = await ada.send("general", "a photo", attachments=[att.id])
        assert sent.attachments and sent.attachments[0].id == att.id
        got = await bob_events.wait_message("general", "a photo")
        assert got.attachments and got.attachments[0].thumbnail == att.thumbnail

        bob_files = Files(bob.url, bob.token)
        try:
            served = await bob_files.download(att.id)
            assert hashlib.sha256(served).digest() == hashlib.sha256(data).digest()
            thumb = Image.open(io.BytesIO(await bob_files.download(att.thumbnail or "")))
            assert max(thumb.size) <= 320
            target = tmp_path / "saved.png"
            await bob_files.save(att.id, target)
            assert target.read_bytes() == data
        finally:
            await bob_files.close()
    finally:
        await files.close()


async def test_refusals_are_told_in_words(
    restartable: RestartableServer, clients: Make, tmp_path: Path
) -> None:
    await restartable.stop()
    await restartable.start(max_upload=50_000)
    ada, _ = await clients(restartable.url)
    await ada.register("ada", PASSWORD)
    files = Files(ada.url, ada.token)
    anonymous = Files(ada.url, "not-a-token")
    try:
        assert (await files.limits()).max_upload == 50_000
        with pytest.raises(FileError) as big:
            await files.upload(b"x" * 60_000, "big.bin")
        assert big.value.status == 413 and "50 KB" in big.value.message
        # The server's own check, past the client's: its limit shrank meanwhile.
        files._limits = None
        await files.limits()
        assert files._limits is not None
        files._limits.max_upload = 10**9
        with pytest.raises(FileError) as server_said:
            await files.upload(b"x" * 60_000, "big.bin")
        assert server_said.value.code == "too_large"
        with pytest.raises(FileError) as missing:
            await files.download("nosuchfile")
        assert missing.value.status == 404
        with pytest.raises(FileError) as unknown:
            await anonymous.upload(b"hello", "a.txt")
        assert unknown.value.code == "invalid_token"
    finally:
        await files.close()
        await anonymous.close()


async def test_a_cancelled_upload_stops(
    restartable: RestartableServer, clients: Make, tmp_path: Path
) -> None:
    ada, _ = await clients(restartable.url)
    await ada.register("ada", PASSWORD)
    files = Files(ada.url, ada.token)
    started = asyncio.Event()
    path = tmp_path / "big.bin"
    path.write_bytes(b"\0" * (8 * 1024 * 1024))

    def progress(sent: int, _total: int) -> None:
        started.set()

    try:
        task = asyncio.create_task(files.upload(path, progress=progress))
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The connection is usable afterwards: the next upload goes through.
        att = await files.upload(b"after", "after.txt")
        assert att.size == 5
    finally:
        await files.close()
