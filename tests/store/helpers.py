"""Shortcuts for the store's tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Connection

from chinwag.core.models import UserRecord
from chinwag.store.records import WriteRefusal
from chinwag.store.sql import SqlStore
from chinwag.store.sql.dialect import PostgresDatabase, SqliteDatabase


async def make_user(
    store: SqlStore, username: str, *, now: int = 1, admin: bool | None = None
) -> UserRecord:
    return await store.create_user(
        username,
        f"hash-of-{username}",
        display_name=username.title(),
        color="#1d9bf0",
        now=now,
        admin=admin,
    )


@contextlib.asynccontextmanager
async def writes_refused(store: SqlStore, reason: WriteRefusal) -> AsyncIterator[None]:
    """Within the block, the store's database really refuses writes, with its own error
    codes, while reads go on. SQLite: a pragma run on every connection the store takes,
    `query_only` for "read_only" and, for "full", `max_page_count` at the database's size
    now (a write that needs a new page fails with SQLITE_FULL, as on a full disk; one
    that fits in the pages there still succeeds, as it may on a full disk). PostgreSQL
    ("read_only" only): the database is made read-only for new connections and the
    store's pool is emptied, so that every connection it opens is read-only."""
    db = store.db
    if isinstance(db, SqliteDatabase):

        def size(conn: Connection) -> int:
            return int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())

        pragma = "PRAGMA query_only = 1"
        if reason == "full":
            pragma = f"PRAGMA max_page_count = {await db.read(size)}"

        def limit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.execute(pragma)

        event.listen(db.engine, "checkout", limit)
        try:
            yield
        finally:
            event.remove(db.engine, "checkout", limit)
            db.engine.dispose()  # the connections that ran the pragma are not used again
        return
    assert isinstance(db, PostgresDatabase) and reason == "read_only"
    url = db.engine.url
    # Opened before the change, this connection is not read-only: it can undo it.
    admin = await asyncpg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    name = url.database
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        await db.engine.dispose()
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            await db.engine.dispose()
    finally:
        await admin.close()
