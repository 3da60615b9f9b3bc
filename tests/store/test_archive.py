"""The archive (docs/archive.md) on both databases: written in pages, read back the same,
bad archives refused with their line and nothing stored."""

from __future__ import annotations

import contextlib
import io
import json
import tracemalloc
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from chinwag.bench.seed import Plan, Room, dm, seed
from chinwag.store.conversations import Reference
from chinwag.store.records import Actor
from chinwag.store.sql import archive, open_store, sqlite_url
from chinwag.store.sql.archive_import import ArchiveError, NotEmpty, check_empty, load
from chinwag.store.sql.dialect import open_database
from chinwag.store.sql.migrate import known_revisions, upgrade
from tests.conftest import fresh_postgres_database, unavailable
from tests.store.helpers import make_user

NOW = 1_800_000_000_000
#: The first seeded account is an admin.
ADMIN = Actor("u00000", None)


def small_plan(messages: int = 40) -> Plan:
    """Users, public and private rooms and DMs, with messages in several of them."""
    return Plan(
        users=12,
        password_hash="not-a-real-hash",
        rooms=[
            Room("lobby", "public", [0, 1, 2, 3], messages),
            Room("p:hidden", "private", [1, 4, 5], messages // 2),
            Room("quiet", "public", [6], 0),
            dm(0, 1),
            dm(2, 7),
        ],
        general_messages=messages,
    )


async def seeded(url: str, plan: Plan) -> None:
    await seed(url, plan)
    store = await open_store(url)
    try:
        # Edits, deletions and sanctions, as the store makes them.
        await store.edit_message("lobby", 3, "edited body", now=NOW)
        await store.delete_message("lobby", 5)
        # A reply, a thread (with a reply also in the room, to @room), reactions, a pin
        # and how far someone read the thread.
        bob = Actor("u00001", None)
        reply = Reference(reply_to=4)
        await store.post(ADMIN, "lobby", "a reply", client_msg_id="r1", now=NOW, ref=reply)
        threaded = Reference(thread=4)
        first = await store.post(
            bob, "lobby", "in a thread", client_msg_id="t1", now=NOW, ref=threaded
        )
        loud = Reference(thread=4, in_room=True, mention="room", mention_max=50)
        await store.post(ADMIN, "lobby", "@room look", client_msg_id="t2", now=NOW, ref=loud)
        for who, emoji in ((bob, "👍"), (ADMIN, "👍"), (ADMIN, "🎉")):
            await store.react(who, "lobby", 4, emoji, add=True, now=NOW, max_kinds=20)
        await store.pin(ADMIN, "lobby", 4, pin=True, now=NOW, max_pins=50)
        await store.mark_thread_read("lobby", "u00001", 4, first.message.seq)
        await store.moderate(ADMIN, "mute", "u00002", room_id="lobby", seconds=3600, now=NOW)
        await store.moderate(ADMIN, "ban", "u00003", room_id="lobby", reason="rude", now=NOW)
        await store.moderate(ADMIN, "mute", "u00008", room_id=None, seconds=3600, now=NOW)
    finally:
        await store.close()


async def export_bytes(url: str, page: int = archive.PAGE, now: int = NOW) -> bytes:
    db = open_database(url)
    out = io.BytesIO()
    try:
        await archive.snapshot(db, archive.export, out, now=now, password_hashes=True, page=page)
    finally:
        await db.close()
    return out.getvalue()


async def import_bytes(url: str, data: bytes) -> dict[str, int]:
    db = open_database(url)
    try:
        await upgrade(db)
        counts: dict[str, int] = await db.write(
            load, io.BytesIO(data).readlines(), known_revisions()
        )
        return counts
    finally:
        await db.close()


def lines_of(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in data.splitlines()]


async def test_pages_cross_every_boundary_and_read_back_the_same(
    db_url: str, tmp_path: Path
) -> None:
    await seeded(db_url, small_plan())
    whole = await export_bytes(db_url)
    # Pages of 7 rows split tables, rooms' timelines and a message's attachments'
    # lookups at every place: the archive is the same, byte for byte.
    assert await export_bytes(db_url, page=7) == whole
    records = lines_of(whole)
    kinds = [r["type"] for r in records]
    assert kinds[0] == "header" and kinds[-1] == "end"
    end = records[-1]["counts"]
    # 24 memberships but the one the ban ended; 100 messages, 3 replies and those
    # announcing the pin, the two mutes and the ban
    counts = {"user": 12, "room": 6, "member": 23, "room_ban": 1, "message": 107}
    assert end == {**counts, "thread_read": 1}
    lobby = [r for r in records if r["type"] == "message" and r["room"] == "lobby"]
    assert [r["seq"] for r in lobby] == list(range(1, 47))
    assert lobby[2]["body"] == "edited body" and lobby[2]["edited_ts"] == NOW
    assert lobby[4]["deleted"] is True and lobby[4]["body"] == ""
    assert (lobby[2]["changed"], lobby[4]["changed"]) == (1, 2)
    rooms = {r["id"]: r for r in records if r["type"] == "room"}
    assert rooms["lobby"]["last_change"] == 8 and rooms["lobby"]["last_seq"] == 46
    # The conversation: the root of a thread, reacted to and pinned, and its replies.
    root = lobby[3]
    assert [(r["emoji"], r["user"], r["change"]) for r in root["reactions"]] == [
        ("👍", "u00001", 5),
        ("👍", "u00000", 6),
        ("🎉", "u00000", 7),
    ]
    assert (root["pinned_by"], root["changed"], root["thread_last"]) == ("u00000", 8, 43)
    assert root["thread_summary"]["replies"] == 2
    assert lobby[40]["reply_to"] == 4 and lobby[41]["thread"] == 4
    assert (lobby[42]["in_room"], lobby[42]["mentions_all"]) == (True, "room")
    assert records[-2] == {
        "type": "thread_read",
        "room": "lobby",
        "root": 4,
        "user": "u00001",
        "seq": 42,
    }
    muted = [r for r in records if r["type"] == "member" and r["muted_until"]]
    assert [(m["room"], m["user"]) for m in muted] == [("lobby", "u00002")]
    server_muted = [r["username"] for r in records if r["type"] == "user" and r["muted_until"]]
    assert server_muted == ["u00008"]
    # Keys in byte order, the same on both databases.
    assert list(rooms) == sorted(rooms)
    # Read back into a new SQLite database, written out again: the same archive.
    copy = sqlite_url(tmp_path / "copy" / "chinwag.db")
    counts = await import_bytes(copy, whole)
    assert counts == end
    assert await export_bytes(copy) == whole


async def test_mutes_that_have_expired_are_left_out(db_url: str) -> None:
    await seeded(db_url, small_plan(10))
    later = NOW + 2 * 3_600_000
    records = lines_of(await export_bytes(db_url, now=later))
    assert not [r for r in records if r["type"] in ("member", "user") and r["muted_until"]]
    assert not [r for r in records if r.get("mute_by") or r.get("mute_reason")]


async def _peak_of_export(url: str, out: Path) -> tuple[int, int]:
    db = open_database(url)
    try:
        tracemalloc.start()
        with open(out, "wb") as file:  # noqa: ASYNC230 (the measure is of the export)
            await archive.snapshot(db, archive.export, file, now=NOW)
            size = file.tell()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await db.close()
    return peak, size


async def test_export_memory_does_not_grow_with_the_database(tmp_path: Path) -> None:
    small_url = sqlite_url(tmp_path / "small" / "chinwag.db")
    big_url = sqlite_url(tmp_path / "big" / "chinwag.db")
    plan = small_plan()
    plan.general_messages = 4000
    await seed(small_url, plan)
    plan.general_messages = 40_000
    await seed(big_url, plan)
    await _peak_of_export(small_url, tmp_path / "warm.jsonl")  # caches filled once
    small_peak, small_size = await _peak_of_export(small_url, tmp_path / "small.jsonl")
    big_peak, big_size = await _peak_of_export(big_url, tmp_path / "big.jsonl")
    print(f"archive {small_size} -> {big_size} bytes; peak memory {small_peak} -> {big_peak}")
    assert big_size > 9 * small_size
    # Ten times the messages, the same pages in memory (measured: about 1.9 MB for
    # either), far less than the archive.
    assert big_peak < 2 * small_peak
    assert big_peak < big_size / 4


# -- refusals ------------------------------------------------------------------------------

Edit = Callable[[list[dict[str, object]]], list[dict[str, object]]]


def _find(records: list[dict[str, object]], kind: str, **match: object) -> dict[str, object]:
    return next(
        r for r in records if r["type"] == kind and all(r[k] == v for k, v in match.items())
    )


def _set(kind: str, field: str, value: object, **match: object) -> Edit:
    def edit(records: list[dict[str, object]]) -> list[dict[str, object]]:
        _find(records, kind, **match)[field] = value
        return records

    return edit


def _drop(kind: str, **match: object) -> Edit:
    def edit(records: list[dict[str, object]]) -> list[dict[str, object]]:
        gone = _find(records, kind, **match)
        return [r for r in records if r is not gone]

    return edit


def _move_last(kind: str) -> Edit:
    """The first record of `kind` moved to just before the end line."""

    def edit(records: list[dict[str, object]]) -> list[dict[str, object]]:
        moved = _find(records, kind)
        rest = [r for r in records if r is not moved]
        return [*rest[:-1], moved, rest[-1]]

    return edit


BAD: list[tuple[str, Edit, str]] = [
    (
        "newer format",
        _set("header", "format", 99, type="header"),
        "line 1: the archive is in format 99",
    ),
    ("unknown schema", _set("header", "schema", "9999"), "schema revision '9999'"),
    (
        "wrong type",
        _set("message", "seq", "3", room="lobby", seq=3),
        "Expected `int`, got `str` - at `$.seq`",
    ),
    ("unknown field", _set("room", "colour", "red", id="lobby"), "unknown field `colour`"),
    ("unknown record", _set("room", "type", "castle", id="lobby"), "Invalid value 'castle'"),
    (
        "a gap in seqs",
        _drop("message", room="lobby", seq=7),
        "message 8 of room 'lobby' where 7 was due",
    ),
    (
        "missing the last",
        _drop("message", room="lobby", seq=46),
        "has messages up to 45, but its last_seq is 46",
    ),
    (
        "unknown sender",
        _set("message", "sender", "nobody", room="lobby", seq=2),
        "sender 'nobody' is not among",
    ),
    (
        "unknown room",
        _set("member", "room", "nowhere", user="u00004"),
        "room 'nowhere' is not among",
    ),
    ("out of order", _move_last("room_ban"), "a room_ban line out of place"),
    (
        "bidi in a name",
        _set("user", "display_name", "evil\u202egnp.exe", username="u00001"),
        "display name",
    ),
    (
        "bad username",
        _set("user", "username", "no spaces", username="u00001"),
        "username 'no spaces'",
    ),
    (
        "name taken",
        _set("user", "display_name", "U00000", username="u00001"),
        "passes for 'u00000'",
    ),
    (
        "deleted body",
        _set("message", "body", "back", room="lobby", seq=5),
        "a deleted message keeps no body",
    ),
    ("counts", _set("end", "counts", {"user": 1}), "the end line counts"),
    (
        "a control character",
        _set("message", "body", "nul\x00here", room="lobby", seq=6),
        "holds the control character U+0000",
    ),
    (
        "reply to later",
        _set("message", "reply_to", 44, room="lobby", seq=41),
        "is a reply to 44, not before it",
    ),
    (
        "unknown reactor",
        _set(
            "message",
            "reactions",
            [{"emoji": "x", "user": "nobody", "username": "nobody", "change": 1}],
            room="lobby",
            seq=4,
        ),
        "a reaction's user 'nobody' is not among",
    ),
    ("half a pin", _set("message", "pinned_ts", None, room="lobby", seq=4), "a pin has both"),
    ("thread read past", _set("thread_read", "seq", 99), "a thread read past the room's last_seq"),
    ("truncated", _drop("end"), "without its end line: it is incomplete"),
]


_GOOD: list[bytes] = []


async def good_archive(tmp_path: Path) -> bytes:
    """The archive of `seeded` data (made once: each refusal spoils a copy of it)."""
    if not _GOOD:
        source = sqlite_url(tmp_path / "source" / "chinwag.db")
        await seeded(source, small_plan())
        _GOOD.append(await export_bytes(source))
    return _GOOD[0]


@pytest.mark.parametrize(("edit", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
async def test_a_bad_archive_is_refused_with_its_line_and_nothing_is_stored(
    tmp_path: Path, edit: Edit, expected: str
) -> None:
    records = edit(lines_of(await good_archive(tmp_path)))
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    target = sqlite_url(tmp_path / "target" / "chinwag.db")
    with pytest.raises(ArchiveError) as refused:
        await import_bytes(target, data)
    print(refused.value)
    assert expected in str(refused.value)
    db = open_database(target)
    try:
        await db.read(check_empty)  # nothing was stored
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the archive is empty"),
        (b"not json\n", "line 1: not a JSON object"),
        (b'{"type": "user"}\n', "line 1: Object missing required field"),
        (b'{"type":"room","id":"x"}\n', "Object missing required field"),
    ],
)
async def test_what_is_not_an_archive_is_refused(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    with pytest.raises(ArchiveError, match=expected):
        await import_bytes(sqlite_url(tmp_path / "chinwag.db"), data)


async def test_import_refuses_a_database_that_holds_a_community(
    db_url: str, tmp_path: Path
) -> None:
    source = sqlite_url(tmp_path / "source" / "chinwag.db")
    await seeded(source, small_plan(5))
    data = await export_bytes(source)
    await seed(db_url, Plan(users=2, password_hash="x"))
    with pytest.raises(NotEmpty, match=r"not empty \(2 accounts"):
        await import_bytes(db_url, data)


async def test_an_archive_of_format_1_from_before_conversations_is_still_read(
    tmp_path: Path,
) -> None:
    records = lines_of(await good_archive(tmp_path))
    conversation = ("reply_to", "thread", "in_room", "mentions_all", "pinned_by", "pinned_ts")
    conversation += ("reactions", "thread_summary", "thread_last")
    old = []
    for r in records:
        if r["type"] == "thread_read":
            continue
        if r["type"] == "message":
            r = {k: v for k, v in r.items() if k not in conversation}
        old.append(r)
    old[0].update(format=1, schema="0011")
    del old[-1]["counts"]["thread_read"]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in old)
    target = sqlite_url(tmp_path / "target" / "chinwag.db")
    counts = await import_bytes(target, data)
    assert counts["message"] == 107 and "thread_read" not in counts
    again = lines_of(await export_bytes(target))
    root = _find(again, "message", room="lobby", seq=4)
    assert root["reactions"] == [] and root["pinned_by"] is None
    assert _find(again, "message", room="lobby", seq=3)["body"] == "edited body"


@contextlib.asynccontextmanager
async def icu_postgres_database() -> AsyncIterator[str]:
    """A new PostgreSQL database whose text sorts by ICU's English rules ("a_b" before
    "a1", "a" before "B"), unlike bytes, and so unlike SQLite."""
    async with fresh_postgres_database() as base:
        url = make_url(base)
        admin = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        name = f"{url.database}_icu"
        try:
            try:
                await admin.execute(
                    f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                    "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                )
            except asyncpg.PostgresError as exc:
                unavailable(f"PostgreSQL without ICU collations: {exc}")
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


@pytest.mark.postgres
async def test_the_same_archive_whatever_the_database_collation(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path / "source" / "chinwag.db")
    store = await open_store(source)
    try:
        for name in ("a_b", "a1", "A-c", "a.d", "Zed"):
            await make_user(store, name)
        await store.ensure_room("x_y", "x_y", "public", now=NOW)
        await store.ensure_room("x1", "x1", "public", now=NOW)
    finally:
        await store.close()
    whole = await export_bytes(source)
    users = [r["username"] for r in lines_of(whole) if r["type"] == "user"]
    assert users == ["A-c", "a.d", "a1", "a_b", "Zed"]  # keys as bytes: - . 1 _ z
    async with icu_postgres_database() as url:
        await import_bytes(url, whole)
        assert await export_bytes(url) == whole
        assert await export_bytes(url, page=2) == whole
