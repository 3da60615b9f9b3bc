"""Backend details: URLs, SQLite's pragmas, in-memory SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from chinwag.store.sql import open_store, sqlite_url
from chinwag.store.sql.dialect import (
    SqliteDatabase,
    normalize_url,
    open_database,
    write_refusal,
)
from tests.store.helpers import make_user


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite:///x.db"),
        ("sqlite+pysqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url).render_as_string() == expected


def test_sqlite_url_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_url("a/b.db") == f"sqlite:///{(tmp_path / 'a' / 'b.db').as_posix()}"


def test_unsupported_database() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        open_database("mysql://u@h/db")


def pragmas(conn: Connection) -> tuple[str, int, int, int]:
    def value(name: str) -> object:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

    return (
        str(value("journal_mode")),
        int(str(value("synchronous"))),
        int(str(value("foreign_keys"))),
        int(str(value("busy_timeout"))),
    )


async def test_sqlite_file_pragmas_and_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "chinwag.db"
    store = await open_store(sqlite_url(path))
    try:
        assert path.exists()
        assert isinstance(store.db, SqliteDatabase)
        # journal WAL, synchronous NORMAL (1), foreign keys on, a busy timeout
        for run in (store.db.read, store.db.write):
            mode, synchronous, foreign_keys, busy = await run(pragmas)
            assert (mode, synchronous, foreign_keys) == ("wal", 1, 1)
            assert busy >= 1000
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
async def test_sqlite_in_memory(url: str) -> None:
    store = await open_store(url)
    try:
        await make_user(store, "alice")
        await store.ensure_room("general", "General", "public", now=1)
        message, _ = await store.append_message("general", "alice", "hi", client_msg_id="c", now=2)
        assert message.seq == 1
        assert await store.messages_since("general", 0, 10) == [message]
    finally:
        await store.close()


class _DriverError(Exception):
    """An error as a driver raises it, with the code it carries."""

    def __init__(self, sqlstate: str | None = None, sqlite_errorcode: int | None = None):
        super().__init__("whatever the driver says")
        if sqlstate is not None:
            self.sqlstate = sqlstate
        if sqlite_errorcode is not None:
            self.sqlite_errorcode = sqlite_errorcode


@pytest.mark.parametrize(
    ("orig", "refusal"),
    [
        (_DriverError(sqlstate="53100"), "full"),  # disk_full
        (_DriverError(sqlstate="25006"), "read_only"),  # read_only_sql_transaction
        (_DriverError(sqlstate="40001"), None),  # serialization: retried, not refused
        (_DriverError(sqlite_errorcode=13), "full"),  # SQLITE_FULL
        (_DriverError(sqlite_errorcode=8), "read_only"),  # SQLITE_READONLY
        (_DriverError(sqlite_errorcode=8 | (4 << 8)), "read_only"),  # READONLY_DBMOVED
        (_DriverError(sqlite_errorcode=5), None),  # SQLITE_BUSY
        (_DriverError(), None),
    ],
)
def test_refusals_are_read_from_the_drivers_codes(orig: Exception, refusal: str | None) -> None:
    assert write_refusal(DBAPIError("INSERT ...", {}, orig)) == refusal
    assert write_refusal(orig) is None  # not through SQLAlchemy: not a database's answer
