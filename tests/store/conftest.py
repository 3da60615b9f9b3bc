"""The store's contract suite runs on every backend: `sqlite` (a file under tmp_path)
and `postgres` (a fresh database from the `migrated_postgres_url` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chinwag.store.sql import SqlStore, open_store, sqlite_url

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database of each backend with no data (a PostgreSQL one has the
    newest schema already; a SQLite file is made by the store)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path_factory.mktemp("store") / "data" / "chinwag.db")
    url: str = request.getfixturevalue("migrated_postgres_url")
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    opened = await open_store(db_url)
    try:
        yield opened
    finally:
        await opened.close()
