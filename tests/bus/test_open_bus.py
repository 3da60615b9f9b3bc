"""`open_bus` picks the backend from the URL; the lone memory bus."""

from __future__ import annotations

import pytest

from chinwag.bus import open_bus
from chinwag.bus.memory import MemoryBroker, MemoryBus
from chinwag.bus.redis import RedisBus
from tests.bus.conftest import Recorder, note


@pytest.mark.parametrize("url", [None, "memory://"])
async def test_no_url_or_memory_gives_a_lone_memory_bus(url: str | None) -> None:
    bus = open_bus(url, "solo")
    try:
        assert isinstance(bus, MemoryBus)
        assert bus.node_id == "solo"
        await bus.start(Recorder())
        bus.set_online("alice", True)
        assert bus.online_users() == {"alice"}
        bus.publish(note("nobody else"))
    finally:
        await bus.close()


async def test_each_memory_bus_gets_a_broker_of_its_own() -> None:
    first, second = open_bus(None, "same"), open_bus(None, "same")
    try:
        first.set_online("alice", True)
        assert second.online_users() == set()
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://example.invalid:6380/1", "unix:///tmp/r.sock"]
)
async def test_redis_urls_give_a_redis_bus(url: str) -> None:
    bus = open_bus(url, "n1")  # nothing connects before start()
    try:
        assert isinstance(bus, RedisBus)
        assert bus.node_id == "n1"
    finally:
        await bus.close()


async def test_the_node_id_defaults_to_a_short_random_one() -> None:
    buses = [open_bus(None) for _ in range(20)]
    try:
        ids = {bus.node_id for bus in buses}
        assert len(ids) == 20
        assert all(0 < len(node_id) <= 12 for node_id in ids)
    finally:
        for bus in buses:
            await bus.close()


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported bus URL"):
        open_bus("kafka://somewhere")


async def test_node_ids_are_unique_on_a_broker() -> None:
    broker = MemoryBroker()
    bus = MemoryBus(broker, "a")
    try:
        with pytest.raises(ValueError, match="already"):
            MemoryBus(broker, "a")
    finally:
        await bus.close()
    await MemoryBus(broker, "a").close()  # free again once closed


async def test_a_redis_bus_takes_the_deployments_prefix() -> None:
    bus = open_bus("redis://127.0.0.1:6379/0", "n1", prefix="team-a", presence_ttl=3)
    try:
        assert isinstance(bus, RedisBus)
        assert bus.prefix == "team-a"
    finally:
        await bus.close()
