"""Where SQLite and PostgreSQL differ, and nowhere else.

The store's operations are written once, as plain functions of a synchronous SQLAlchemy
`Connection` that each make one unit of work. A `Database` runs them:

- PostgreSQL (asyncpg): on an `AsyncEngine`, through `AsyncConnection.run_sync`, each
  statement one awaited round trip. Writes run in a transaction, where row locks
  serialise writers; reads run in autocommit (one round trip, not BEGIN/SELECT/ROLLBACK).
- SQLite (the standard `sqlite3` module): on threads. SQLite calls are blocking and the
  database has one writer, so every write runs on a single writer thread, which
  serialises writes the way an `asyncio.Lock` would, and reads run on a few reader
  threads (WAL lets them proceed during a write). A whole unit of work costs one hop
  between the event loop and a thread. (The aiosqlite driver hops for every DBAPI call:
  about four per statement, over ten per message sent, which on a small server caps
  sends well below 1,000/s.)
  Each connection gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout. The
  driver's own transaction handling is switched off and we emit BEGIN: `BEGIN
  IMMEDIATE` for writes, so a write takes the database's write lock up front (a
  deferred transaction that upgrades to a write can fail at once with SQLITE_BUSY when
  another process wrote), and no BEGIN at all for single-statement reads.
- "Insert or ignore" is `INSERT ... ON CONFLICT (...) DO NOTHING` on both, written with
  each dialect's own `insert()` construct (`insert_ignore`, `upsert`).
- A write that depends on a table being empty needs `lock_table` on PostgreSQL, where
  concurrent transactions would each see it empty; SQLite's single writer needs nothing.
- A database that cannot be written (its disk full, or read-only) says so with its own
  error codes: `write_refusal` reads them (SQLITE_FULL and SQLITE_READONLY; SQLSTATE
  53100 `disk_full` and 25006 `read_only_sql_transaction`), and `write` raises
  `CannotWrite` instead, which the server answers with `unavailable`. `WriteRefusals`
  logs that once per episode rather than once per write.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from chinwag.store.records import CannotWrite, WriteRefusal

log = logging.getLogger("chinwag.store")

P = ParamSpec("P")
T = TypeVar("T")
Work = Callable[Concatenate[Connection, P], T]

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
)
SQLITE_READERS = 4
PG_POOL_SIZE = 20
#: Key of the PostgreSQL advisory lock that lets one node at a time run migrations.
PG_MIGRATION_LOCK = 0x63_68_69_6E_77_61_67  # "chinwag"
#: SQLSTATEs after which a write transaction may simply be run again.
PG_RETRYABLE = frozenset({"23505", "40001", "40P01"})  # unique, serialization, deadlock
#: Why a database refuses to write, by SQLSTATE and by SQLite's primary result code.
PG_REFUSALS: dict[str, WriteRefusal] = {"53100": "full", "25006": "read_only"}
SQLITE_REFUSALS: dict[int, WriteRefusal] = {13: "full", 8: "read_only"}  # FULL, READONLY
#: Seconds after a refused write during which the database still counts as refusing
#: (`WriteRefusals.recent`), and after which the next refusal is logged again.
REFUSAL_MEMORY = 30.0


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL and pick our driver: `sqlite3` for SQLite (whatever driver
    the URL names, e.g. `sqlite+aiosqlite`), asyncpg for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend == "postgresql" or parsed.drivername == "postgres":
        return parsed.set(drivername="postgresql+asyncpg")
    return parsed


def sqlite_url(path: str | Path) -> str:
    """The URL of the SQLite database file at `path`."""
    return f"sqlite:///{Path(path).expanduser().resolve().as_posix()}"


def write_refusal(exc: BaseException) -> WriteRefusal | None:
    """Whether `exc` is the database refusing a write because its disk is full or it is
    read-only, by the driver's error codes (never its wording)."""
    if not isinstance(exc, DBAPIError):
        return None
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return SQLITE_REFUSALS.get(code & 0xFF)  # extended codes keep the primary below
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return PG_REFUSALS.get(sqlstate) if isinstance(sqlstate, str) else None


_DESCRIBED = {"full": "its disk is full", "read_only": "it is read-only"}


class WriteRefusals:
    """The database's recent refusals to write. An episode starts with a refusal that
    follows none for `REFUSAL_MEMORY` seconds, and ends with a write that succeeds
    that long after the last refusal: each is logged once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.reason: WriteRefusal | None = None
        self.last = 0.0
        self.count = 0

    def refused(self, reason: WriteRefusal) -> None:
        now = self._clock()
        if self.recent() != reason:
            log.warning(
                "the database cannot be written (%s): what needs a write is answered "
                "`unavailable` until it can; logins and resumes still work",
                _DESCRIBED[reason],
            )
            self.count = 0
        self.reason = reason
        self.last = now
        self.count += 1

    def wrote(self) -> None:
        if self.reason is not None and self.recent() is None:
            log.warning(
                "the database can be written again (%d write(s) refused before)", self.count
            )
            self.reason = None

    def recent(self) -> WriteRefusal | None:
        """The reason of a write refused in the last `REFUSAL_MEMORY` seconds, if any."""
        if self.reason is not None and self._clock() - self.last <= REFUSAL_MEMORY:
            return self.reason
        return None


class Database(abc.ABC):
    """Runs units of work (functions of a `Connection`) against one database."""

    name: str
    refusals: WriteRefusals

    def _refusal(self, exc: Exception) -> CannotWrite | None:
        """`CannotWrite` to raise instead of `exc` when it is a refusal to write (noted
        in `refusals`); None for any other failure, raised as it is."""
        if isinstance(exc, CannotWrite):
            self.refusals.refused(exc.reason)
            return None
        reason = write_refusal(exc)
        if reason is None:
            return None
        self.refusals.refused(reason)
        return CannotWrite(reason)

    @abc.abstractmethod
    async def read(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `work` for its reads; each statement sees the latest committed data."""

    @abc.abstractmethod
    async def write(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `work` in a transaction, committed if it returns, rolled back if it raises."""

    @abc.abstractmethod
    async def migrate(self, work: Callable[[Connection], None]) -> None:
        """Run `work` (Alembic) in a transaction that no other `migrate` runs alongside."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release every connection and thread."""


class SqliteDatabase(Database):
    name = "sqlite"

    def __init__(self, url: URL, *, readers: int = SQLITE_READERS) -> None:
        self.refusals = WriteRefusals()
        database = url.database or ""
        memory = database in ("", ":memory:") or "mode=memory" in database
        if not memory and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        event.listen(self.engine, "connect", _sqlite_on_connect)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="chinwag-sqlite-write")
        # An in-memory database is one connection of one thread: reads go there too.
        self._readers = (
            self._writer
            if memory
            else ThreadPoolExecutor(readers, thread_name_prefix="chinwag-sqlite-read")
        )

    async def read(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(self._run, "", work, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._readers, call)

    async def write(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(self._run, "IMMEDIATE", work, *args, **kwargs)
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._writer, call)
        except Exception as exc:
            refusal = self._refusal(exc)
            if refusal is None:
                raise
            raise refusal from exc
        self.refusals.wrote()
        return result

    async def migrate(self, work: Callable[[Connection], None]) -> None:
        await self.write(work)  # BEGIN IMMEDIATE holds the database's only write lock

    def _run(self, begin: str, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.engine.connect() as conn:
            if not begin:  # a read: each statement is its own snapshot
                return work(conn, *args, **kwargs)
            conn.exec_driver_sql(f"BEGIN {begin}")
            try:
                result = work(conn, *args, **kwargs)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            return result

    async def close(self) -> None:
        def shut() -> None:
            self._writer.shutdown(wait=True)
            self._readers.shutdown(wait=True)
            self.engine.dispose()

        await asyncio.get_running_loop().run_in_executor(None, shut)


class PostgresDatabase(Database):
    name = "postgresql"

    def __init__(self, url: URL) -> None:
        # A fixed pool: "overflow" connections are closed on return, so a burst beyond
        # the pool would open and close a connection per unit of work (measured: 20x
        # slower than queueing for one). No pre-ping (a round trip per checkout): a
        # dropped connection fails its unit of work once and is replaced.
        self.refusals = WriteRefusals()
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=PG_POOL_SIZE, max_overflow=0, pool_timeout=60
        )

    async def read(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            return await conn.run_sync(work, *args, **kwargs)

    async def write(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            async with self.engine.begin() as conn:
                result = await conn.run_sync(work, *args, **kwargs)
        except Exception as exc:
            refusal = self._refusal(exc)
            if refusal is None:
                raise
            raise refusal from exc
        self.refusals.wrote()
        return result

    async def migrate(self, work: Callable[[Connection], None]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            await conn.run_sync(work)

    async def close(self) -> None:
        await self.engine.dispose()


def open_database(url: str | URL) -> Database:
    """A `Database` for `url` (see `normalize_url`); creates a SQLite file's directory."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return SqliteDatabase(parsed)
    if backend == "postgresql":
        return PostgresDatabase(parsed)
    raise ValueError(f"unsupported database {parsed.render_as_string()!r}")


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed write transaction may be run again as is: a unique violation
    caused by a concurrent transaction, or a PostgreSQL deadlock/serialization failure."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, DBAPIError):
        return getattr(exc.orig, "sqlstate", None) in PG_RETRYABLE
    return False


# -- statements that differ by dialect ---------------------------------------------------
def _insert(dialect: str, table: Table) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


@functools.cache
def insert_ignore(dialect: str, table: Table, conflict: tuple[str, ...]) -> Insert:
    """`INSERT` that skips a row whose `conflict` columns exist (`RETURNING` then gives
    no row). `dialect` is the connection's `dialect.name`."""
    stmt: Insert = _insert(dialect, table).on_conflict_do_nothing(index_elements=list(conflict))
    return stmt


@functools.cache
def upsert(
    dialect: str, table: Table, conflict: tuple[str, ...], update: tuple[str, ...]
) -> Insert:
    """`INSERT` that instead updates the `update` columns of a row that exists."""
    ins = _insert(dialect, table)
    stmt: Insert = ins.on_conflict_do_update(
        index_elements=list(conflict), set_={c: ins.excluded[c] for c in update}
    )
    return stmt


def lock_table(conn: Connection, table: Table) -> None:
    """Keep other transactions from writing `table` until this one ends, where that is
    needed: on PostgreSQL (SQLite's writes are serialised already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f'LOCK TABLE "{table.name}" IN SHARE ROW EXCLUSIVE MODE'))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 driver: `SqliteDatabase._run` emits it.
    dbapi_connection.isolation_level = None
    for pragma in SQLITE_PRAGMAS:
        dbapi_connection.execute(pragma)
