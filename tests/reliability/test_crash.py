"""Crash safety: the server process killed with SIGKILL again and again under a steady
send load, on one node (SQLite) and on two (PostgreSQL and Redis, each node its own
process, Redis killed and restarted too). The clients (`chinwag.client`) keep sending,
reconnecting and resending by themselves. Afterwards every acknowledged message is in
the database as it was acknowledged, none is stored twice, and every room's seqs run
1, 2, 3, ... with no gap.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database
from tests.reliability.conftest import Record
from tests.reliability.durability import Row, Senders, audit, postgres_rows, sqlite_rows
from tests.reliability.figures import scale
from tests.reliability.processes import Node, OwnRedis, stop_all

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

KILLS = scale(5, 25)
SENDERS = scale(4, 12)
#: Acknowledgements between one restart and the next kill: the load is really on.
LOAD_BETWEEN_KILLS = scale(60, 400)
#: How long a killed node stays down before it is started again, at most.
DOWN = 0.5
#: Every client has caught up on every room within this of the load stopping.
CATCH_UP = 20.0


async def _kill_under_load(node: Node, senders: Senders, rng: random.Random) -> float:
    """Wait for load, SIGKILL the node at a random moment, restart it; the seconds it
    took to answer again."""
    await senders.wait_acks(len(senders.acked) + LOAD_BETWEEN_KILLS, timeout=60)
    await asyncio.sleep(rng.uniform(0, 0.2))
    node.kill()
    senders.in_flight_at_kills += senders.in_flight()
    await node.wait()
    await asyncio.sleep(rng.uniform(0, DOWN))
    await node.start()
    return node.start_times[-1]


async def _caught_up(senders: Senders, last: dict[str, int]) -> float:
    """Wait until every client holds every room up to its last seq; the seconds it took."""
    started = time.monotonic()
    async with asyncio.timeout(CATCH_UP):
        while True:
            behind = [
                (s.name, room)
                for s in senders.senders
                for room in s.rooms
                if s.client.last_seq.get(room, 0) < last[room]
            ]
            if not behind:
                return time.monotonic() - started
            await asyncio.sleep(0.05)


def _last_seqs(rows: list[Row]) -> dict[str, int]:
    last: dict[str, int] = {}
    for row in rows:
        last[row.room] = max(last.get(row.room, 0), row.seq)
    return last


@pytest.mark.timeout(scale(120, 900))
async def test_one_node_keeps_every_acknowledged_message_through_sigkills(
    tmp_path: Path, figure: Record
) -> None:
    rng = random.Random()
    node = Node(tmp_path / "data")
    senders = Senders()
    try:
        await node.start()
        first = await senders.add(node.url, "s0", ["general"])
        room = (await first.client.create_room("Crash Site")).id
        first.rooms.append(room)
        for i in range(1, SENDERS):
            sender = await senders.add(node.url, f"s{i}", ["general", room])
            await sender.client.join(room)
        senders.start()
        restarts = [await _kill_under_load(node, senders, rng) for _ in range(KILLS)]
        await senders.wait_acks(len(senders.acked) + LOAD_BETWEEN_KILLS, timeout=60)
        await senders.stop()
        rows = sqlite_rows(tmp_path / "data" / "chinwag.db")
        caught_up = await _caught_up(senders, _last_seqs(rows))
    finally:
        await senders.close()
        await stop_all([node])
    result = audit(senders.acked, rows)
    figure(
        "crash",
        "one node, SQLite",
        sigkills=KILLS,
        clients=SENDERS,
        **{k: v for k, v in result.items() if not k.startswith("_")},
        in_flight_at_kills=senders.in_flight_at_kills,
        slowest_restart_s=round(max(restarts), 2),
        clients_caught_up_s=round(caught_up, 2),
        server_tracebacks=node.tracebacks(),
    )
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["stored"] == result["acknowledged"]  # every send ended acknowledged
    assert not result["_gaps"], result["_gaps"]
    assert node.starts == KILLS + 1
    assert node.tracebacks() == 0, node.traceback_text()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(scale(150, 900))
async def test_two_nodes_keep_every_acknowledged_message_through_sigkills_and_a_redis_restart(
    tmp_path: Path, figure: Record
) -> None:
    rng = random.Random()
    redis = OwnRedis(tmp_path / "redis")
    senders = Senders()
    nodes: list[Node] = []
    async with fresh_postgres_database() as url:
        try:
            await redis.start()
            for name in "ab":
                args = ("--database-url", url, "--bus-url", redis.url, "--node-id", name)
                nodes.append(Node(tmp_path / name, *args))
            for node in nodes:
                await node.start()
            first = await senders.add(nodes[0].url, "s0", ["general"])
            room = (await first.client.create_room("Crash Site")).id
            first.rooms.append(room)
            for i in range(1, SENDERS):
                sender = await senders.add(nodes[i % 2].url, f"s{i}", ["general", room])
                await sender.client.join(room)
            senders.start()
            restarts = []
            for k in range(KILLS):
                restarts.append(await _kill_under_load(nodes[k % 2], senders, rng))
                if k == KILLS // 2:  # Redis too, under load: every key and channel gone
                    await senders.wait_acks(len(senders.acked) + LOAD_BETWEEN_KILLS, 60)
                    await redis.restart()
            await senders.wait_acks(len(senders.acked) + LOAD_BETWEEN_KILLS, timeout=60)
            await senders.stop()
            rows = await postgres_rows(url)
            caught_up = await _caught_up(senders, _last_seqs(rows))
        finally:
            await senders.close()
            await stop_all(nodes)
            await redis.stop()
    result = audit(senders.acked, rows)
    figure(
        "crash",
        "two nodes, PostgreSQL + Redis",
        sigkills=KILLS,
        redis_restarts=redis.restarts,
        clients=SENDERS,
        **{k: v for k, v in result.items() if not k.startswith("_")},
        in_flight_at_kills=senders.in_flight_at_kills,
        slowest_restart_s=round(max(restarts), 2),
        clients_caught_up_s=round(caught_up, 2),
        server_tracebacks=sum(node.tracebacks() for node in nodes),
    )
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["stored"] == result["acknowledged"]
    assert not result["_gaps"], result["_gaps"]
    assert redis.restarts == 1
    for node in nodes:
        assert node.tracebacks() == 0, node.traceback_text()
