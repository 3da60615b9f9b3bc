"""The failure counts kept in Redis follow the same rules as those of one process: the
same operations, at the same times, give the same answers (the rules themselves are
tested in tests/core/test_ratelimit.py)."""

from __future__ import annotations

import random
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from chinwag.core.ratelimit import Backoff, Counter, LoginRules, Reservation
from chinwag.server.throttle import LocalCounters
from chinwag.server.throttle_redis import RedisCounters

pytestmark = pytest.mark.redis

#: A wall clock of today, in seconds: Redis keeps milliseconds since the epoch.
T0 = 1_767_261_600.0


@pytest.fixture
async def redis_counters(redis_url: str) -> AsyncIterator[RedisCounters]:
    prefix = f"chinwag-test-{secrets.token_hex(6)}"
    counters = RedisCounters(redis_url, prefix=prefix, forget_after=3600.0, timeout=2.0)
    try:
        yield counters
    finally:
        client = aioredis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await counters.close()


Step = tuple[str, float, Any]


async def play(counters: LocalCounters | RedisCounters, steps: list[Step]) -> list[Any]:
    """Run `steps` ("reserve", now, counters) / ("wrong" | "right" | "error", now, index of
    a reservation), and return what each reserve answered and each wait read."""
    held: list[Reservation] = []
    answers: list[Any] = []
    for op, now, what in steps:
        if op == "reserve":
            wait, reservation = await counters.reserve(what, T0 + now)
            answers.append(round(wait, 3))
            if reservation is not None:
                held.append(reservation)
        elif op == "wait":
            if isinstance(counters, RedisCounters):
                answers.append(round(await counters.wait(what, T0 + now), 3))
            else:
                answers.append(round(counters.table.wait(what, T0 + now), 3))
        elif held and op in ("right", "error"):
            await counters.release(held.pop(what % len(held)), success=op == "right")
        elif held:
            held.pop(what % len(held))  # "wrong": it stays counted
    return answers


def scripted() -> list[Step]:
    rules = LoginRules(pair_free=2, address_free=3, account_free=4, cap=30.0)
    known = rules.counters("ada", "192.0.2.1", known=True)
    stranger = rules.counters("ada", "198.51.100.7", known=False)
    other = rules.counters("ada", "198.51.100.8", known=False)
    steps: list[Step] = []
    for i in range(6):
        steps += [("reserve", i * 0.1, stranger), ("wrong", i * 0.1, 0)]
    steps += [("wait", 1.0, stranger), ("wait", 1.0, other), ("wait", 1.0, known)]
    steps += [("reserve", 1.0, known), ("right", 1.0, 0), ("reserve", 1.0, other)]
    steps += [("reserve", 9.0, other), ("error", 9.0, 0), ("wait", 9.0, other)]
    steps += [("reserve", 40.0, other), ("right", 40.0, 0), ("wait", 40.0, other)]
    steps += [("reserve", 5000.0, stranger), ("wait", 5000.0, stranger)]  # forgotten
    return steps


def shuffled(seed: int) -> list[Step]:
    """Many attempts on a few accounts and addresses, at random."""
    rng = random.Random(seed)
    rules = LoginRules(pair_free=1, address_free=2, account_free=3, base=0.5, cap=8.0)
    now = 0.0
    steps: list[Step] = []
    for _ in range(400):
        now += rng.choice((0.0, 0.0, 0.1, 0.7, 3.0))
        counters = rules.counters(
            rng.choice("ab"),
            rng.choice(("10.0.0.1", "10.0.0.2", "10.0.0.3")),
            known=rng.random() < 0.3,
        )
        op = rng.choice(("reserve", "reserve", "wait", "wrong", "right", "error"))
        steps.append((op, now, counters if op in ("reserve", "wait") else rng.randrange(8)))
    return steps


@pytest.mark.parametrize(
    "steps", [scripted(), shuffled(1), shuffled(2)], ids=["scripted", "random1", "random2"]
)
async def test_redis_counts_as_one_process_does(
    redis_counters: RedisCounters, steps: list[Step]
) -> None:
    local = await play(LocalCounters(forget_after=3600.0), steps)
    shared = await play(redis_counters, steps)
    assert shared == local
    assert any(wait > 0 for wait in local)  # the scenarios do get throttled


async def test_counts_expire_in_redis_after_forget_after(redis_counters: RedisCounters) -> None:
    counter = (Counter("pair:ada@192.0.2.1", Backoff(0), cleared_by_success=True),)
    await redis_counters.reserve(counter, T0)
    ttl = await redis_counters._redis.pttl(redis_counters.key(counter[0]))
    assert 3_590_000 < ttl <= 3_600_000
    assert redis_counters.key(counter[0]).endswith(":login:pair:ada@192.0.2.1")
