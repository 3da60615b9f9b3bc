"""Backend details: URLs, SQLite's pragmas, in-memory SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Connection

from chinwag.store.sql import open_store, sqlite_url
from chinwag.store.sql.dialect import SqliteDatabase, normalize_url, open_database
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
