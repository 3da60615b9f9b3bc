"""Database trouble: a full disk, a read-only database, and PostgreSQL's connections cut
(what a restart of PostgreSQL looks like to the server: the machine's PostgreSQL itself
is shared and never restarted here).

What must hold, whatever the trouble: no `ok` to a send that is not stored (every
acknowledged message is found afterwards, as acknowledged), nothing stored twice, seqs
without gaps; and once the trouble ends, sends work again within RECOVERY (each test
prints how long it took). Sends refused meanwhile are sent again afterwards with their
`client_msg_id`, and each is then stored exactly once.

The disk is "full" through SQLite's own limit: every connection the server's store
takes from its pool gets `PRAGMA max_page_count` set to the database's size at that
moment (a real write then fails with SQLITE_FULL, as on a full disk); read-only is
`PRAGMA query_only` the same way (SQLITE_READONLY).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from sqlalchemy import event

from chinwag.protocol.types import Message
from chinwag.store.sql import SqlStore, open_store, sqlite_url
from tests.conftest import fresh_postgres_database
from tests.reliability.conftest import Record
from tests.reliability.durability import audit, postgres_rows, sqlite_rows
from tests.reliability.figures import scale
from tests.reliability.processes import Node, stop_all
from tests.server.conftest import StartServer
from tests.server.support import WsClient, register

pytestmark = pytest.mark.reliability

#: Sends work again within this of the trouble ending (a functional bound).
RECOVERY = 10.0
#: Refusals to see before the trouble is taken as real, and most sends meanwhile.
REFUSALS = scale(10, 50)
MOST_SENDS = 2000
#: What a send refused for a full or read-only database answers: `unavailable`, with
#: `retry_after` and the reason in its message.
REFUSED_CODES = {"unavailable"}
#: What a send on a PostgreSQL connection cut under it answers: an unexpected failure
#: (`internal_error`, which a client retries with the same `client_msg_id`), or, from an
#: overloaded server whose commits run behind, a request to wait.
CUT_CODES = {"internal_error", "unavailable", "rate_limited", "no reply"}


class Ledger:
    """What one sender was told about each of its messages."""

    def __init__(self, client: WsClient) -> None:
        self.client = client
        self.acked: dict[str, Message] = {}
        self.codes: collections.Counter[str] = collections.Counter()
        self.pending: dict[str, None] = {}  # not acknowledged yet, in order
        self.count = 0

    async def send(self, cmid: str | None = None) -> bool:
        if cmid is None:
            cmid = f"c{self.count}"
            self.count += 1
        try:
            reply = await self.client.request(
                "send", room="general", body=f"{cmid} through trouble", client_msg_id=cmid
            )
        except (TimeoutError, ConnectionError):
            self.codes["no reply"] += 1
            self.pending[cmid] = None
            return False
        if reply["type"] == "ok":
            self.acked[cmid] = msgspec.convert(reply["message"], Message)
            self.pending.pop(cmid, None)
            return True
        self.codes[reply["code"]] += 1
        self.pending[cmid] = None
        if reply["code"] == "rate_limited":  # an overloaded server: wait as it says
            await asyncio.sleep(min(reply["retry_after"] or 1.0, 1.0))
        return False

    async def until_refused(self, refusals: int) -> int:
        """Send until `refusals` sends were refused (bounded); the sends made."""
        made = 0
        while sum(self.codes.values()) < refusals and made < MOST_SENDS:
            await self.send()
            made += 1
        return made

    async def recover(self, bound: float) -> float:
        """Send the oldest refused message again until it is stored; the seconds it took."""
        started = time.monotonic()
        cmid = next(iter(self.pending))
        while not await self.send(cmid):
            assert time.monotonic() - started < bound, f"sends still fail: {self.codes}"
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    async def resend_all(self, bound: float) -> None:
        """Send every refused message again until it is stored (within `bound`)."""
        async with asyncio.timeout(bound):
            for cmid in list(self.pending):
                while not await self.send(cmid):  # noqa: ASYNC110 - a retry loop
                    await asyncio.sleep(0.05)


class SqliteTrouble:
    """Trouble on every connection the store takes from its pool, from now on."""

    CLEAR = ("PRAGMA max_page_count=1073741823", "PRAGMA query_only=OFF")

    def __init__(self, store: SqlStore, path: Path) -> None:
        self.path = path
        self.pragmas: tuple[str, ...] = self.CLEAR
        event.listen(store.db.engine, "checkout", self._apply)

    def _apply(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        for pragma in self.pragmas:
            dbapi_connection.execute(pragma)

    def disk_full(self) -> None:
        db = sqlite3.connect(self.path)
        try:
            (pages,) = db.execute("PRAGMA page_count").fetchone()
        finally:
            db.close()
        self.pragmas = (f"PRAGMA max_page_count={pages}",)

    def read_only(self) -> None:
        self.pragmas = ("PRAGMA query_only=ON",)

    def clear(self) -> None:
        self.pragmas = self.CLEAR


async def _health(http: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{http}/healthz") as response:
        body = await response.json()
        return f"{response.status} {body.get('status')}"


@contextlib.asynccontextmanager
async def _sqlite_server(
    start_server: StartServer, tmp_path: Path
) -> AsyncIterator[tuple[SqliteTrouble, Ledger, str, Path]]:
    path = tmp_path / "chinwag.db"
    store = await open_store(sqlite_url(path))
    try:
        trouble = SqliteTrouble(store, path)
        server = await start_server(parts={"store": store})
        writer = await register(server.url, "writer")
        ledger = Ledger(writer)
        try:
            yield trouble, ledger, server.http(""), path
        finally:
            await writer.close()
            await server.close()
    finally:
        await store.close()


async def _sqlite_case(
    start_server: StartServer,
    tmp_path: Path,
    figure: Record,
    name: str,
    begin: Callable[[SqliteTrouble], None],
) -> None:
    async with _sqlite_server(start_server, tmp_path) as (trouble, ledger, http, path):
        for _ in range(20):
            assert await ledger.send()
        before = len(ledger.acked)
        begin(trouble)
        sends = await ledger.until_refused(REFUSALS)
        acked_in_trouble = len(ledger.acked) - before
        # /healthz checks that the database takes writes: it says so, never "ok"
        health = await _health(http.rstrip("/"))
        trouble.clear()
        recovery = await ledger.recover(RECOVERY)
        refused = dict(ledger.codes)
        await ledger.resend_all(RECOVERY * 3)
        result = audit(ledger.acked, sqlite_rows(path))
    figure(
        "database",
        name,
        sends_in_trouble=sends,
        acknowledged_in_trouble=acked_in_trouble,
        refused=sum(refused.values()),
        codes="/".join(sorted(refused)),
        healthz_in_trouble=health,
        false_ok=result["lost"],
        duplicated=result["duplicated"],
        recovery_ms=round(recovery * 1000),
    )
    assert result["lost"] == 0  # never an ok for a message that is not stored
    assert result["duplicated"] == 0
    assert result["stored"] == result["acknowledged"] == ledger.count
    assert not result["_gaps"]
    assert sum(refused.values()) >= REFUSALS  # the trouble was real
    assert set(refused) <= REFUSED_CODES, refused
    assert health.startswith("503"), health


async def test_a_full_disk_never_gets_a_false_ok(
    start_server: StartServer, tmp_path: Path, figure: Record
) -> None:
    await _sqlite_case(start_server, tmp_path, figure, "SQLite, disk full", SqliteTrouble.disk_full)


async def test_a_read_only_database_never_gets_a_false_ok(
    start_server: StartServer, tmp_path: Path, figure: Record
) -> None:
    await _sqlite_case(start_server, tmp_path, figure, "SQLite, read-only", SqliteTrouble.read_only)


async def _terminate(admin: Any, database: str, until: float) -> int:
    """Cut every connection to `database` (only the test's own) every 50 ms until
    `until`; the connections cut."""
    cut = 0
    while time.monotonic() < until:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        cut += sum(1 for row in rows if row[0])
        await asyncio.sleep(0.05)
    return cut


@pytest.mark.postgres
@pytest.mark.timeout(scale(90, 300))
async def test_postgres_connections_cut_never_get_a_false_ok(
    tmp_path: Path, figure: Record
) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    trouble_for = scale(3, 10)
    async with fresh_postgres_database() as url:
        parsed = make_url(url)
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        node = Node(tmp_path / "node", "--database-url", url)
        admin = await asyncpg.connect(dsn)
        writer: WsClient | None = None
        try:
            await node.start()
            writer = await register(node.url, "writer")
            ledger = Ledger(writer)
            for _ in range(20):
                assert await ledger.send()
            before = len(ledger.acked)
            until = time.monotonic() + trouble_for
            cutting = asyncio.create_task(_terminate(admin, parsed.database or "", until))
            sends = 0
            while not cutting.done() and sends < MOST_SENDS:
                await ledger.send()
                sends += 1
            cut = await cutting
            refused = dict(ledger.codes)
            acked_in_trouble = len(ledger.acked) - before
            recovery = await ledger.recover(RECOVERY)
            after = sum(ledger.codes.values()) - sum(refused.values())
            await ledger.resend_all(RECOVERY * 3)
            rows = await postgres_rows(url)
            health = await _health(node.http)
        finally:
            if writer is not None:
                await writer.close()
            await admin.close()
            await stop_all([node])
    result = audit(ledger.acked, rows)
    figure(
        "database",
        "PostgreSQL, connections cut",
        seconds_of_cuts=trouble_for,
        connections_cut=cut,
        sends_in_trouble=sends,
        acknowledged_in_trouble=acked_in_trouble,
        refused=sum(refused.values()),
        codes="/".join(sorted(refused)) or "none",
        refused_after=after,
        false_ok=result["lost"],
        duplicated=result["duplicated"],
        recovery_ms=round(recovery * 1000),
        healthz_after=health,
    )
    assert cut > 0
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["stored"] == result["acknowledged"] == ledger.count
    assert not result["_gaps"]
    # a cut connection fails what runs on it: a refusal, never an ok
    assert set(refused) <= CUT_CODES, refused
    assert health.startswith("200")
