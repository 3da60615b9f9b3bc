"""A server whose database cannot be written (a full disk, a read-only database) still
logs people in and resumes their sessions (that only needs reads), says why a send
fails, logs the trouble once, and /healthz says the database is failing.

On real databases made to refuse writes by their own settings (see `writes_refused`):
SQLite capped at its size (`max_page_count`: the SQLITE_FULL a full disk gives, on any
machine, without root) or `query_only`, and a fresh PostgreSQL database switched to
`default_transaction_read_only`. tests/store/test_refusals.py also fills a real tmpfs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chinwag.server.auth import token_hash
from chinwag.server.context import now_ms
from chinwag.server.unstored import RETRY
from chinwag.store.sql import SqlStore, open_store
from chinwag.store.sql.dialect import REFUSAL_MEMORY, WriteRefusals
from tests.conftest import fresh_postgres_database
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WriteLock, WsClient, login, register
from tests.store.helpers import writes_refused

#: At most this many long messages, or logins, before a database capped at its size has
#: no room left for one more.
FILL_LIMIT = 300
LONG = "x" * 4000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def healthz(server: RunningServer) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http("/healthz")) as response,
    ):
        return response.status, await response.json()


@contextlib.asynccontextmanager
async def backend(kind: str, tmp_path: Path) -> AsyncIterator[SqlStore]:
    async with contextlib.AsyncExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'chinwag.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres_database())
        store = await open_store(url)
        try:
            yield store
        finally:
            await store.close()


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server logged about the trouble: the store's warnings, and anything with
    a traceback or about an internal error, from any part."""
    return [
        r
        for r in caplog.records
        if (r.name == "chinwag.store" and r.levelno >= logging.WARNING)
        or r.exc_info
        or "internal" in r.getMessage()
    ]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_read_only_database_still_logs_in_and_resumes(
    kind: str, start_server: StartServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "chinwag")
    async with backend(kind, tmp_path) as store:
        server = await start_server(parts={"store": store}, change_poll=60, health_interval=0)
        clock = Clock()
        store.db.refusals = WriteRefusals(clock)
        ada = await register(server.url, "ada")  # the first account: an admin
        for name in ("bob", "cy", "dee"):
            await (await register(server.url, name)).close()
        await ada.ok("send", room="general", body="before", client_msg_id="b")
        caplog.clear()
        async with writes_refused(store, "read_only"):
            # a session that exists logs back in; its use is not marked meanwhile
            again = await WsClient.connect(server.url)
            reply = await again.ok("resume", token=ada.token)
            assert reply["user"]["username"] == "ada"
            history = await again.ok("history", room="general")
            assert [m["body"] for m in history["messages"]][-1] == "before"
            # sends say why they fail, every time, with a time to retry
            for n in range(5):
                refused = await again.error(
                    "send", "unavailable", room="general", body=f"m{n}", client_msg_id=f"m{n}"
                )
                assert refused["message"] == (
                    "the server cannot store messages right now: its database is read-only"
                )
                assert refused["retry_after"] > 0
            # the right password logs in, and the connection is told why it cannot send
            bob = await login(server.url, "bob")
            notice = await bob.event("server_notice")
            assert "read-only" in notice["text"] and "cannot be sent" in notice["text"]
            rooms = await bob.ok("rooms")
            assert [r["id"] for r in rooms["rooms"]] == ["general"]
            await bob.error("send", "unavailable", room="general", body="hi", client_msg_id="h")
            # as a client does after `unavailable`: reconnect and resume, here, still in
            bob_again = await WsClient.connect(server.url)
            await bob_again.ok("resume", token=bob.token)
            # a session never stored can be logged out of; its token is then dead
            cy = await login(server.url, "cy")
            await cy.ok("logout")
            await cy.error("resume", "invalid_token", token=cy.token)
            # logged in meanwhile, then banned once the database is back (below)
            dee = await login(server.url, "dee")
            status, health = await healthz(server)
            assert (status, health["status"], health["database"]) == (
                503,
                "unavailable",
                "read_only",
            )
            assert health["failing"] == ["database"]
            registering = await WsClient.connect(server.url)
            await registering.error("register", "unavailable", username="eve", password="x" * 8)
            await registering.close()
        logged = problems(caplog)
        assert len(logged) == 1, [r.getMessage() for r in logged]
        assert "cannot be written" in logged[0].getMessage() and not logged[0].exc_info
        # writable again: sending works, on the resumed session and on the one that
        # could not be stored at first (it is stored now), wherever it reconnects
        await again.ok("send", room="general", body="after", client_msg_id="a")
        await bob_again.ok("send", room="general", body="bob is back", client_msg_id="b")
        probe = await WsClient.connect(server.url)
        await probe.ok("resume", token=bob.token)
        # nothing outlives what the database decides: a ban ends dee's session
        await ada.ok("ban", user="dee", reason="spam")
        assert await dee.wait_closed() == 4002
        late = await WsClient.connect(server.url)
        reply = await late.request("resume", token=dee.token)
        assert reply["code"] in ("banned", "invalid_token")
        assert server.ctx.unstored.pending == {}
        clock.now += REFUSAL_MEMORY + 1
        status, health = await healthz(server)
        assert (status, health["status"], health["database"]) == (200, "ok", "ok")
        for client in (ada, again, bob, bob_again, cy, dee, probe, late):
            await client.close()
        await server.close()  # before its store


async def test_a_full_disk_keeps_logins_and_says_why_sends_fail(
    start_server: StartServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "chinwag")
    server = await start_server(change_poll=60, health_interval=0)
    store = server.ctx.store
    assert isinstance(store, SqlStore)
    clock = Clock()
    store.db.refusals = WriteRefusals(clock)
    ada = await register(server.url, "ada")
    await (await register(server.url, "bob")).close()
    caplog.clear()
    async with writes_refused(store, "full"):
        # the disk fills up as people send: then every long send is refused, saying why
        sent = 0
        for n in range(FILL_LIMIT):
            reply = await ada.request("send", room="general", body=LONG, client_msg_id=f"fill{n}")
            if reply["type"] == "error":
                break
            sent += 1
        else:
            raise AssertionError(f"no send refused after {FILL_LIMIT}")
        assert reply["code"] == "unavailable"
        assert reply["message"] == "the server cannot store messages right now: its disk is full"
        assert reply["retry_after"] > 0
        for n in range(10):
            await ada.error("send", "unavailable", room="general", body=LONG, client_msg_id=f"r{n}")
        status, health = await healthz(server)
        assert (status, health["database"], health["failing"]) == (503, "full", ["database"])
        # logins go on: until the sessions fill the last page, they are stored...
        resumed = await WsClient.connect(server.url)
        await resumed.ok("resume", token=ada.token)
        notice = None
        stored = 0
        for _ in range(FILL_LIMIT):
            client = await login(server.url, "bob")
            await client.ok("ping")  # a notice would have come before this reply
            notices = [e for e in client.events if e["type"] == "server_notice"]
            await client.close()
            notice = notices[0] if notices else None
            if notice is not None:
                break
            stored += 1
        # ...then they are not, and say so, and still work for the connection
        assert notice is not None and "disk is full" in notice["text"]
    logged = problems(caplog)
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert "disk is full" in logged[0].getMessage() and logged[0].exc_info is None
    print(
        f"\n{sent} long message(s) stored before the database was full, then "
        f"{stored} login(s) before its sessions had no room left"
    )
    # room again
    await ada.ok("send", room="general", body=LONG, client_msg_id="after")
    clock.now += REFUSAL_MEMORY + 1
    status, health = await healthz(server)
    assert (status, health["database"]) == (200, "ok")
    for client in (ada, resumed):
        await client.close()


async def test_healthz_reports_a_probe_that_cannot_finish(
    start_server: StartServer, tmp_path: Path
) -> None:
    """A database that is locked by another process (every write waits): /healthz says
    so within its own timeout, instead of waiting or answering ok."""
    server = await start_server(health_timeout=0.5, health_interval=0)
    status, health = await healthz(server)
    assert (status, health["database"]) == (200, "ok")
    lock = WriteLock(tmp_path / "chinwag.db")
    try:
        status, health = await healthz(server)
        assert (status, health["database"], health["failing"]) == (
            503,
            "write_failed",
            ["database"],
        )
        # a second check waits for the same probe instead of queueing another behind it
        probe = server.ctx.health._probe
        status, _ = await healthz(server)
        assert status == 503 and server.ctx.health._probe is probe
    finally:
        lock.release()
    async with asyncio.timeout(15):
        while (await healthz(server))[0] != 200:  # noqa: ASYNC110 - polling a server
            await asyncio.sleep(0.2)


async def test_a_session_that_waits_is_stored_by_itself_once_the_database_can(
    start_server: StartServer,
) -> None:
    """Without any request from its connection (stored within RETRY seconds, which the
    loop below bounds), and no more of them than `max_unstored_sessions` wait."""
    server = await start_server(change_poll=60, max_unstored_sessions=1)
    store = server.ctx.store
    assert isinstance(store, SqlStore)
    for name in ("bob", "cy"):
        await (await register(server.url, name)).close()
    async with writes_refused(store, "read_only"):
        bob = await login(server.url, "bob")
        cy = await WsClient.connect(server.url)
        refused = await cy.error("login", "unavailable", username="cy", password="correct horse")
        assert refused["message"].endswith("its database is read-only")
        await cy.close()
    digest = token_hash(bob.token or "")
    async with asyncio.timeout(RETRY + 5):
        while server.ctx.unstored.pending:  # noqa: ASYNC110 - the node's own retry
            await asyncio.sleep(0.1)
    user = await store.session_user(digest, now=now_ms(), max_idle=10_000, touch=False)
    assert user is not None and user.username == "bob"
    await bob.close()
