"""`chinwag admin backup | export | import | migrate` on real databases and real servers.

The round trip of a community from SQLite to PostgreSQL is in test_cli_data_move.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.bench.seed import Plan, seed
from chinwag.cli import main
from chinwag.server.app import create_app
from chinwag.store.sql import open_store, sqlite_url
from chinwag.store.sql.dialect import open_database
from chinwag.store.sql.migrate import SchemaTooNew, current_revision, head, upgrade
from tests.conftest import fresh_postgres_database
from tests.server.conftest import GuardedTestServer, RunningServer, fast_config
from tests.server.support import WsClient, register

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHINWAG_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CHINWAG_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("CHINWAG_ARGON2_PARALLELISM", "1")
    monkeypatch.delenv("CHINWAG_CONFIG", raising=False)
    monkeypatch.delenv("CHINWAG_DATABASE_URL", raising=False)


@contextlib.asynccontextmanager
async def database(backend: str, tmp_path: Path) -> AsyncIterator[list[str]]:
    """The `chinwag admin` options for an empty database of `backend`."""
    if backend == "sqlite":
        yield ["--data-dir", str(tmp_path / "data")]
        return
    async with fresh_postgres_database() as url:
        yield ["--data-dir", str(tmp_path / "data"), "--database-url", url]


def url_of(options: list[str]) -> str:
    if "--database-url" in options:
        return options[options.index("--database-url") + 1]
    return sqlite_url(Path(options[1]) / "chinwag.db")


async def admin(*args: str) -> int:
    """`chinwag admin ...` as the shell runs it (on a thread: it runs its own loop)."""
    return await asyncio.to_thread(main, ["admin", *args])


async def chinwag(*args: str) -> tuple[int, str]:
    """`python -m chinwag ...` in a process of its own: exit code and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHINWAG_")}
    env.update({k: v for k, v in os.environ.items() if k.startswith("CHINWAG_ARGON2")})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chinwag",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    async with asyncio.timeout(120):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


@contextlib.asynccontextmanager
async def serving(data: Path, **overrides: Any) -> AsyncIterator[RunningServer]:
    """A server on a loopback port, on the data dir `data` (or `database_url`)."""
    app = create_app(fast_config(data, flood_limit=0.0, **overrides))  # back-to-back sends
    server = GuardedTestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield RunningServer(server, app)
    finally:
        await server.close()


@dataclasses.dataclass
class Sender:
    """alice, sending to general as fast as the server acknowledges."""

    acked: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    started: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    stop: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def run(self, alice: WsClient) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            body = f"sent while the data is read {n}"
            send = {"room": "general", "body": body, "client_msg_id": f"c{n}"}
            reply = await alice.request("send", **send)
            while reply["type"] == "error" and reply.get("retry_after") is not None:
                # An overloaded server (a loaded test machine) says when to send again.
                await asyncio.sleep(min(reply["retry_after"], 0.5))
                reply = await alice.request("send", **send)
            assert reply["type"] == "ok", reply
            self.acked.append((reply["message"]["seq"], reply["message"]["body"]))
            if len(self.acked) >= 20:
                self.started.set()


@contextlib.asynccontextmanager
async def sending(server: RunningServer) -> AsyncIterator[Sender]:
    """Within the block, alice sends without a pause (20 already acknowledged)."""
    alice = await register(server.url, "alice")
    sender = Sender()
    task = asyncio.create_task(sender.run(alice))
    try:
        async with asyncio.timeout(60):
            await sender.started.wait()
        yield sender
        sender.stop.set()
        await task
    finally:
        sender.stop.set()
        if not task.done():
            task.cancel()
        await alice.close()


# -- backup ------------------------------------------------------------------------------


async def test_sqlite_backup_while_the_server_takes_sends(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # Enough history that the copy is not instant.
    await seed(
        sqlite_url(data / "chinwag.db"), Plan(users=50, password_hash="x", general_messages=30_000)
    )
    async with serving(data) as server, sending(server) as sender:
        before = list(sender.acked)
        backup = tmp_path / "backup.db"
        code, output = await chinwag("admin", "--data-dir", str(data), "backup", str(backup))
        during = len(sender.acked) - len(before)
    print(output, f"sends acknowledged while the backup ran: {during}")
    assert code == 0, output
    assert "SQLite online backup" in output and "checked" in output
    assert during > 0  # the server went on taking sends
    copy = sqlite3.connect(backup)
    try:
        rows = copy.execute(
            "SELECT seq, body FROM messages WHERE room_id = 'general' ORDER BY seq"
        ).fetchall()
        (mode,) = copy.execute("PRAGMA journal_mode").fetchone()
    finally:
        copy.close()
    assert mode == "delete"  # one self-contained file
    # Every message acknowledged before the backup started is in it, and what it holds
    # is the timeline as it was at one moment: 1, 2, 3, ... with no gap.
    held = dict(rows)
    assert all(held.get(seq) == body for seq, body in before)
    assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1))
    # It opens as a chinwag database of this version.
    store = await open_store(sqlite_url(backup))
    try:
        assert (await store.history_before("general", None, 1))[0].seq == len(rows)
    finally:
        await store.close()


async def test_sqlite_backup_refuses_to_overwrite_and_says_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert await admin("--data-dir", str(data), "backup", str(tmp_path / "x.db")) == 1  # none yet
    await seed(sqlite_url(data / "chinwag.db"), Plan(users=2, password_hash="x"))
    target = tmp_path / "x.db"
    target.write_bytes(b"precious")
    assert await admin("--data-dir", str(data), "backup", str(target)) == 1
    assert target.read_bytes() == b"precious"
    assert await admin("--data-dir", str(data), "backup", str(target), "--force") == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


@pytest.mark.postgres
async def test_postgres_backup_prints_the_pg_dump_command_and_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "community.dump"
    async with fresh_postgres_database() as url:
        await seed(url, Plan(users=5, password_hash="x", general_messages=25))
        assert await admin("--database-url", url, "backup", str(dump)) == 0
        printed = capsys.readouterr().out
        name = url.rsplit("/", 1)[1]
        assert "pg_dump --format=custom" in printed and f" {name}" in printed
        assert "--host=127.0.0.1" in printed and "--username=postgres" in printed
        assert not dump.exists()  # only said
        assert await admin("--database-url", url, "backup", str(dump), "--run") == 0
        assert "running pg_dump" in capsys.readouterr().out
    # The dump restores into another database, with every message.
    async with fresh_postgres_database() as restored:
        from sqlalchemy.engine import make_url

        dsn = make_url(restored).set(drivername="postgresql").render_as_string(hide_password=False)
        process = await asyncio.create_subprocess_exec(
            "pg_restore", "--no-owner", f"--dbname={dsn}", str(dump), stderr=asyncio.subprocess.PIPE
        )
        _, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        store = await open_store(restored)
        try:
            assert len(await store.history_before("general", None, 100)) == 25
        finally:
            await store.close()


# -- migrate -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrate_upgrades_an_older_database_and_says_so(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with database(backend, tmp_path) as options:
        db = open_database(url_of(options))
        try:
            await upgrade(db, "0010")
        finally:
            await db.close()
        assert await admin(*options, "migrate", "--check") == 1
        assert f"schema revision 0010; `chinwag admin migrate` upgrades it to {head()}" in (
            capsys.readouterr().out
        )
        assert await admin(*options, "export", str(tmp_path / "a.jsonl")) == 1
        assert "run `chinwag admin migrate` first" in capsys.readouterr().err
        assert await admin(*options, "migrate") == 0
        assert f"upgraded from schema revision 0010 to {head()}" in capsys.readouterr().out
        assert await admin(*options, "migrate") == 0
        assert "nothing to do" in capsys.readouterr().out
        assert await admin(*options, "migrate", "--check") == 0


async def stamp(url: str, revision: str) -> None:
    """Make the database say it is at `revision`, as a newer chinwag would leave it."""
    from sqlalchemy import text

    db = open_database(url)
    try:
        await db.write(
            lambda conn: conn.execute(
                text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
            )
        )
    finally:
        await db.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_database_newer_than_this_chinwag_is_refused_everywhere(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with database(backend, tmp_path) as options:
        url = url_of(options)
        await seed(url, Plan(users=2, password_hash="x"))
        await stamp(url, "0999")
        with pytest.raises(SchemaTooNew, match="revision 0999, which this chinwag does not know"):
            await open_store(url)
        for command in (
            ["migrate"],
            ["migrate", "--check"],
            ["export", str(tmp_path / "a.jsonl")],
            ["list-users"],
        ):
            assert await admin(*options, *command) == 3, command
            err = capsys.readouterr().err
            assert "a newer chinwag has upgraded it" in err, command
        # The server, started as people start it, stops with the same words.
        code, output = await chinwag("serve", "--port", "0", *options)
        assert code == 3, output
        assert "schema revision 0999, which this chinwag does not know" in output
        assert "Traceback" not in output
        # Nothing was changed.
        db = open_database(url)
        try:
            assert await db.read(current_revision) == "0999"
        finally:
            await db.close()
        assert not (tmp_path / "a.jsonl").exists()


async def test_import_refuses_an_archive_from_a_newer_schema_before_touching_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "a.jsonl"
    archive.write_text(
        '{"type":"header","format":1,"schema":"0999","chinwag":"9.0","created_ts":1,'
        '"password_hashes":false,"files":false}\n{"type":"end","counts":{}}\n'
    )
    assert await admin("--data-dir", str(tmp_path / "data"), "import", str(archive)) == 1
    assert "schema revision '0999', which this chinwag does not know" in capsys.readouterr().err
    assert not (tmp_path / "data" / "chinwag.db").exists()
    assert await admin("--data-dir", str(tmp_path / "data"), "import", str(tmp_path / "none")) == 1
    assert "there is no archive at" in capsys.readouterr().err


async def test_export_compressed_or_to_stdout_and_import_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = ["--data-dir", str(tmp_path / "source")]
    await seed(url_of(source), Plan(users=3, password_hash="x", general_messages=30))
    assert await admin(*source, "export", str(tmp_path / "a.jsonl.gz")) == 0
    capsys.readouterr()
    assert await admin(*source, "export", "-") == 0
    captured = capsys.readouterr()
    plain = captured.out.encode()
    assert plain.startswith(b'{"type":"header"') and b'"type":"end"' in plain
    assert "exported 3 users" in captured.err  # the report stays off the archive
    target = ["--data-dir", str(tmp_path / "target")]
    assert await admin(*target, "import", str(tmp_path / "a.jsonl.gz")) == 0
    assert "imported 3 users, 1 rooms, 3 members" in capsys.readouterr().out
    assert await admin(*target, "export", str(tmp_path / "b.jsonl")) == 0
    again = (tmp_path / "b.jsonl").read_bytes()
    assert again.split(b"\n")[1:] == plain.split(b"\n")[1:]
    # An archive is not overwritten by mistake.
    assert await admin(*target, "export", str(tmp_path / "b.jsonl")) == 1
    assert "b.jsonl exists" in capsys.readouterr().err


async def _gzip_cut_short(tmp_path: Path) -> None:
    """A real archive, compressed, cut in the middle."""
    import gzip

    source = ["--data-dir", str(tmp_path / "source")]
    await seed(url_of(source), Plan(users=2, password_hash="x", general_messages=3000))
    assert await admin(*source, "export", str(tmp_path / "whole.jsonl")) == 0
    whole = gzip.compress((tmp_path / "whole.jsonl").read_bytes())
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["export", "{tmp}/a.jsonl"], "there is no database at"),
        (["--database-url", "mysql://x@y/z", "export", "{tmp}/a.jsonl"], "SQLite or PostgreSQL"),
        (["--database-url", "::", "export", "{tmp}/a.jsonl"], "not a database URL"),
        (
            ["--database-url", "postgresql://postgres@127.0.0.1:1/x", "migrate"],
            "cannot open the database at postgresql+asyncpg://postgres@127.0.0.1:1/x",
        ),
        (["seeded", "export", "{tmp}/no/such/dir/a.jsonl"], "cannot write"),
        (["seeded", "backup", "{tmp}/no/such/dir/a.db"], "there is no directory"),
        (["seeded", "backup", "{tmp}/data/chinwag.db", "--force"], "cannot replace the database"),
        (["import", "{tmp}/cut.jsonl.gz"], "cannot read the archive: Compressed file ended"),
        (["import", "{tmp}/fake.jsonl.gz"], "Not a gzipped file"),
        (["import", "{tmp}/cut.jsonl.gz", "--files", "{tmp}/none"], "there is no directory"),
    ],
)
async def test_bad_requests_are_said_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    if command[0] == "seeded":
        await seed(url_of(data), Plan(users=2, password_hash="x"))
        command = command[1:]
    if "{tmp}/cut.jsonl.gz" in command:
        await _gzip_cut_short(tmp_path)
    (tmp_path / "fake.jsonl.gz").write_text("not gzip")
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in command]
    if args[0] != "--database-url":
        args = [*data, *args]
    assert await admin(*args) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


async def test_a_group_of_workers_refuses_a_newer_database_the_same_way(tmp_path: Path) -> None:
    from tests.conftest import checked_redis_url

    data = tmp_path / "data"
    await seed(sqlite_url(data / "chinwag.db"), Plan(users=2, password_hash="x"))
    await stamp(sqlite_url(data / "chinwag.db"), "0999")
    bus = await checked_redis_url()
    code, output = await chinwag(
        "serve", "--workers", "2", "--bus-url", bus, "--port", "0", "--data-dir", str(data)
    )
    assert code == 3, output
    assert "schema revision 0999, which this chinwag does not know" in output
    assert "Traceback" not in output
