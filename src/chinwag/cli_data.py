"""`chinwag admin backup | export | import | migrate`: keeping and moving a community's
data (docs/archive.md, and "Backups and moving" in the README).

These open the database themselves, not through `open_store`: `export` and `backup`
must not change the database they read, `import` needs it empty (a server's start
would add `general`), and `migrate` says what it did.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from chinwag.config import ServerConfig
from chinwag.store.sql import archive_format as fmt
from chinwag.store.sql import migrate

Handler = Callable[[ServerConfig, argparse.Namespace], int]


def configure(asub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = asub.add_parser(
        "backup",
        help="copy the database to FILE while the server runs (SQLite); PostgreSQL: the "
        "pg_dump command to use",
    )
    b.add_argument("file", type=Path, metavar="FILE")
    b.add_argument("--run", action="store_true", help="PostgreSQL: run that pg_dump command")
    b.add_argument("--force", action="store_true", help="replace FILE if it exists")
    b.set_defaults(func=_runner(_backup))
    e = asub.add_parser(
        "export", help="write the community to FILE as a JSON Lines archive (docs/archive.md)"
    )
    e.add_argument("file", metavar="FILE", help="the archive (.gz: compressed; -: stdout)")
    e.add_argument(
        "--with-password-hashes",
        action="store_true",
        help="include password hashes (so that people log in with their passwords after "
        "an import); keep such an archive as safely as the database",
    )
    e.add_argument(
        "--with-files", type=Path, metavar="DIR", help="copy the files' bytes into DIR too"
    )
    e.add_argument("--force", action="store_true", help="replace FILE if it exists")
    e.set_defaults(func=_runner(_export))
    i = asub.add_parser("import", help="load an archive into an empty database")
    i.add_argument("file", type=Path, metavar="FILE", help="the archive (.gz: compressed)")
    i.add_argument(
        "--files", type=Path, metavar="DIR", help="the files' bytes (export's --with-files DIR)"
    )
    i.set_defaults(func=_runner(_import))
    m = asub.add_parser(
        "migrate", help="upgrade the database's schema to this chinwag's (serve does too)"
    )
    m.add_argument(
        "--check", action="store_true", help="only say whether it needs an upgrade (exit 1 if so)"
    )
    m.set_defaults(func=_runner(_migrate))


def _runner(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        flags = {"data_dir": args.data_dir, "database_url": args.database_url}
        config = ServerConfig.load(flags, config_file=args.config)
        try:
            return handler(config, args)
        except DataError as exc:
            print(f"chinwag: {exc}", file=sys.stderr)
            return 1

    return run


class DataError(Exception):
    """A command that cannot be done as asked: the message says why."""


def _url(config: ServerConfig) -> Any:
    from sqlalchemy.exc import ArgumentError

    from chinwag.store.sql.dialect import normalize_url

    try:
        url = normalize_url(config.resolved_database_url())
    except ArgumentError as exc:
        raise DataError(f"not a database URL: {exc}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DataError(f"chinwag keeps its data in SQLite or PostgreSQL, not {url.drivername}")
    return url


def _shown(config: ServerConfig) -> str:
    url = _url(config)
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return str(url.render_as_string(hide_password=True))


# -- backup ------------------------------------------------------------------------------
def _backup(config: ServerConfig, args: argparse.Namespace) -> int:
    from chinwag.store.sql.archive_backup import BackupError, pg_dump_command, sqlite_backup

    url = _url(config)
    if url.get_backend_name() == "sqlite":
        if args.run:
            print("(--run is for PostgreSQL; a SQLite backup is made by chinwag itself)")
        started = time.monotonic()
        try:
            done = sqlite_backup(Path(url.database), args.file, overwrite=args.force)
        except BackupError as exc:
            raise DataError(str(exc)) from None
        print(
            f"SQLite online backup of {url.database} written to {done.path} "
            f"({_size(done.size)}, schema {done.revision or 'none'}, {done.messages} "
            f"messages, checked) in {time.monotonic() - started:.1f} s"
        )
        print(
            "To restore: stop the server, then copy it over the database file (and "
            "delete the database's -wal and -shm files)."
        )
        return 0
    dump = pg_dump_command(url, args.file)
    if not args.run:
        print("PostgreSQL: chinwag does not copy a PostgreSQL database itself. Back it up with")
        print(f"  {dump.shown}")
        if "PGPASSWORD" in dump.env:
            print("with PGPASSWORD set to the database's password (not shown), or a ~/.pgpass")
        for name in sorted(set(dump.env) - {"PGPASSWORD"}):
            print(f"with {name}={dump.env[name]} set in its environment")
        _left_out(dump.left_out)
        print(f"Restore into a new database with: pg_restore --no-owner --dbname=NEWDB {args.file}")
        print("Or pass --run to have chinwag run pg_dump now (it needs pg_dump installed).")
        return 0
    if shutil.which("pg_dump") is None:
        raise DataError("pg_dump is not installed here: run the command without --run to see it")
    if args.file.exists() and not args.force:
        raise DataError(f"{args.file} exists: pick another name, or pass --force")
    print(f"PostgreSQL: running {dump.shown}", flush=True)
    _left_out(dump.left_out)
    # pg_dump writes beside the file, renamed once complete.
    partial = args.file.with_name(f".{args.file.name}.{os.getpid()}.part")
    running = pg_dump_command(url, partial)
    try:
        done_ = subprocess.run(running.argv, env={**os.environ, **running.env}, check=False)
        if done_.returncode != 0:
            raise DataError(f"pg_dump failed (exit code {done_.returncode}); its message is above")
        os.replace(partial, args.file)
    except OSError as exc:
        raise DataError(f"cannot write {args.file}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    print(f"pg_dump wrote {args.file} ({_size(args.file.stat().st_size)})")
    return 0


def _left_out(keys: list[str]) -> None:
    if keys:
        print(f"(the URL's options {', '.join(keys)} are not passed to pg_dump: add them)")


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"  # unreachable


# -- the database, opened for one command -------------------------------------------------
def _with_database(config: ServerConfig, work: Callable[[Any], Any], *, create: bool) -> Any:
    """Run `await work(db)` on the configured database, closed afterwards. Without
    `create`, a SQLite file that is not there is an error rather than made."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from chinwag.store.sql.dialect import open_database

    url = _url(config)
    if not create and url.get_backend_name() == "sqlite" and not Path(url.database).is_file():
        raise DataError(f"there is no database at {url.database}")

    async def main() -> Any:
        try:
            db = open_database(url)
            await db.read(_ping)
        except (OSError, ValueError, ArgumentError, DBAPIError) as exc:
            if "db" in locals():
                await db.close()
            reason = exc.orig if isinstance(exc, DBAPIError) else exc
            raise DataError(f"cannot open the database at {_shown(config)}: {reason}") from None
        try:
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except DBAPIError as exc:
        raise DataError(f"the database at {_shown(config)} refused: {exc.orig}") from None


def _ping(conn: Any) -> None:
    conn.exec_driver_sql("SELECT 1")


async def _at_head(db: Any, what: str) -> str:
    current = await migrate.revision(db)
    if current is None:
        raise DataError(f"there is no chinwag database to {what} here")
    if current != migrate.head():
        raise DataError(
            f"the database is at schema revision {current}, older than this chinwag's "
            f"({migrate.head()}): run `chinwag admin migrate` first"
        )
    return current


# -- migrate -----------------------------------------------------------------------------
def _migrate(config: ServerConfig, args: argparse.Namespace) -> int:
    head = migrate.head()

    async def work(db: Any) -> int:
        if args.check:
            current = await migrate.revision(db)
            if current == head:
                print(f"{_shown(config)}: schema revision {head}, this chinwag's newest")
                return 0
            print(
                f"{_shown(config)}: schema revision {current or 'none'}; `chinwag admin "
                f"migrate` upgrades it to {head}"
            )
            return 1
        before = await migrate.upgrade(db)
        if before == head:
            print(f"{_shown(config)}: already at schema revision {head}, nothing to do")
        elif before is None:
            print(f"{_shown(config)}: a new database, its schema made at revision {head}")
        else:
            print(f"{_shown(config)}: upgraded from schema revision {before} to {head}")
        return 0

    result: int = _with_database(config, work, create=True)
    return result


# -- export ------------------------------------------------------------------------------
@contextmanager
def _archive_out(name: str, force: bool) -> Iterator[IO[bytes]]:
    """The archive's file, written beside its name and renamed once complete."""
    if name == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(name)
    if path.exists() and not force:
        raise DataError(f"{path} exists: pick another name, or pass --force")
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(partial, "wb") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as zipped:
                    yield cast(IO[bytes], zipped)
            else:
                yield raw
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _reading(lines: IO[bytes]) -> Iterator[bytes]:
    """The lines of an archive, with a failure to read them said as the archive's."""
    from chinwag.store.sql.archive_import import ArchiveError

    try:
        yield from lines
    except (OSError, EOFError) as exc:  # a damaged gzip file, a disk error
        raise ArchiveError(f"cannot read the archive: {exc}") from None


def _open_archive(path: Path) -> IO[bytes]:
    if not path.is_file():
        raise DataError(f"there is no archive at {path}")
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.GzipFile(path, "rb"))
    return open(path, "rb")


def _export(config: ServerConfig, args: argparse.Namespace) -> int:
    from chinwag.store.sql import archive

    if args.with_files is not None and args.file == "-":
        raise DataError("--with-files needs the archive in a file, not on stdout")
    if args.with_files is not None:
        try:
            args.with_files.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"cannot make {args.with_files}: {exc}") from None
    say = sys.stderr if args.file == "-" else sys.stdout
    started = time.monotonic()
    now = time.time_ns() // 1_000_000

    async def work(db: Any) -> dict[str, int]:
        await _at_head(db, "export")
        try:
            with _archive_out(args.file, args.force) as out:
                counts: dict[str, int] = await archive.snapshot(
                    db,
                    archive.export,
                    out,
                    now=now,
                    password_hashes=args.with_password_hashes,
                    with_files=args.with_files is not None,
                )
        except OSError as exc:
            raise DataError(f"cannot write {args.file}: {exc}") from None
        return counts

    counts = _with_database(config, work, create=False)
    print(
        f"exported {_counted(counts)} from {_shown(config)} to {args.file} "
        f"in {time.monotonic() - started:.1f} s",
        file=say,
    )
    if not args.with_password_hashes:
        print(
            "(no password hashes: after an import, set passwords with "
            "`chinwag admin reset-password`, or export --with-password-hashes)",
            file=say,
        )
    if args.with_files is not None:
        copied, missing = _copying(config, Path(args.file), args.with_files, "out")
        print(
            f"copied {copied} stored objects of {counts.get('blob', 0)} blobs to {args.with_files}",
            file=say,
        )
        if missing:
            print(
                f"warning: {len(missing)} blobs were not in the file store: "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}",
                file=say,
            )
    return 0


def _counted(counts: dict[str, int]) -> str:
    parts = [f"{counts.get(kind, 0)} {kind}s" for kind in fmt.ORDER[1:-1]]
    return ", ".join(parts)


def _blob_lines(path: Path) -> Iterator[fmt.Blob]:
    with _open_archive(path) as lines:
        for line in lines:
            if line.startswith(b'{"type":"blob"'):
                record = fmt.DECODER.decode(line)
                if isinstance(record, fmt.Blob):
                    yield record


def _copying(
    config: ServerConfig, archive_path: Path, directory: Path, direction: str
) -> tuple[int, list[str]]:
    try:
        return asyncio.run(_copy_files(config, archive_path, directory, direction))
    except OSError as exc:
        raise DataError(f"copying the files' bytes failed: {exc}") from None


async def _copy_files(
    config: ServerConfig, archive_path: Path, directory: Path, direction: str
) -> tuple[int, list[str]]:
    """Copy every stored object of the archive's blobs between the file store and
    `directory` (laid out as a local file store): "out" for an export, "in" for an
    import. The objects copied, and the blobs whose bytes were not found."""
    from chinwag.files.intake import blob_key, keys_of
    from chinwag.files.storage import LocalFileStore, open_file_store
    from chinwag.store.uploads import Blob

    server = open_file_store(config.files_url, config.data_dir, endpoint=config.files_endpoint)
    local = LocalFileStore(directory)
    source, target = (server, local) if direction == "out" else (local, server)
    copied, missing = 0, []
    try:
        for b in _blob_lines(archive_path):
            blob = Blob(b.sha256, b.size, b.content_type, b.width, b.height, b.preview, b.stored)
            for key in keys_of(blob):
                if await source.size(key) is None:
                    if key == blob_key(b.sha256):
                        missing.append(b.sha256)
                    continue
                await _copy(source, target, key, directory)
                copied += 1
    finally:
        await server.close()
    return copied, missing


async def _copy(source: Any, target: Any, key: str, directory: Path) -> None:
    staging = directory / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    part = staging / f"{os.getpid()}.part"
    out = await asyncio.to_thread(open, part, "wb")
    try:
        with out:
            async for chunk in source.read(key):
                await asyncio.to_thread(out.write, chunk)
        await target.put(key, part)
    finally:
        part.unlink(missing_ok=True)


# -- import ------------------------------------------------------------------------------
def _import(config: ServerConfig, args: argparse.Namespace) -> int:
    from chinwag.store.sql.archive_import import ArchiveError, check_header, load, records

    started = time.monotonic()
    with _open_archive(args.file) as lines:
        try:
            first = next(records(lines), None)
        except (OSError, EOFError) as exc:
            raise DataError(f"cannot read {args.file}: {exc}") from None
        except ArchiveError as exc:
            raise DataError(f"{args.file}: {exc}") from None
        if first is None:
            raise DataError(f"{args.file} is empty: it has no header line")
        try:
            header = check_header(first[1], migrate.known_revisions())
        except ArchiveError as exc:
            raise DataError(f"{args.file}: {exc}") from None
    if args.files is not None and not header.files:
        print("(the archive was exported without --with-files: its files' bytes may be missing)")
    if args.files is not None:
        if not args.files.is_dir():
            raise DataError(f"there is no directory {args.files}")
        copied, missing = _copying(config, args.file, args.files, "in")
        print(f"copied {copied} stored objects from {args.files} to the file store")
        if missing:
            print(f"warning: {len(missing)} blobs were not in {args.files}")

    async def work(db: Any) -> dict[str, int]:
        await migrate.upgrade(db)
        with _open_archive(args.file) as lines:
            known = migrate.known_revisions()
            counts: dict[str, int] = await db.write(load, _reading(lines), known)
        return counts

    try:
        counts = _with_database(config, work, create=True)
    except ArchiveError as exc:
        raise DataError(f"{args.file}: {exc}; nothing was imported") from None
    print(
        f"imported {_counted(counts)} into {_shown(config)} in {time.monotonic() - started:.1f} s"
    )
    if not header.password_hashes and counts.get("user"):
        print(
            "The archive has no password hashes: nobody can log in until an admin sets "
            "their password (`chinwag admin reset-password NAME`)."
        )
    return 0
