"""Shared fixtures: real PostgreSQL and Redis when configured, and the CI switch.

Tests that need a service, a display or Chromium skip with a reason when it is missing,
unless CHINWAG_REQUIRE_ALL=1 (CI), where they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator

import pytest
from hypothesis import settings

REQUIRE_ALL = os.environ.get("CHINWAG_REQUIRE_ALL") == "1"

# Property tests check behaviour, not speed: no per-example deadline, which a loaded CI
# machine would otherwise turn into failures (speed is measured by `chinwag bench`).
settings.register_profile("chinwag", deadline=None)
settings.load_profile("chinwag")


#: Test folders driving a real browser, a real Tk under Xvfb or a real nginx: their
#: failures are mostly those of timing on a busy machine, so a failed test is run once
#: more before it counts (shown as "R" and listed under "rerun" in the summary). Code
#: that fails twice still fails; the protocol, store, server and reliability tests
#: never rerun.
RERUN_FOLDERS = frozenset({"web", "desktop", "deploy"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("rerunfailures"):
        return  # `-p no:rerunfailures`: every failure counts at once
    tests = config.rootpath / "tests"
    for item in items:
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        if parts and parts[0] in RERUN_FOLDERS:
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=1))


def unavailable(reason: str) -> None:
    """Skip (on a laptop) or fail (in CI) a test whose environment is missing."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (required: CHINWAG_REQUIRE_ALL=1)", pytrace=False)
    pytest.skip(reason)


#: The migrated database that `fresh_postgres_database(migrated=True)` copies, once made:
#: (admin DSN, its name). Dropped when the session ends.
_TEMPLATE: tuple[str, str] | None = None


@contextlib.asynccontextmanager
async def fresh_postgres_database(*, migrated: bool = False) -> AsyncIterator[str]:
    """The SQLAlchemy URL of a new PostgreSQL database, dropped afterwards: empty, or
    `migrated` to the newest schema (a copy of a template migrated once per session,
    which is many times faster than migrating each one)."""
    global _TEMPLATE
    base = os.environ.get("CHINWAG_TEST_POSTGRES_URL")
    if not base:
        unavailable("PostgreSQL not configured: set CHINWAG_TEST_POSTGRES_URL")
    assert base is not None
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"chinwag_t_{secrets.token_hex(6)}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable(f"PostgreSQL unreachable at {url.render_as_string()}: {exc}")
        raise
    try:
        if migrated and _TEMPLATE is None:
            from chinwag.store.sql import open_store

            template = f"chinwag_tpl_{secrets.token_hex(6)}"
            await admin.execute(f'CREATE DATABASE "{template}"')
            _TEMPLATE = (dsn, template)
            store = await open_store(url.set(database=template).render_as_string(False))
            await store.close()
        copy = f' TEMPLATE "{_TEMPLATE[1]}"' if migrated and _TEMPLATE else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _TEMPLATE is None:
        return
    import asyncio

    import asyncpg

    async def drop(dsn: str, template: str) -> None:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop(*_TEMPLATE))


async def checked_redis_url() -> str:
    """The Redis URL of the test environment, once it answers a PING."""
    url = os.environ.get("CHINWAG_TEST_REDIS_URL")
    if not url:
        unavailable("Redis not configured: set CHINWAG_TEST_REDIS_URL")
    assert url is not None
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as exc:
        unavailable(f"Redis unreachable at {url}: {exc}")
    finally:
        await client.aclose()
    return url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def migrated_postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database with the newest schema and no data, for this test."""
    async with fresh_postgres_database(migrated=True) as url:
        yield url


@pytest.fixture
async def redis_url() -> str:
    """A Redis URL; keys written under the test's own prefix are the test's to clean."""
    return await checked_redis_url()
