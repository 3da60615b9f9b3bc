"""Alembic environment: migrations run over the application's connection (open_store),
or, from the `alembic` command line, over a database opened the way the store opens it."""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from chinwag.store.sql import search
from chinwag.store.sql.dialect import normalize_url, open_database
from chinwag.store.sql.tables import metadata

config = context.config


def _url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("CHINWAG_DATABASE_URL")
    )
    if not url:
        raise SystemExit("no database: pass -x url=..., or set CHINWAG_DATABASE_URL")
    return url


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=search.in_metadata,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_url(url: str) -> None:
    db = open_database(url)
    try:
        await db.migrate(_migrate)
    finally:
        await db.close()


def main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        context.configure(
            url=normalize_url(_url()),
            target_metadata=metadata,
            literal_binds=True,
            include_name=search.in_metadata,
            dialect_opts={"paramstyle": "named"},
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_migrate_url(_url()))


main()
