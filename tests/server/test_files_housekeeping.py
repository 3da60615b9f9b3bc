"""The sweep of files, `chinwag admin files`, and an upload over the limit refused
without the server's memory growing by its size (measured, and printed)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from chinwag.cli import main
from chinwag.server.context import now_ms
from chinwag.server.files import FILES
from chinwag.server.housekeeping import sweep
from tests.files.support import download, sha, upload
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import register

DAY_MS = 86_400_000


def blobs_on_disk(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "files" / "blobs").rglob("*") if p.is_file()}


async def test_the_sweep_removes_deleted_and_never_sent_files(
    server: RunningServer, tmp_path: Path
) -> None:
    alice = await register(server.url, "alice")
    deleted, unsent, kept = (os.urandom(1000) for _ in range(3))
    ids = {}
    for name, data in (("deleted", deleted), ("unsent", unsent), ("kept", kept)):
        ids[name] = (await upload(server, alice.token, data, name))[1]["id"]
    for n, name in enumerate(("deleted", "kept")):
        sent = await alice.ok(
            "send", room="general", body=name, client_msg_id=str(n), attachments=[ids[name]]
        )
        if name == "deleted":
            await alice.ok("delete_message", room="general", seq=sent["message"]["seq"])
    files = server.app[FILES]
    store = server.ctx.store
    # Within the day: only the deleted message's file goes (its bytes once unused a while).
    swept = await sweep(files, store, now=now_ms() + 2 * 3_600_000)
    assert (swept.files, len(swept.blobs)) == (1, 1)
    assert blobs_on_disk(tmp_path) == {sha(unsent), sha(kept)}
    assert (await download(server, alice.token, ids["deleted"]))[0] == 404
    # A day on, the upload never sent goes too.
    swept = await sweep(files, store, now=now_ms() + DAY_MS + 2 * 3_600_000)
    assert (swept.files, len(swept.blobs)) == (1, 1)
    assert blobs_on_disk(tmp_path) == {sha(kept)}
    status, body, _ = await download(server, alice.token, ids["kept"])
    assert status == 200 and body == kept
    await alice.close()


async def test_admin_files_lists_usage_and_deletes(
    server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = await register(server.url, "alice")
    data = os.urandom(2000)
    _, file = await upload(server, alice.token, data, "report.pdf")

    def admin(*args: str) -> int:
        return main(["admin", "--data-dir", str(tmp_path), "files", *args])

    assert await asyncio.to_thread(admin) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "2.0 KB" in out and "1 users" in out
    assert await asyncio.to_thread(admin, "--user", "alice") == 0
    out = capsys.readouterr().out
    assert file["id"] in out and "report.pdf" in out and "unsent" in out
    assert await asyncio.to_thread(admin, "--delete", file["id"]) == 0
    assert f"deleted {file['id']}" in capsys.readouterr().out
    assert (await download(server, alice.token, file["id"]))[0] == 404
    assert blobs_on_disk(tmp_path) == set()
    assert await asyncio.to_thread(admin, "--delete", file["id"]) == 1
    await alice.close()


async def test_an_upload_over_the_limit_is_refused_without_holding_it(
    start_server: StartServer,
) -> None:
    server = await start_server(max_upload=25 * 1024 * 1024)
    alice = await register(server.url, "alice")
    process = psutil.Process()
    sent = 0
    chunk = os.urandom(1024 * 1024)
    peak = before = process.memory_info().rss

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(100):  # 100 MB, four times the limit, no Content-Length
            sent += len(chunk)
            yield chunk

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    headers = {"Authorization": f"Bearer {alice.token}"}
    async with aiohttp.ClientSession() as http:
        url = server.http("/api/files")
        async with http.post(url, data=body(), headers=headers) as reply:
            status, answer = reply.status, await reply.json()
    watcher.cancel()
    growth = (peak - before) / 1e6
    print(
        f"\nupload of {sent / 1e6:.0f} MB sent (limit 26 MB): {status}; "
        f"peak RSS growth {growth:.1f} MB"
    )
    assert status == 413 and answer["code"] == "too_large"
    assert growth < 20, f"the server's memory grew by {growth:.1f} MB"
    assert not list((server.ctx.config.data_dir / "uploads-tmp").iterdir())  # nothing left
    await alice.close()
