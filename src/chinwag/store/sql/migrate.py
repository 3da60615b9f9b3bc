"""Running the Alembic migrations in `migrations/` from code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from chinwag.store.sql.dialect import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ALEMBIC_INI = MIGRATIONS / "alembic.ini"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for our scripts; with `connection`, env.py migrates over it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate the database to `revision` in one transaction (a no-op when it is there)."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    await db.migrate(run)
