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
from chinwag.bus.base import PresenceChanged, Resync, UserChanged
from chinwag.bus.redis import RedisBus
from tests.bus.conftest import Cluster, Recorder, redis_keys

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
    await doomed.set_online("only-doomed", True)
    await doomed.set_online("both", True)
    await a.bus.set_online("both", True)
    assert await c.bus.online_users() == {"only-doomed", "both"}

    await crash(doomed)

    offline = PresenceChanged(origin="doomed", user="only-doomed", online=False)
    assert await a.seen.wait_for(1) == [offline]
    assert await c.seen.wait_for(1) == [offline]
    assert await a.bus.online_users() == {"both"}
    assert await c.bus.online_users() == {"both"}
    prefix = redis_cluster.prefix
    assert await admin.smembers(f"{prefix}:nodes") == {"a", "c"}
    assert not await admin.exists(f"{prefix}:online:doomed", f"{prefix}:node:doomed")

    # Later heartbeats of both survivors announce nothing more.
    await asyncio.sleep(3 * QUICK["heartbeat"])
    await a.bus.publish(UserChanged(user="marker-a"))
    await c.bus.publish(UserChanged(user="marker-c"))
    assert await a.seen.wait_for(2) == [offline, UserChanged(origin="c", user="marker-c")]
    assert await c.seen.wait_for(2) == [offline, UserChanged(origin="a", user="marker-a")]


@pytest.mark.redis
async def test_a_stalled_node_that_was_reaped_rejoins_and_announces_its_users(
    redis_cluster: Cluster,
) -> None:
    a = await redis_cluster.node("a", **QUICK)
    stalled = redis_bus(redis_cluster.bus("stalled", **QUICK))
    await stalled.start(Recorder())
    await stalled.set_online("sam", True)

    heartbeat = stalled._tasks[2]
    await cancel_and_wait(heartbeat)
    assert await a.seen.wait_for(1) == [PresenceChanged(origin="stalled", user="sam", online=False)]
    assert await a.bus.online_users() == set()

    stalled._tasks[2] = asyncio.create_task(stalled._beat_forever())
    events = await a.seen.wait_for(2)
    assert events[1] == PresenceChanged(origin="stalled", user="sam", online=True)
    assert await a.bus.online_users() == {"sam"}


@pytest.mark.redis
async def test_a_node_restarted_under_its_old_id_retires_its_previous_users(
    redis_cluster: Cluster,
) -> None:
    a = await redis_cluster.node("a")
    before = redis_bus(redis_cluster.bus("x"))
    await before.start(Recorder())
    await before.set_online("ursula", True)
    await crash(before)

    after = await redis_cluster.node("x")  # long before the old key would expire

    assert await a.seen.wait_for(1) == [PresenceChanged(origin="x", user="ursula", online=False)]
    assert await a.bus.online_users() == set()
    await after.bus.set_online("victor", True)
    assert await a.bus.online_users() == {"victor"}


async def _client_ids(admin: aioredis.Redis, name: str) -> list[str]:
    return [str(c["id"]) for c in await admin.client_list() if c.get("name") == name]


@pytest.mark.redis
async def test_the_reader_resubscribes_after_its_connection_is_killed(
    redis_cluster: Cluster, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")
    await a.bus.publish(UserChanged(user="before"))
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
        await a.bus.publish(UserChanged(user="after"))
        assert await b.seen.wait_for(3) == [
            UserChanged(origin="a", user="before"),
            Resync(origin="b"),  # b may have missed events: it is told to catch up
            UserChanged(origin="a", user="after"),
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

    await a.bus.publish(UserChanged(user="still here"))
    assert await b.seen.wait_for(1) == [UserChanged(origin="a", user="still here")]


@pytest.mark.redis
async def test_an_undecodable_message_is_logged_and_skipped(
    redis_cluster: Cluster, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")

    with caplog.at_level(logging.ERROR, logger="chinwag.bus.redis"):
        await admin.publish(f"{redis_cluster.prefix}:events", b"\xc1 not msgpack")
        await a.bus.publish(UserChanged(user="fine"))
        assert await b.seen.wait_for(1) == [UserChanged(origin="a", user="fine")]

    assert any("undecodable" in r.getMessage() for r in caplog.records)


@pytest.mark.redis
async def test_closing_every_node_leaves_no_keys(redis_cluster: Cluster, redis_url: str) -> None:
    a = await redis_cluster.node("a")
    b = await redis_cluster.node("b")
    await a.bus.set_online("alice", True)
    await b.bus.set_online("bob", True)
    assert await redis_keys(redis_url, redis_cluster.prefix) == {
        f"{redis_cluster.prefix}:{key}"
        for key in ("nodes", "node:a", "node:b", "online:a", "online:b")
    }

    await a.bus.close()
    assert await redis_keys(redis_url, redis_cluster.prefix) == {
        f"{redis_cluster.prefix}:{key}" for key in ("nodes", "node:b", "online:b")
    }
    await b.bus.close()
    assert await redis_keys(redis_url, redis_cluster.prefix) == set()


async def test_start_fails_fast_and_publish_only_logs_when_redis_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", "lonely", prefix=f"unused-{secrets.token_hex(4)}")
    try:
        async with asyncio.timeout(5):
            with pytest.raises(RedisConnectionError):
                await bus.start(Recorder())
            with caplog.at_level(logging.WARNING, logger="chinwag.bus.redis"):
                await bus.publish(UserChanged(user="nobody hears"))
                await bus.publish(UserChanged(user="nor this"))
                await bus.set_online("alone", True)
                assert await bus.online_users() == {"alone"}
    finally:
        await bus.close()
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "cannot publish" in m]) == 1  # once per outage
    assert any("cannot read presence" in m for m in messages)


def test_heartbeat_must_be_shorter_than_the_node_ttl() -> None:
    with pytest.raises(ValueError):
        RedisBus("redis://127.0.0.1:6379/0", "x", heartbeat=5.0, node_ttl=5.0)
