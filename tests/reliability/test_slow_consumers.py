"""Slow consumers: ten clients stop reading (a socket with a tiny receive buffer that is
never read) while a sender posts a steady stream of large messages to a room everyone
is in. The slow ones are dropped once `max_outgoing` bytes wait for them; the server's
memory stays within that bound (plus a fixed allowance); and the others keep receiving
every message promptly (their p99 delivery latency is printed and held under a
generous functional bound).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from pathlib import Path

import aiohttp
import pytest

from tests.reliability.conftest import Record
from tests.reliability.figures import scale
from tests.reliability.processes import Node, stop_all
from tests.server.support import RawWs, WsClient, register

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

SLOW = 10
FAST = scale(10, 40)
MESSAGES = scale(2000, 6000)
BODY = 3900  # characters: under max_body (4000)
MAX_OUTGOING = 256 * 1024
#: A delivery to a reading client takes less than this at the 99th percentile
#: (a functional bound: without the cut-off, the sender's fan-out would stall on the
#: slow sockets' buffers and deliveries would wait for them).
P99_BOUND = 2.0
#: What the server may grow by beyond the bytes it may hold for the slow clients.
RSS_ALLOWANCE = 48 * 1024 * 1024


async def _metric(node: Node, name: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{node.http}/metrics") as r:
        text = await r.text()
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _watch_rss(node: Node, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], node.rss())
        await asyncio.sleep(0.05)


@pytest.mark.timeout(scale(120, 600))
async def test_slow_consumers_are_dropped_and_slow_nobody_down(
    tmp_path: Path, figure: Record
) -> None:
    node = Node(tmp_path / "data", env={"CHINWAG_MAX_OUTGOING": str(MAX_OUTGOING)})
    slow: list[RawWs] = []
    fast: list[WsClient] = []
    try:
        await node.start()
        sender = await register(node.url, "sender")
        fast.append(sender)
        for i in range(FAST):
            fast.append(await register(node.url, f"fast{i}"))  # after the sender
        for i in range(SLOW):
            raw = await RawWs.connect(node.url, rcvbuf=4096)
            reply = await raw.request("register", username=f"slow{i}", password="correct horse")
            assert reply["type"] == "ok", reply
            slow.append(raw)  # and never read again
        await asyncio.sleep(0.5)
        baseline = node.rss()
        peak = [baseline]
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch_rss(node, peak, stop))
        latencies: list[float] = []
        pad = "x" * BODY

        async def receive(client: WsClient) -> None:
            for n in range(MESSAGES):
                frame = await client.wait_for(
                    lambda f: f.get("type") == "message" and f["message"]["sender"] == "sender",
                    timeout=30,
                )
                got = frame["message"]
                assert got["body"].startswith(f"{n} "), (n, got["body"][:30])
                stamp = int(got["body"].split(" ", 2)[1])
                latencies.append((time.monotonic_ns() - stamp) / 1e9)

        receivers = [asyncio.create_task(receive(client)) for client in fast[1:]]
        refused = 0
        for n in range(MESSAGES):
            while True:  # an overloaded server may ask to wait: then the same send again
                body = f"{n} {time.monotonic_ns()} {pad}"[:BODY]
                reply = await sender.request(
                    "send", room="general", body=body, client_msg_id=f"m{n}"
                )
                if reply["type"] == "ok":
                    break
                assert reply["code"] == "rate_limited", reply
                refused += 1
                await asyncio.sleep(reply["retry_after"] or 0.1)
        async with asyncio.timeout(60):
            await asyncio.gather(*receivers)
        stop.set()
        await watcher
        drops = await _metric(node, "chinwag_queue_drops_total")
        offline = set()
        async with asyncio.timeout(10):
            while len(offline) < SLOW:
                event = await sender.event("presence", online=False)
                offline.add(event["user"])
        after = node.rss()
    finally:
        for raw in slow:
            raw.abort()
        for client in fast:
            await client.close()
        await stop_all([node])
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    growth = peak[0] - baseline
    figure(
        "slow consumers",
        f"{SLOW} stop reading, {FAST} read",
        messages=MESSAGES,
        message_bytes=BODY,
        deliveries=len(latencies),
        p50_ms=round(statistics.median(latencies) * 1000, 1),
        p99_ms=round(p99 * 1000, 1),
        max_ms=round(latencies[-1] * 1000, 1),
        slow_dropped=int(drops),
        rss_baseline_mib=round(baseline / 2**20, 1),
        rss_peak_growth_mib=round(growth / 2**20, 1),
        max_outgoing_kib=MAX_OUTGOING // 1024,
        sends_asked_to_wait=refused,
    )
    assert len(latencies) == FAST * MESSAGES  # every reader got every message, in order
    assert drops == SLOW
    assert offline == {f"slow{i}" for i in range(SLOW)}
    assert p99 < P99_BOUND
    assert growth < SLOW * MAX_OUTGOING + RSS_ALLOWANCE
    assert after < baseline + SLOW * MAX_OUTGOING + RSS_ALLOWANCE
