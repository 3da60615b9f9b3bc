"""Running the Alembic migrations in `migrations/` from code.

`chinwag admin migrate` upgrades a database explicitly; `chinwag serve` (through
`open_store`) still upgrades an older database by itself when it starts, one node at a
time (see `Database.migrate`). Both refuse a database whose revision this chinwag does
not know, which a newer chinwag made: `SchemaTooNew`, never a downgrade by accident.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from chinwag.store.sql.dialect import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ALEMBIC_INI = MIGRATIONS / "alembic.ini"


class SchemaTooNew(Exception):
    """The database is at a revision this chinwag does not know (a newer one made it)."""

    #: The exit code of a command refused for it.
    exit_code = 3

    def __init__(self, current: str, head: str) -> None:
        super().__init__(
            f"the database is at schema revision {current}, which this chinwag does not "
            f"know (it knows up to {head}): a newer chinwag has upgraded it. Run that "
            "newer version, or restore a backup made before the upgrade."
        )
        self.current = current
        self.head = head


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for our scripts; with `connection`, env.py migrates over it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this chinwag knows."""
    found = _scripts().get_current_head()
    assert found is not None
    return found


def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


def current_revision(conn: Connection) -> str | None:
    """The database's revision; None before the first migration."""
    return MigrationContext.configure(conn).get_current_revision()


def check_known(conn: Connection) -> str | None:
    """The database's revision, or `SchemaTooNew` if this chinwag does not know it."""
    current = current_revision(conn)
    if current is not None and current not in known_revisions():
        raise SchemaTooNew(current, head())
    return current


async def revision(db: Database) -> str | None:
    """The database's revision (None: no schema yet), checked as `check_known` does."""
    return await db.read(check_known)


async def upgrade(db: Database, revision: str = "head") -> str | None:
    """Migrate the database to `revision` in one transaction (a no-op when it is there);
    the revision it was at before. Raises `SchemaTooNew` for a database newer than this
    chinwag, and changes nothing then."""
    before: list[str | None] = []

    def run(connection: Connection) -> None:
        before.append(check_known(connection))
        command.upgrade(alembic_config(connection), revision)

    await db.migrate(run)
    return before[0]
