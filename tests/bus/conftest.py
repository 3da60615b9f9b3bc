"""A `cluster` of bus nodes on one backend ("memory" or "redis"), and a recording handler."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from chinwag.bus.base import AnyBusEvent, Deliver, EventBus
from chinwag.bus.memory import MemoryBroker, MemoryBus
from chinwag.bus.redis import RedisBus

#: The longest any test waits for an event that should arrive.
WAIT = 5.0


def note(text: str, *, origin: str = "") -> Deliver:
    """A plain event for tests: a frame for the user `text` (never coalesced)."""
    return Deliver(frame=text.encode(), user=text, origin=origin)


async def online_soon(bus: EventBus, expected: set[str], within: float = WAIT) -> None:
    """Wait until `bus.online_users()` is `expected`: a node learns of the others'
    presence without waiting for them, so shortly after, not at once."""
    try:
        async with asyncio.timeout(within):
            while bus.online_users() != expected:  # noqa: ASYNC110 - polled on purpose
                await asyncio.sleep(0.01)
    except TimeoutError:
        assert bus.online_users() == expected


class Recorder:
    """A bus handler that keeps what it is handed and lets a test wait for it."""

    def __init__(self) -> None:
        self.events: list[AnyBusEvent] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: AnyBusEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, count: int, within: float = WAIT) -> list[AnyBusEvent]:
        """The first `count` events, once there are that many."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.events) >= count)
        return self.events[:count]

    async def wait_until(
        self, predicate: Callable[[AnyBusEvent], bool], within: float = WAIT
    ) -> AnyBusEvent:
        """The first event matching `predicate`, once there is one."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: any(map(predicate, self.events)))
        return next(event for event in self.events if predicate(event))


@dataclass
class Node:
    bus: EventBus
    seen: Recorder


@dataclass
class Cluster:
    """Makes started bus nodes that see each other, and closes them all at the end."""

    kind: str
    redis_url: str | None = None
    prefix: str = field(default_factory=lambda: f"chinwag-test-{secrets.token_hex(6)}")
    broker: MemoryBroker = field(default_factory=MemoryBroker)
    buses: list[EventBus] = field(default_factory=list)

    def bus(self, node_id: str, **redis_options: Any) -> EventBus:
        """An unstarted bus node; `redis_options` go to `RedisBus` only."""
        bus: EventBus
        if self.kind == "memory":
            bus = MemoryBus(self.broker, node_id)
        else:
            assert self.redis_url is not None
            bus = RedisBus(self.redis_url, node_id, prefix=self.prefix, **redis_options)
        self.buses.append(bus)
        return bus

    async def node(self, node_id: str, **redis_options: Any) -> Node:
        """A started bus node with a `Recorder` handler."""
        bus = self.bus(node_id, **redis_options)
        seen = Recorder()
        await bus.start(seen)
        return Node(bus, seen)

    async def close(self) -> None:
        for bus in reversed(self.buses):
            await bus.close()


async def redis_keys(url: str, prefix: str) -> set[str]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return {key async for key in client.scan_iter(match=f"{prefix}:*")}
    finally:
        await client.aclose()


async def delete_redis_keys(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def _cluster(kind: str, redis_url: str | None) -> AsyncIterator[Cluster]:
    cluster = Cluster(kind, redis_url)
    try:
        yield cluster
    finally:
        try:
            await cluster.close()
        finally:
            if redis_url is not None:
                await delete_redis_keys(redis_url, cluster.prefix)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """Each backend in turn, with its URL; asks for `redis_url` only when needed."""
    kind: str = request.param
    return kind, request.getfixturevalue("redis_url") if kind == "redis" else None


@pytest.fixture
async def cluster(backend: tuple[str, str | None]) -> AsyncIterator[Cluster]:
    """Bus nodes on each backend in turn (the Redis ones under a prefix of their own)."""
    async for value in _cluster(*backend):
        yield value


@pytest.fixture
async def redis_cluster(redis_url: str) -> AsyncIterator[Cluster]:
    """Bus nodes on Redis only."""
    async for value in _cluster("redis", redis_url):
        yield value
