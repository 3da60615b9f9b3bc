"""A reconnect storm: 500 connected clients (lean ones, `lean.py`) when the server is
restarted, and again when every connection drops at once. All come back (resume, then
`sync` from the last seq they hold), nothing is lost or delivered twice on a
connection, the messages sent meanwhile are stored exactly once, and the server's
memory comes back near its level afterwards.

Clients connect from many loopback addresses (127.0.0.2, .3, ...), fifty from each,
as clients behind a few routers would, so that a per-address connection budget at its
default does not turn the storm away.
"""

from __future__ import annotations

import asyncio
import collections
import time
from pathlib import Path

import msgspec
import pytest

from chinwag.bench import seed as bench_seed
from chinwag.protocol.types import Message
from chinwag.store.sql import sqlite_url
from tests.reliability.conftest import Record
from tests.reliability.durability import audit, sqlite_rows
from tests.reliability.figures import scale
from tests.reliability.lean import Lean
from tests.reliability.processes import Node, stop_all

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CLIENTS = scale(500, 2000)
PER_ADDRESS = 50
#: Clients that send messages while the storm is on, and how many each.
SENDERS = 20
PER_SENDER = 5
#: All clients are back within this (a functional bound, for 2 cores shared).
BACK_IN = scale(60, 180)
#: "Near its level": memory after the second storm against after the first.
RSS_SLACK = 1.25
RSS_ALLOWANCE = 32 * 1024 * 1024


async def _all_in(clients: list[Lean], timeout: float) -> tuple[float, float]:
    """Wait until every client is back in; (the median, the last) of their seconds."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        for client in clients:
            await client.ready.wait()
    back = sorted(c.ready_at - started for c in clients)
    return back[len(back) // 2], back[-1]


async def _all_hold(clients: list[Lean], upto: int, timeout: float = 30) -> None:
    """Until every client holds every seq 1..upto (polled: the clients have no event
    for it)."""
    want = set(range(1, upto + 1))
    try:
        async with asyncio.timeout(timeout):
            while any(not want <= c.seqs for c in clients):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    except TimeoutError:
        behind = [(c.name, sorted(want - c.seqs)[:5]) for c in clients if not want <= c.seqs]
        raise AssertionError(f"{len(behind)} clients miss messages, e.g. {behind[:5]}") from None


def _last_seq(path: Path) -> int:
    return max((r.seq for r in sqlite_rows(path) if r.room == "general"), default=0)


async def _chatter(clients: list[Lean], tag: str) -> None:
    for n in range(PER_SENDER):
        for client in clients[:SENDERS]:
            cmid = f"{tag}-{client.name}-{n}"
            client.queue(cmid, f"{cmid} in the storm")
        await asyncio.sleep(0.05)


@pytest.mark.timeout(scale(180, 900))
async def test_a_reconnect_storm_of_500_clients(tmp_path: Path, figure: Record) -> None:
    data = tmp_path / "data"
    db = data / "chinwag.db"
    plan = bench_seed.Plan(users=CLIENTS, password_hash=bench_seed.password_hash(1, 64, 1))
    await bench_seed.seed(sqlite_url(db), plan)
    node = Node(data)
    clients = [
        Lean(
            bench_seed.username(i),
            bench_seed.token(i),
            "127.0.0.1",
            node.port,
            f"127.0.0.{2 + i // PER_ADDRESS}",
        )
        for i in range(CLIENTS)
    ]
    try:
        await node.start()
        for client in clients:
            client.start()
        first_in = await _all_in(clients, BACK_IN)
        await _chatter(clients, "before")
        await _all_hold(clients, _last_seq(db))
        await asyncio.sleep(1.0)
        rss_connected = node.rss()

        # 1. the server restarts (SIGTERM: every client is told, 1012, and comes back)
        assert await node.stop() == 0
        async with asyncio.timeout(10):
            while any(c.ready.is_set() for c in clients):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await node.start()
        chatter = asyncio.create_task(_chatter(clients, "restart"))
        restart_in = await _all_in(clients, BACK_IN)
        await chatter
        await _all_hold(clients, _last_seq(db))
        await asyncio.sleep(1.0)
        rss_after_restart = node.rss()

        # 2. every connection drops at once, the same server process
        for client in clients:
            client.cut()
        chatter = asyncio.create_task(_chatter(clients, "blip"))
        blip_in = await _all_in(clients, BACK_IN)
        await chatter
        async with asyncio.timeout(30):
            while any(c.outbox for c in clients):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        last = _last_seq(db)
        await _all_hold(clients, last)
        await asyncio.sleep(1.0)
        rss_after_blip = node.rss()
        tracebacks = node.tracebacks()
    finally:
        for client in clients:
            await client.stop()
        await stop_all([node])
    acked = {cmid: m for c in clients for cmid, m in c.acked.items()}
    result = audit({k: msgspec.convert(v, Message) for k, v in acked.items()}, sqlite_rows(db))
    failures = sum((c.failures for c in clients), collections.Counter())
    print("failed attempts:", dict(failures))
    missing = sum(1 for c in clients if c.seqs != set(range(1, last + 1)))
    duplicates = sum(c.duplicate_events for c in clients)
    figure(
        "storm",
        f"{CLIENTS} clients, restart then a network blip",
        clients=CLIENTS,
        first_all_in_s=round(first_in[1], 1),
        restart_median_s=round(restart_in[0], 1),
        restart_all_in_s=round(restart_in[1], 1),
        blip_median_s=round(blip_in[0], 1),
        blip_all_in_s=round(blip_in[1], 1),
        connections=sum(c.connections for c in clients),
        failed_attempts=sum(failures.values()),
        sent_in_storms=result["acknowledged"],
        lost=result["lost"] + missing,
        duplicated=result["duplicated"] + duplicates,
        rss_connected_mib=round(rss_connected / 2**20, 1),
        rss_after_restart_mib=round(rss_after_restart / 2**20, 1),
        rss_after_blip_mib=round(rss_after_blip / 2**20, 1),
        server_tracebacks=tracebacks,
    )
    assert result["acknowledged"] == SENDERS * PER_SENDER * 3
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["stored"] == result["acknowledged"]
    assert not result["_gaps"]
    assert missing == 0  # every client holds every message, none missing
    assert duplicates == 0  # and no connection was sent one twice
    assert rss_after_blip < rss_after_restart * RSS_SLACK + RSS_ALLOWANCE
    assert rss_after_restart < rss_connected * RSS_SLACK + RSS_ALLOWANCE
    assert tracebacks == 0, node.traceback_text()
