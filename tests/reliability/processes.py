"""Real processes for the reliability tests: `python -m chinwag serve` nodes and a Redis
server of the test's own, each on a fixed loopback port so that it can be killed with
SIGKILL and started again where its clients look for it.

Each node writes its output to a log file (appended across restarts), so that a long
run never blocks on a full pipe, and the tests can look for tracebacks afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import psutil

from tests.conftest import unavailable

#: What the server tests use: real argon2id at a cheap cost, no per-connection limits
#: (the load here is the test's own, not an attack).
FAST_ENV = {
    "CHINWAG_ARGON2_TIME_COST": "1",
    "CHINWAG_ARGON2_MEMORY_KIB": "64",
    "CHINWAG_ARGON2_PARALLELISM": "1",
    "CHINWAG_RATE_LIMIT": "0",
    "CHINWAG_FLOOD_LIMIT": "0",
}
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Every client of these tests comes from 127.0.0.1: the budgets that count by address
#: are off (tests/reliability/test_abuse.py is about them), as the bench has them.
BUDGETS_OFF = (
    *("--max-per-address", "0", "--max-anonymous", "0"),
    *("--registrations-per-hour", "0", "--rooms-per-day", "0"),
)


class Node:
    """One `chinwag serve` process on `port`; `start` again after `kill` restarts it."""

    def __init__(
        self, data_dir: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.args = args
        self.port = port or free_port()
        self.env = {**FAST_ENV, **(env or {})}
        self.proc: asyncio.subprocess.Process | None = None
        self.log = data_dir / f"node-{self.port}.log"
        self.starts = 0
        #: Seconds from each start to the node answering /healthz.
        self.start_times: list[float] = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        env.pop("CHINWAG_CONFIG", None)
        started = time.monotonic()
        with self.log.open("ab") as log:
            log.write(f"\n=== start {self.starts + 1}\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "chinwag", "serve", "--port", str(self.port)),
                *("--data-dir", str(self.data_dir)),
                *BUDGETS_OFF,
                *self.args,
                stdout=log,
                stderr=log,
                env=env,
            )
        self.starts += 1
        async with aiohttp.ClientSession() as session:
            deadline = started + START_TIMEOUT
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"node exited: {self.log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node not up in {START_TIMEOUT} s: {self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(f"{self.http}/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.05)
        self.start_times.append(time.monotonic() - started)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing but what the database has."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        assert self.proc is not None
        async with asyncio.timeout(30):
            return await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM, the graceful way; returns the exit status."""
        if self.proc is None:
            return 0
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.wait()

    def rss(self) -> int:
        """Resident memory of the node's process, in bytes."""
        return int(psutil.Process(self.pid).memory_info().rss)

    def tail(self, size: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0

    def traceback_text(self, most: int = 3) -> str:
        """The first `most` tracebacks in the log, each with the line that logged it."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        blocks: list[str] = []
        for i, line in enumerate(lines):
            if line.startswith("Traceback") and len(blocks) < most:
                end = i + 1
                while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                    end += 1
                blocks.append("\n".join(lines[max(0, i - 1) : end + 1]))
        return "\n\n".join(blocks)


class OwnRedis:
    """A redis-server of the test's own on a loopback port: killed and restarted at will
    (never the machine's)."""

    def __init__(self, directory: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            unavailable("redis-server is not installed (these tests start and kill their own)")
        assert exe is not None
        self.exe = exe
        self.dir = directory
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            self.exe,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", str(self.dir)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    return
                await asyncio.sleep(0.05)

    async def restart(self) -> None:
        """SIGKILL, then a new Redis on the same port: everything it held is gone."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()
        await self.start()
        self.restarts += 1

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


async def stop_all(nodes: Sequence[Node]) -> None:
    for node in nodes:
        if node.proc is not None and node.proc.returncode is None:
            node.kill()
            await node.wait()
