"""What only the Redis bus does: crash detection, reconnection, its keys."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from chinwag.bus._tasks import cancel_and_wait
from chinwag.bus.base import PresenceChanged, Resync
from chinwag.bus.redis import RedisBus
from tests.bus.conftest import WAIT, Cluster, Recorder, note, online_soon, redis_keys

#: Fast enough to see a node die within about a second.
QUICK = {"heartbeat": 0.2, "node_ttl": 1.0}


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client for inspecting the test's keys and connections."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


def redis_bus(bus: object) -> RedisBus:
    assert isinstance(bus, RedisBus)
    return bus


async def crash(bus: RedisBus) -> None:
    """Stop `bus` as a killed process would: tasks and connections gone, keys left."""
    bus._closed = True
    await cancel_and_wait(*bus._tasks)
    await bus._sub.aclose()
    await bus._redis.aclose()


@pytest.mark.redis
async def test_a_crashed_node_is_reaped_once_and_every_survivor_hears_it(
    redis_cluster: Cluster, admin: aioredis.Redis
) -> None:
    a = await redis_cluster.node("a", **QUICK)
    c = await redis_cluster.node("c", **QUICK)
    doomed = redis_bus(redis_cluster.bus("doomed", **QUICK))
    await doomed.start(Recorder())
    doomed.set_online("only-doomed", True)
    doomed.set_online("both", True)
    a.bus.set_online("both", True)
    await online_soon(c.bus, {"only-doomed", "both"})

    await crash(doomed)

    offline = PresenceChanged(origin="doomed", user="only-doomed", online=False)
    assert await a.seen.wait_for(1) == [offline]
    assert await c.seen.wait_for(1) == [offline]
    await online_soon(a.bus, {"both"})
    await online_soon(c.bus, {"both"})
    prefix = redis_cluster.prefix
    assert await admin.smembers(f"{prefix}:nodes") == {"a", "c"}
    assert not await admin.exists(f"{prefix}:online:doomed", f"{prefix}:node:doomed")

    # Later heartbeats of both survivors announce nothing more.
    await asyncio.sleep(3 * QUICK["heartbeat"])
    a.bus.publish(note("marker-a"))
    c.bus.publish(note("marker-c"))
    assert await a.seen.wait_for(2) == [offline, note("marker-c", origin="c")]
    assert await c.seen.wait_for(2) == [offline, note("marker-a", origin="a")]


@pytest.mark.redis
async def test_a_stalled_node_that_was_reaped_rejoins_and_announces_its_users(
    redis_cluster: Cluster,
) -> None:
    a = await redis_cluster.node("a", **QUICK)
    stalled = redis_bus(redis_cluster.bus("stalled", **QUICK))
    await stalled.start(Recorder())
    stalled.set_online("sam", True)
    await online_soon(a.bus, {"sam"})

    heartbeat = stalled._tasks[2]
    await cancel_and_wait(heartbeat)
    assert await a.seen.wait_for(1) == [PresenceChanged(origin="stalled", user="sam", online=False)]
    await online_soon(a.bus, set())

    stalled._tasks[2] = asyncio.create_task(stalled._beat_forever())
    events = await a.seen.wait_for(2)
    assert events[1] == PresenceChanged(origin="stalled", user="sam", online=True)
    await online_soon(a.bus, {"sam"})


@pytest.mark.redis
async def test_a_node_restarted_under_its_old_id_retires_its_previous_users(
    redis_cluster: Cluster,
) -> None:
    a = await redis_cluster.node("a", **QUICK)
    before = redis_bus(redis_cluster.bus("x"))
    await before.start(Recorder())
    before.set_online("ursula", True)
    await online_soon(a.bus, {"ursula"})
    await crash(before)

    after = await redis_cluster.node("x")  # long before the old key would expire

    assert await a.seen.wait_for(1) == [PresenceChanged(origin="x", user="ursula", online=False)]
    await online_soon(a.bus, set())
    after.bus.set_online("victor", True)
    await online_soon(a.bus, {"victor"})


async def _client_ids(admin: aioredis.Redis, name: str) -> list[str]:
    return [str(c["id"]) for c in await admin.client_list() if c.get("name") == name]


@pytest.mark.redis
async def test_the_reader_resubscribes_after_its_connection_is_killed(
    redis_cluster: Cluster, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")
    a.bus.publish(note("before"))
    await b.seen.wait_for(1)
    name = f"{redis_cluster.prefix}:b:sub"
    [reader] = await _client_ids(admin, name)

    with caplog.at_level(logging.INFO, logger="chinwag.bus.redis"):
        assert await admin.client_kill_filter(_id=reader) == 1
        async with asyncio.timeout(5):
            while True:
                subscribed = [
                    c
                    for c in await admin.client_list()
                    if c.get("name") == name and c["sub"] == "1"
                ]
                if subscribed:
                    break
                await asyncio.sleep(0.01)
        a.bus.publish(note("after"))
        assert await b.seen.wait_for(3) == [
            note("before", origin="a"),
            Resync(origin="b"),  # b may have missed events: it is told to catch up
            note("after", origin="a"),
        ]

    assert await _client_ids(admin, name) != [reader]
    messages = [r.getMessage() for r in caplog.records if r.name == "chinwag.bus.redis"]
    assert any("b lost its subscription" in m for m in messages), messages
    assert any("b resubscribed" in m for m in messages), messages


@pytest.mark.redis
async def test_publish_survives_a_killed_command_connection(
    redis_cluster: Cluster, admin: aioredis.Redis
) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")
    for client_id in await _client_ids(admin, f"{redis_cluster.prefix}:a"):
        await admin.client_kill_filter(_id=client_id)

    a.bus.publish(note("still here"))
    assert await b.seen.wait_for(1) == [note("still here", origin="a")]


@pytest.mark.redis
async def test_an_undecodable_message_is_logged_and_skipped(
    redis_cluster: Cluster, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")

    with caplog.at_level(logging.ERROR, logger="chinwag.bus.redis"):
        await admin.publish(f"{redis_cluster.prefix}:events", b"\xc1 not msgpack")
        a.bus.publish(note("fine"))
        assert await b.seen.wait_for(1) == [note("fine", origin="a")]

    assert any("undecodable" in r.getMessage() for r in caplog.records)


async def _keys_soon(url: str, prefix: str, expected: set[str]) -> None:
    """Wait until the test's keys are `expected` (presence is written out shortly)."""
    keys = {f"{prefix}:{key}" for key in expected}
    async with asyncio.timeout(WAIT):
        while await redis_keys(url, prefix) != keys:  # noqa: ASYNC110 - polled on purpose
            await asyncio.sleep(0.01)


@pytest.mark.redis
async def test_closing_every_node_leaves_no_keys(redis_cluster: Cluster, redis_url: str) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")
    a.bus.set_online("alice", True)
    b.bus.set_online("bob", True)
    prefix = redis_cluster.prefix
    await _keys_soon(redis_url, prefix, {"nodes", "node:a", "node:b", "online:a", "online:b"})

    await a.bus.close()
    assert await redis_keys(redis_url, prefix) == {
        f"{prefix}:{key}" for key in ("nodes", "node:b", "online:b")
    }
    await b.bus.close()
    assert await redis_keys(redis_url, prefix) == set()


async def test_start_fails_fast_and_nothing_waits_when_redis_is_unreachable() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", "lonely", prefix=f"unused-{secrets.token_hex(4)}")
    try:
        async with asyncio.timeout(5):
            with pytest.raises(RedisConnectionError):
                await bus.start(Recorder())
        # publishing and presence return at once, whatever Redis does
        bus.publish(note("nobody hears"))
        bus.publish(note("nor this"))
        bus.set_online("alone", True)
        assert bus.online_users() == {"alone"}
        assert bus.waiting == 2
    finally:
        async with asyncio.timeout(5):
            await bus.close()


def test_heartbeat_must_be_shorter_than_the_node_ttl() -> None:
    with pytest.raises(ValueError):
        RedisBus("redis://127.0.0.1:6379/0", "x", heartbeat=5.0, node_ttl=5.0)
