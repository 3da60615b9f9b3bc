"""The bus is only a doorbell: with Redis frozen (SIGSTOP), sends on every node are still
acknowledged at once, and delivery across nodes resumes by itself when Redis is back,
with nothing lost and nothing twice.

These tests start a Redis server of their own on a loopback port, since they stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chinwag.bus.redis import RedisBus
from chinwag.store.base import Store
from chinwag.store.sql import open_store, sqlite_url
from tests.conftest import fresh_postgres_database, unavailable
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, register

pytestmark = pytest.mark.redis

#: Far below what a send waited on today's main with Redis frozen (a 5 s socket timeout,
#: retried): an acknowledgement must not wait for Redis at all.
PROMPT = 1.0
#: How long Redis stays frozen.
FROZEN = 3.0


@dataclass
class OwnRedis:
    url: str
    proc: asyncio.subprocess.Process
    frozen: bool = False

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)
        self.frozen = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[OwnRedis]:
    exe = shutil.which("redis-server")
    if exe is None:
        unavailable("redis-server is not installed (these tests start and freeze their own)")
    assert exe is not None
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        exe,
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        *("--dir", str(tmp_path)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    redis = OwnRedis(f"redis://127.0.0.1:{port}/0", proc)
    try:
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    break
                await asyncio.sleep(0.05)
        yield redis
    finally:
        if redis.frozen:
            redis.thaw()
        proc.terminate()
        await proc.wait()


async def _timed(client: WsClient, body: str, room: str = "general") -> float:
    started = time.monotonic()
    await client.ok("send", room=room, body=body, client_msg_id=body)
    return time.monotonic() - started


async def test_sends_on_one_node_do_not_wait_for_a_frozen_redis(
    own_redis: OwnRedis, start_server: StartServer
) -> None:
    bus = RedisBus(own_redis.url, "solo")
    server = await start_server(parts={"bus": bus})
    try:
        ada = await register(server.url, "ada")
        await _timed(ada, "warm up")
        own_redis.freeze()
        took = [await _timed(ada, f"frozen {n}") for n in range(10)]
        # logging in and listing users need no Redis either
        bob = await register(server.url, "bob")
        users = {u["username"]: u["online"] for u in (await bob.ok("users"))["users"]}
        own_redis.thaw()
        print(f"send acks with Redis frozen: max {max(took) * 1000:.0f} ms")
        assert max(took) < PROMPT
        assert users == {"ada": True, "bob": True}
        history = (await bob.ok("history", room="general"))["messages"]
        assert [m["body"] for m in history if m["body"].startswith("frozen")] == [
            f"frozen {n}" for n in range(10)
        ]
        await _timed(ada, "thawed")
        for client in (ada, bob):
            await client.close()
    finally:
        await server.close()
        await bus.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def shared_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = sqlite_url(tmp_path / "shared.db")
        else:
            url = await stack.enter_async_context(fresh_postgres_database())
        stores = (await open_store(url), await open_store(url))
        try:
            yield stores
        finally:
            for store in stores:
                await store.close()


async def test_two_nodes_keep_acknowledging_and_catch_up_after_redis_thaws(
    own_redis: OwnRedis, start_server: StartServer, shared_stores: tuple[Store, Store]
) -> None:
    buses = [RedisBus(own_redis.url, node, heartbeat=1.0, node_ttl=10.0) for node in "ab"]
    running: list[RunningServer] = []
    try:
        for store, bus in zip(shared_stores, buses, strict=True):
            running.append(await start_server(parts={"store": store, "bus": bus}))
        a, b = running
        alice = await register(a.url, "alice")
        bob = await register(b.url, "bob")
        await _timed(alice, "before")
        await bob.message("general", "before")

        own_redis.freeze()
        took = []
        for n in range(5):
            took.append(await _timed(alice, f"alice {n}"))
            took.append(await _timed(bob, f"bob {n}"))
        await asyncio.sleep(FROZEN)
        own_redis.thaw()
        print(f"send acks on two nodes with Redis frozen: max {max(took) * 1000:.0f} ms")
        assert max(took) < PROMPT

        # delivery across the nodes resumes by itself, in order, nothing lost
        for client, other in ((alice, "bob"), (bob, "alice")):
            for n in range(5):
                got = await client.message("general", f"{other} {n}", timeout=20)
                assert got["sender"] == other
        await asyncio.sleep(0.5)  # anything delivered twice would be here by now
        for client in (alice, bob):
            bodies = [m["body"] for m in client.messages("general")]
            assert len(bodies) == len(set(bodies)), bodies
            seqs = [m["seq"] for m in client.messages("general")]
            assert seqs == sorted(seqs)
        for client in (alice, bob):
            await client.close()
    finally:
        for server in running:
            await server.close()
        for bus in buses:
            await bus.close()
