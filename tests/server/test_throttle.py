"""The login throttle through a real server: guessers from many addresses never lock the
owner out of their own account, and the nodes of a cluster share one budget.

Addresses come from X-Forwarded-For, which the server trusts from loopback here
(`trusted_proxies`), as it would from a reverse proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from chinwag.bus.redis import RedisBus
from chinwag.store.base import Store
from chinwag.store.sql import open_store
from tests.conftest import checked_redis_url, fresh_postgres_database
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient
from tests.server.test_redis_outage import OwnRedis, own_redis  # noqa: F401 - a fixture

PASSWORD = "correct horse"
OWNER_AT = "203.0.113.5"
#: How long the storm lasts.
STORM = 6.0
#: Pause of each guesser between two guesses: 50 guessers, up to 1,000 guesses a second.
PAUSE = 0.05
#: A login that does not wait for a frozen Redis answers well within this.
PROMPT = 1.0


async def connect(url: str, address: str) -> WsClient:
    return await WsClient.connect(url, headers={"X-Forwarded-For": address})


async def log_in(url: str, address: str, username: str = "ada", password: str = PASSWORD) -> dict:
    client = await connect(url, address)
    try:
        return await client.request("login", username=username, password=password)
    finally:
        await client.close()


def storm_bound(free: int, seconds: float, base: float = 1.0) -> int:
    """The most wrong guesses the rules let through in `seconds`: the free ones, then
    one after each wait, the waits doubling from `base`."""
    return free + 1 + math.floor(math.log2(seconds / base + 1))


@pytest.mark.slow
async def test_the_owner_gets_in_while_50_addresses_guess_and_after(
    start_server: StartServer,
) -> None:
    server = await start_server(trusted_proxies="127.0.0.1")
    owner = await connect(server.url, OWNER_AT)
    await owner.ok("register", username="ada", password=PASSWORD)
    await owner.close()
    guessers = [await connect(server.url, f"198.51.100.{i}") for i in range(1, 51)]
    replies: Counter[str] = Counter()
    checked_at: list[float] = []
    started = time.monotonic()
    stop = started + STORM

    async def guess(client: WsClient, n: int) -> None:
        for i in range(int(STORM / PAUSE) + 1):
            if time.monotonic() >= stop:
                return
            reply = await client.request("login", username="ada", password=f"guess-{n}-{i}")
            replies[reply["code"]] += 1
            if reply["code"] == "auth_failed":
                checked_at.append(time.monotonic() - started)
            await asyncio.sleep(PAUSE)

    async def owner_logs_in() -> list[str]:
        results = []
        while time.monotonic() < stop - 0.5:
            await asyncio.sleep(0.5)
            results.append((await log_in(server.url, OWNER_AT))["type"])
        return results

    try:
        *_, during = await asyncio.gather(
            *(guess(client, n) for n, client in enumerate(guessers)), owner_logs_in()
        )
        # someone logging in from an address the account never used waits like them
        stranger = await log_in(server.url, "192.0.2.99")
        after = [(await log_in(server.url, OWNER_AT))["type"] for _ in range(3)]
    finally:
        for client in guessers:
            await client.close()
    elapsed = time.monotonic() - started
    checked = replies["auth_failed"]
    late = [t for t in checked_at if t > 1.0]
    print(
        f"\n50 guessers for {elapsed:.1f} s: {sum(replies.values())} guesses sent, "
        f"{checked} checked ({checked / elapsed:.1f}/s on average; "
        f"{len(late) / max(elapsed - 1.0, 1e-9):.2f}/s after the first second), "
        f"{replies['throttled']} throttled; the owner logged in {len(during)} times "
        f"during the storm and {len(after)} after it"
    )
    assert set(replies) == {"auth_failed", "throttled"}
    assert during and set(during) == {"ok"}
    assert after == ["ok"] * 3
    assert stranger["code"] == "throttled" and 0 < stranger["retry_after"] <= 900
    # the account's budget for strangers: 50 free failures, then a doubling wait
    assert checked <= storm_bound(50, elapsed), checked


async def test_a_right_password_from_an_address_without_failures_gets_in(
    start_server: StartServer,
) -> None:
    """Guessing from one address holds that address back, not the owner arriving from
    another one (an address the account never used, while it is not under attack)."""
    server = await start_server(trusted_proxies="127.0.0.1", login_free_attempts=2)
    owner = await connect(server.url, OWNER_AT)
    await owner.ok("register", username="ada", password=PASSWORD)
    guesser = await connect(server.url, "198.51.100.7")
    codes = [
        (await guesser.request("login", username="ada", password=f"guess-{i}"))["code"]
        for i in range(5)
    ]
    assert codes == ["auth_failed"] * 3 + ["throttled"] * 2
    right = await guesser.request("login", username="ada", password=PASSWORD)
    assert right["code"] == "throttled"  # this address, even with the right password
    assert (await log_in(server.url, "192.0.2.44"))["type"] == "ok"
    assert (await log_in(server.url, OWNER_AT))["type"] == "ok"
    await guesser.close()
    await owner.close()


async def test_one_address_spraying_many_accounts_is_slowed(start_server: StartServer) -> None:
    server = await start_server(trusted_proxies="127.0.0.1", address_free_attempts=4)
    for name in ("ada", "bob", "cy", "dee", "eve", "fay"):
        client = await connect(server.url, f"203.0.113.{len(name)}")
        await client.ok("register", username=name, password=PASSWORD)
        await client.close()
    sprayer = await connect(server.url, "198.51.100.9")
    codes = [
        (await sprayer.request("login", username=name, password="Summer2026!"))["code"]
        for name in ("ada", "bob", "cy", "dee", "eve", "fay")
    ]
    await sprayer.close()
    assert codes == ["auth_failed"] * 5 + ["throttled"]
    # the accounts themselves are not held back elsewhere
    assert (await log_in(server.url, "198.51.100.10", "fay"))["type"] == "ok"


# -- two nodes ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def two_nodes_on_redis(
    start_server: StartServer, tmp_path: Path, **config: object
) -> AsyncIterator[tuple[RunningServer, RunningServer, str]]:
    """Two nodes sharing a fresh PostgreSQL database and the real Redis (under a prefix
    of the test's own, deleted afterwards); and that prefix."""
    redis_url = await checked_redis_url()
    prefix = f"chinwag-test-{secrets.token_hex(4)}"
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_postgres_database())
        stores: list[Store] = []
        buses: list[RedisBus] = []
        for node in ("a", "b"):
            stores.append(await open_store(url))
            buses.append(RedisBus(redis_url, node, prefix=prefix))
        running: list[RunningServer] = []
        try:
            for store, bus in zip(stores, buses, strict=True):
                running.append(await start_server(parts={"store": store, "bus": bus}, **config))
            yield running[0], running[1], prefix
        finally:
            for server in running:
                await server.close()
            for bus in buses:
                await bus.close()
            for store in stores:
                await store.close()
            client = aioredis.from_url(redis_url)
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()


@pytest.mark.redis
@pytest.mark.postgres
async def test_guesses_spread_over_two_nodes_meet_one_budget(
    start_server: StartServer, tmp_path: Path
) -> None:
    async with two_nodes_on_redis(
        start_server, tmp_path, trusted_proxies="127.0.0.1", login_free_attempts=3
    ) as (a, b, prefix):
        owner = await connect(a.url, OWNER_AT)
        await owner.ok("register", username="ada", password=PASSWORD)
        await owner.ok("logout")
        await owner.ok("register", username="bob", password=PASSWORD)
        await owner.close()
        # one after the other, alternating between the nodes
        nodes = [await connect(server.url, "198.51.100.7") for server in (a, b)]
        codes = [
            (await nodes[i % 2].request("login", username="ada", password=f"g{i}"))["code"]
            for i in range(10)
        ]
        assert codes == ["auth_failed"] * 4 + ["throttled"] * 6, codes
        for client in nodes:
            await client.close()
        # all at once, twenty connections on each node: still the one budget, exactly
        guessers = [
            await connect(server.url, "198.51.100.8") for server in (a, b) for _ in range(20)
        ]
        replies = await asyncio.gather(
            *(g.request("login", username="bob", password=f"g{i}") for i, g in enumerate(guessers))
        )
        for client in guessers:
            await client.close()
        parallel = Counter(r["code"] for r in replies)
        print(f"\n40 guesses at once over two nodes: {dict(parallel)}")
        assert parallel == {"auth_failed": 4, "throttled": 36}
        # the counts are in Redis, under the bus's prefix, and expire
        client = aioredis.from_url(await checked_redis_url())
        key = f"{prefix}:login:pair:bob@198.51.100.8"
        ttl = await client.pttl(key)
        await client.aclose()
        assert 0 < ttl <= 3_600_000
        # and the owner, at home, logs in on either node
        for server in (a, b):
            assert (await log_in(server.url, OWNER_AT))["type"] == "ok"
        for server in (a, b):
            async with (
                aiohttp.ClientSession() as session,
                session.get(server.http("/healthz")) as response,
            ):
                health = await response.json()
            assert response.status == 200
            assert (health["status"], health["bus"], health["login_throttle"]) == (
                "ok",
                "ok",
                "shared",
            )


@pytest.mark.redis
@pytest.mark.slow
async def test_logins_do_not_wait_for_a_frozen_redis(
    own_redis: OwnRedis,  # noqa: F811 - the fixture imported above
    start_server: StartServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "chinwag.throttle")
    bus = RedisBus(own_redis.url, "solo", prefix=f"chinwag-test-{secrets.token_hex(4)}")
    server = await start_server(
        parts={"bus": bus}, trusted_proxies="127.0.0.1", login_free_attempts=2
    )
    try:
        owner = await connect(server.url, OWNER_AT)
        await owner.ok("register", username="ada", password=PASSWORD)
        await owner.close()
        own_redis.freeze()
        took = []
        for _ in range(5):
            started = time.monotonic()
            reply = await log_in(server.url, OWNER_AT)
            took.append(time.monotonic() - started)
            assert reply["type"] == "ok"
        # guesses are still counted, on this node alone meanwhile
        guesser = await connect(server.url, "198.51.100.7")
        codes = []
        for i in range(5):
            started = time.monotonic()
            codes.append((await guesser.request("login", username="ada", password=f"g{i}"))["code"])
            took.append(time.monotonic() - started)
        await guesser.close()
        async with (
            aiohttp.ClientSession() as session,
            session.get(server.http("/healthz")) as response,
        ):
            health = (response.status, await response.json())
        own_redis.thaw()
        print(f"\nlogins with Redis frozen: max {max(took) * 1000:.0f} ms")
        assert max(took) < PROMPT
        assert codes == ["auth_failed"] * 3 + ["throttled"] * 2
        assert health[0] == 200
        assert (health[1]["status"], health[1]["bus"], health[1]["login_throttle"]) == (
            "degraded",
            "unreachable",
            "fallback",
        )
        down = [r for r in caplog.records if "did not answer" in r.getMessage()]
        assert len(down) == 1  # once, not once per login
        # once Redis answers again, the counts are shared again
        async with asyncio.timeout(20):
            while server.ctx.logins.sharing != "shared":
                await asyncio.sleep(0.5)
                await log_in(server.url, OWNER_AT)
        assert any("answers again" in r.getMessage() for r in caplog.records)
    finally:
        await server.close()
        await bus.close()
