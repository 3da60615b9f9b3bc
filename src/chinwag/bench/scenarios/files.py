"""files: uploads and downloads over HTTP; MB/s and requests/s, and the server's memory
while 20 clients each upload 25 MB at once."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from chinwag.bench import seed
from chinwag.bench.harness import BenchError, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.target import Target, cheap_hash, running

MB = 1_000_000
#: The server's limits, opened so that the bench measures the doors, not the budgets.
ENV = {
    "CHINWAG_UPLOAD_QUOTA": "0",
    "CHINWAG_FILES_CAP": "0",
    "CHINWAG_UPLOADS_PER_USER": "64",
    "CHINWAG_MAX_UPLOADS": "256",
}


def files(opts: Options, clients: int = 20, size: int = 25 * 1024 * 1024) -> dict[str, Any]:
    """`clients` uploads of `size` bytes at once (each different: no deduplication), then
    their downloads; then small (10 KB) uploads and downloads for `opts.measure` s."""
    if opts.quick:
        clients, size = 4, 1024 * 1024
    plan = seed.Plan(users=clients, password_hash=cheap_hash())
    result = header(opts, "files")
    result.update(clients=clients, size=size)
    opts.log(f"files: {clients} clients uploading {size / 2**20:.0f} MiB each at once")
    with running(opts, plan, env=ENV) as target:
        if target.login != "resume" or target.proc is None:
            raise BenchError("the files scenario needs a server it starts (seeded sessions)")
        result["run"] = asyncio.run(_measure(opts, target, clients, size))
        result["run"]["loop"] = target.health.get("loop")
    result["load_after"] = loadavg()
    run = result["run"]
    opts.log(
        f"  upload {run['upload']['mb_per_s']} MB/s, download {run['download']['mb_per_s']} "
        f"MB/s; RSS {run['upload']['rss_before_mb']} -> peak {run['upload']['rss_peak_mb']} MB; "
        f"small: {run['small_upload']['per_s']} uploads/s, "
        f"{run['small_download']['per_s']} downloads/s"
    )
    return result


async def _measure(opts: Options, target: Target, clients: int, size: int) -> dict[str, Any]:
    base = f"http://{target.host}:{target.port}/api/files"
    block = os.urandom(1024 * 1024)
    tokens = [seed.token(i) for i in range(clients)]
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, target.rss())
            await asyncio.sleep(0.02)

    async def body(n: int) -> AsyncIterator[bytes]:
        yield n.to_bytes(8, "big") + os.urandom(8)  # distinct files: nothing deduplicated
        left = size - 16
        while left > 0:
            piece = block[: min(left, len(block))]
            left -= len(piece)
            yield piece

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def upload(n: int, data: Any, name: str) -> str:
            headers = {"Authorization": f"Bearer {tokens[n % clients]}"}
            async with http.post(base, data=data, headers=headers, params={"name": name}) as r:
                if r.status != 201:
                    raise BenchError(f"upload: {r.status} {await r.text()}")
                return str((await r.json())["id"])

        async def download(n: int, file_id: str) -> int:
            headers = {"Authorization": f"Bearer {tokens[n % clients]}"}
            got = 0
            async with http.get(f"{base}/{file_id}", headers=headers) as r:
                if r.status != 200:
                    raise BenchError(f"download: {r.status}")
                async for chunk in r.content.iter_chunked(1024 * 1024):
                    got += len(chunk)
            return got

        before = target.rss()
        peak = before
        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        ids = await asyncio.gather(*(upload(n, body(n), f"big-{n}.bin") for n in range(clients)))
        took = time.perf_counter() - started
        after = target.rss()
        watcher.cancel()
        up = {
            "seconds": round(took, 2),
            "mb_per_s": round(clients * size / MB / took, 1),
            "rss_before_mb": round(before / MB, 1),
            "rss_peak_mb": round(peak / MB, 1),
            "rss_after_mb": round(after / MB, 1),
        }
        started = time.perf_counter()
        got = await asyncio.gather(*(download(n, ids[n]) for n in range(clients)))
        took = time.perf_counter() - started
        if got != [size] * clients:
            raise BenchError(f"downloads came short: {got}")
        down = {"seconds": round(took, 2), "mb_per_s": round(clients * size / MB / took, 1)}

        small = os.urandom(10_000)
        count = 0
        small_ids: dict[int, list[str]] = {n: [] for n in range(clients)}

        async def small_uploads(n: int, until: float) -> None:
            nonlocal count
            i = 0
            while time.perf_counter() < until:
                i += 1
                data = n.to_bytes(4, "big") + i.to_bytes(4, "big") + small[8:]
                small_ids[n].append(await upload(n, data, "small.bin"))
                count += 1

        await asyncio.sleep(opts.warmup)
        started = time.perf_counter()
        await asyncio.gather(*(small_uploads(n, started + opts.measure) for n in range(clients)))
        took = time.perf_counter() - started
        small_up = {"requests": count, "per_s": round(count / took, 1)}

        count = 0

        async def small_downloads(n: int, until: float) -> None:
            nonlocal count
            mine = small_ids[n] or [ids[n]]
            i = 0
            while time.perf_counter() < until:
                await download(n, mine[i % len(mine)])
                i += 1
                count += 1

        started = time.perf_counter()
        await asyncio.gather(*(small_downloads(n, started + opts.measure) for n in range(clients)))
        took = time.perf_counter() - started
        small_down = {"requests": count, "per_s": round(count / took, 1)}
    return {
        "upload": up,
        "download": down,
        "small_upload": small_up,
        "small_download": small_down,
        "server_cpu": round(target.cpu(), 2),
    }
