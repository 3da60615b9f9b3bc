"""The `Store` on SQLAlchemy Core: SQLite and PostgreSQL (asyncpg).

`await open_store(sqlite_url(path))` or `await open_store("postgresql://user@host/db")`
gives a migrated, ready store; `await store.close()` releases it.
"""

from __future__ import annotations

from chinwag.store.sql.dialect import open_database, sqlite_url
from chinwag.store.sql.migrate import upgrade
from chinwag.store.sql.store import SqlStore

__all__ = ["SqlStore", "open_store", "sqlite_url"]


async def open_store(url: str) -> SqlStore:
    """Connect to the database at `url`, migrate it to the newest schema and return the
    store; close the store to release its connections. A SQLite file's directory is
    created. Bare `sqlite:` and `postgresql:` URLs are fine: the drivers are ours to
    choose (see `dialect.normalize_url`)."""
    db = open_database(url)
    try:
        await upgrade(db)
    except BaseException:
        await db.close()
        raise
    return SqlStore(db)
