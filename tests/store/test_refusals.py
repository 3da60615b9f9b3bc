"""A database that refuses writes (full, read-only) says so: `CannotWrite`, logged once
per episode; reads go on. On real SQLite and PostgreSQL databases, made to refuse by
their own settings (see `writes_refused`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from pathlib import Path

import pytest

from chinwag.store.records import CannotWrite, WriteRefusal
from chinwag.store.sql import SqlStore, open_store, sqlite_url
from chinwag.store.sql.dialect import REFUSAL_MEMORY, WriteRefusals
from tests.store.helpers import make_user, writes_refused

#: At most this many long messages before a database capped at its size is full.
FILL_LIMIT = 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "chinwag.store" and r.levelno >= logging.INFO]


async def fill(store: SqlStore, room: str) -> int:
    """Send long messages until the database refuses one for lack of room; how many it
    took first."""
    for n in range(FILL_LIMIT):
        try:
            await store.append_message(room, "alice", "x" * 4000, client_msg_id=f"f{n}", now=n)
        except CannotWrite as exc:
            assert exc.reason == "full"
            return n
    raise AssertionError(f"still not full after {FILL_LIMIT} messages")


async def check_refusals(
    store: SqlStore, reason: WriteRefusal, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "chinwag.store")
    await make_user(store, "alice")
    await store.ensure_room("general", "general", "public", now=0)
    await store.add_member("general", "alice", role="member", now=0)
    await store.create_session("t1", "alice", now=0)
    async with writes_refused(store, reason):
        if reason == "full":
            await fill(store, "general")
        for n in range(5):
            with pytest.raises(CannotWrite) as refused:
                await store.append_message(
                    "general", "alice", "y" * 4000, client_msg_id=f"r{n}", now=10
                )
            assert refused.value.reason == reason
        if reason == "read_only":  # a full SQLite may still take a row that fits
            with pytest.raises(CannotWrite):
                await store.create_session("t2", "alice", now=10)
            with pytest.raises(CannotWrite):
                await store.session_user("t1", now=10, max_idle=100)
        with pytest.raises(CannotWrite):
            await store.probe_write("node-a", now=10)
        # reads are fine
        user = await store.session_user("t1", now=10, max_idle=100, touch=False)
        assert user is not None and user.username == "alice"
        assert await store.get_user("alice") is not None
        assert await store.known_address("alice", "192.0.2.1", since=0) is False
        room = await store.get_room("general")
        stored = await store.history_before("general", None, 200)
        assert room is not None and [m.seq for m in stored] == list(range(1, room.last_seq + 1))
    # once per episode, not once per refused write, and never with a traceback
    logged = refusal_logs(caplog)
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert logged[0].levelno == logging.WARNING and logged[0].exc_info is None
    # writable again
    await store.create_session("t3", "alice", now=20)


async def test_a_read_only_database_refuses_writes_and_reads_go_on(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    await check_refusals(store, "read_only", caplog)


async def test_a_full_sqlite_database_refuses_writes_and_reads_go_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """(PostgreSQL's disk cannot be filled from a test; its refusal is SQLSTATE 53100,
    read like 25006.)"""
    store = await open_store(sqlite_url(tmp_path / "full.db"))
    try:
        await check_refusals(store, "full", caplog)
    finally:
        await store.close()


async def test_the_episode_ends_with_a_write_well_after_the_last_refusal(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    store.db.refusals = WriteRefusals(clock)
    caplog.set_level(logging.INFO, "chinwag.store")
    await make_user(store, "alice")
    async with writes_refused(store, "read_only"):
        for _ in range(3):
            with pytest.raises(CannotWrite):
                await store.create_session("t", "alice", now=1)
    assert len(refusal_logs(caplog)) == 1
    # the database takes writes again, but a refusal was recent: the probe says so
    await store.create_session("t", "alice", now=1)
    with pytest.raises(CannotWrite) as recent:
        await store.probe_write("node-a", now=2)
    assert recent.value.reason == "read_only"
    clock.now += REFUSAL_MEMORY + 1
    await store.probe_write("node-a", now=3)
    logged = refusal_logs(caplog)
    assert len(logged) == 2 and "again" in logged[1].getMessage()
    # a new refusal starts a new episode, logged again
    async with writes_refused(store, "read_only"):
        with pytest.raises(CannotWrite):
            await store.create_session("t4", "alice", now=4)
    assert len(refusal_logs(caplog)) == 3


async def test_other_write_errors_are_not_taken_for_refusals(store: SqlStore) -> None:
    await make_user(store, "alice")
    with pytest.raises(Exception) as failed:
        await store.add_member("no-such-room", "alice", role="member", now=0)
    assert not isinstance(failed.value, CannotWrite)
    assert store.db.refusals.recent() is None
    await store.probe_write("node-a", now=1)


async def run(*command: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    return (process.returncode or 0), output.decode().strip()


async def test_a_filesystem_that_is_really_full(tmp_path: Path) -> None:
    """The same on a real full disk: a 2 MiB tmpfs filled to the last byte, where SQLite
    meets ENOSPC (which it reports as SQLITE_FULL). Mounting needs root: elsewhere this
    one is skipped, and the size cap above stands in for it."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    code, output = await run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk))
    if code != 0:
        pytest.skip(f"cannot mount a tmpfs here: {output}")
    try:
        store = await open_store(sqlite_url(disk / "chinwag.db"))
        try:
            await make_user(store, "alice")
            await store.ensure_room("general", "general", "public", now=0)
            await store.add_member("general", "alice", role="member", now=0)
            with (disk / "filler").open("wb", buffering=0) as filler, contextlib.suppress(OSError):
                for _ in range(10_000):  # 640 MiB at most: far more than the disk
                    filler.write(bytes(65536))
            with pytest.raises(CannotWrite) as refused:
                await store.append_message("general", "alice", "x" * 4000, client_msg_id="m", now=1)
            assert refused.value.reason == "full"
            with pytest.raises(CannotWrite):
                await store.probe_write("node-a", now=1)
            assert await store.get_user("alice") is not None
            (disk / "filler").unlink()
            message, _ = await store.append_message(
                "general", "alice", "room again", client_msg_id="m", now=2
            )
            assert message.body == "room again"
        finally:
            await store.close()
    finally:
        assert await run("umount", str(disk)) == (0, "")
