"""Backups of the database itself: SQLite's online backup API, and the `pg_dump` command
for PostgreSQL.

A SQLite backup copies the database in one step of `sqlite3.Connection.backup`, which
reads it in one read transaction: with WAL, the server keeps writing meanwhile, and the
copy holds the database as it was when the step began (every message acknowledged
before it, none half-written). The copy is written beside its target, switched out of
WAL so that it is one self-contained file, checked (`PRAGMA quick_check`), and only
then renamed to its name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL

#: Seconds a backup waits for a lock the server holds (as the server's busy timeout).
BUSY_TIMEOUT = 10.0


class BackupError(Exception):
    """A backup that could not be made, and why."""


@dataclasses.dataclass(frozen=True)
class SqliteBackup:
    path: Path
    size: int
    revision: str | None
    messages: int


def sqlite_backup(source: Path, target: Path, *, overwrite: bool = False) -> SqliteBackup:
    """Copy the SQLite database at `source` to the file `target` while it is in use."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if not target.parent.is_dir():
        raise BackupError(f"there is no directory {target.parent} to write the backup in")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists: pick another name, or pass --force")
    if target.resolve() == source.resolve():
        raise BackupError("the backup cannot replace the database it copies")
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=BUSY_TIMEOUT)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # pages=-1: the whole database in one step
                dst.execute("PRAGMA journal_mode=DELETE")
                problems = [row[0] for row in dst.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise BackupError(f"the copy does not check out: {'; '.join(problems)}")
                revision = _one(dst, "SELECT version_num FROM alembic_version")
                messages = _one(dst, "SELECT count(*) FROM messages")
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"the backup of {source} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return SqliteBackup(
        path=target,
        size=target.stat().st_size,
        revision=None if revision is None else str(revision),
        messages=messages if isinstance(messages, int) else 0,
    )


def _one(conn: sqlite3.Connection, sql: str) -> object:
    with contextlib.suppress(sqlite3.OperationalError):  # not a chinwag database (yet)
        row = conn.execute(sql).fetchone()
        return None if row is None else row[0]
    return None


@dataclasses.dataclass(frozen=True)
class PgDump:
    """The `pg_dump` command that backs up a PostgreSQL database, and the environment
    it needs (the password, never on the command line)."""

    argv: list[str]
    env: dict[str, str]
    #: Parts of the URL that pg_dump is not given (the user passes them themselves).
    left_out: list[str]

    @property
    def shown(self) -> str:
        return shlex.join(self.argv)


#: URL query options that have a libpq environment variable.
_PG_ENV = {"sslmode": "PGSSLMODE", "ssl": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT"}


def pg_dump_command(url: URL, target: Path) -> PgDump:
    """`pg_dump` in its custom format (compressed; `pg_restore` reads it) to `target`,
    with the host, port, user and database of `url`."""
    argv = ["pg_dump", "--format=custom", f"--file={target}"]
    query = dict(url.query)
    host = url.host or query.pop("host", None)
    if isinstance(host, str) and host:
        argv.append(f"--host={host}")
    if url.port:
        argv.append(f"--port={url.port}")
    if url.username:
        argv.append(f"--username={url.username}")
    env: dict[str, str] = {}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    left_out = []
    for key, value in query.items():
        if key in _PG_ENV and isinstance(value, str):
            env[_PG_ENV[key]] = {"true": "require", "false": "disable"}.get(value, value)
        else:
            left_out.append(key)
    argv.append(url.database or "")
    return PgDump(argv=argv, env=env, left_out=left_out)
