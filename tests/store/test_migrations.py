"""The migrations build exactly the schema of tables.py, from code and from the CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from chinwag.store.records import Actor, NameTaken, SearchFilters, UsernameTaken
from chinwag.store.sql import open_store, search, sqlite_url
from chinwag.store.sql.dialect import open_database
from chinwag.store.sql.migrate import ALEMBIC_INI, alembic_config
from chinwag.store.sql.tables import metadata
from tests.store.conftest import BACKENDS
from tests.store.helpers import make_user

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
TABLES = {
    *("users", "sessions", "rooms", "members", "room_bans", "room_mutes", "messages"),
    *("changes", "positions", "node_cursors", "names", "login_addresses", "health"),
}


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend: these tests build its schema themselves."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data" / "chinwag.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def schema_diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"include_name": search.in_metadata})
    return list(compare_metadata(context, metadata))


def revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def inspect_db(url: str) -> tuple[list[Any], str | None, set[str]]:
    db = open_database(url)
    try:
        return (
            await db.read(schema_diff),
            await db.read(revision),
            await db.read(table_names),
        )
    finally:
        await db.close()


async def alembic(url: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CHINWAG_DATABASE_URL"}
    command = [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), "-x", f"url={url}", *args]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    output, _ = await process.communicate()
    text = output.decode()
    assert process.returncode == 0, text
    return text


async def test_open_store_migrates_to_head_and_matches_tables(db_url: str) -> None:
    store = await open_store(db_url)
    await store.close()
    diff, current, tables = await inspect_db(db_url)
    assert diff == []
    assert current == HEAD == "0012"
    assert tables >= TABLES


async def test_alembic_cli_builds_the_same_schema(db_url: str) -> None:
    await alembic(db_url, "upgrade", "head")
    diff, current, _ = await inspect_db(db_url)
    assert diff == []
    assert current == HEAD
    assert "0012" in await alembic(db_url, "current")
    # The store opens a database the CLI migrated, and migrating again changes nothing.
    store = await open_store(db_url)
    await make_user(store, "alice")
    await store.close()
    await alembic(db_url, "upgrade", "head")


async def test_alembic_cli_downgrades_and_upgrades_again(db_url: str) -> None:
    await alembic(db_url, "upgrade", "head")
    await alembic(db_url, "downgrade", "base")
    _, current, tables = await inspect_db(db_url)
    assert current is None
    assert not TABLES & tables
    await alembic(db_url, "upgrade", "head")
    diff, current, _ = await inspect_db(db_url)
    assert (diff, current) == ([], HEAD)


def index_names(conn: Connection) -> set[str]:
    return {ix["name"] for ix in inspect(conn).get_indexes("messages") if ix["name"]}


async def test_upgrade_from_0001_numbers_earlier_deletions_as_changes(db_url: str) -> None:
    await alembic(db_url, "upgrade", "0001")
    db = open_database(db_url)
    try:
        await db.write(_seed_0001)
    finally:
        await db.close()
    await alembic(db_url, "upgrade", "head")
    store = await open_store(db_url)
    try:
        assert "ix_messages_changed" in await store.db.read(index_names)
        gone, mark = await store.changes_since("chat", 5, 0, 10)
        assert [(m.seq, m.deleted) for m in gone] == [(2, True)] and mark == 1
        kept = await store.get_message("chat", 1)
        assert kept is not None and (kept.body, kept.edited_ts) == ("m1", None)
        room = await store.get_room("chat")
        assert room is not None and room.last_change == 1
    finally:
        await store.close()
    diff, current, _ = await inspect_db(db_url)
    assert (diff, current) == ([], HEAD)


def _seed_0001(conn: Connection) -> None:
    """Rows as the first schema had them: a room, a user, a kept and a deleted message."""
    conn.execute(
        text(
            "INSERT INTO users (key, username, display_name, color, password_hash, admin, "
            "banned, ban_reason, muted_until, created_ts) "
            "VALUES ('alice', 'alice', 'alice', '#123456', 'x', false, false, '', 0, 1)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO rooms (id, name, kind, topic, owner, last_seq, member_count, "
            "created_ts) VALUES ('chat', 'Chat', 'public', '', 'alice', 2, 0, 1)"
        )
    )
    for seq, body, deleted in ((1, "m1", "false"), (2, "", "true")):
        conn.execute(
            text(
                "INSERT INTO messages (room_id, seq, sender_key, sender, body, ts, "
                f"client_msg_id, kind, deleted) VALUES ('chat', {seq}, 'alice', 'alice', "
                f"'{body}', 2, NULL, 'text', {deleted})"
            )
        )


async def test_alembic_cli_offline_sql() -> None:
    for url in ("sqlite:///unused.db", "postgresql://nobody@nowhere/unused"):
        sql = await alembic(url, "upgrade", "head", "--sql")
        assert "CREATE TABLE messages" in sql
        assert "ux_messages_sender_key_client_msg_id" in sql
        # offline, only the usernames are claimed (display names' keys need Python)
        assert "CREATE TABLE names" in sql
        assert 'INSERT INTO names ("key", user_key) SELECT "key", "key" FROM users' in sql


#: Accounts as 0005 could hold them: (username, display name), oldest first.
ACCOUNTS_0005 = [
    ("alice", "Alice"),
    ("bob", "alice"),  # another's username as display name: back to "bob"
    ("carol", "\u0410lice"),  # a look-alike (Cyrillic A) of alice: back to "carol"
    ("dave", "Dave the Brave"),
    ("erin", "DAVE THE  BRAVE"),  # dave's display name in capitals: back to "erin"
    ("frank", "\u3164"),  # nothing visible: back to "frank"
    ("grace", "  Grace\u3164H.  "),  # valid once cleaned: kept, cleaned
    ("heidi", "Erin"),  # erin's username, though erin now goes by it again: back
    ("Ivan", "IVAN"),  # one's own username in another case is fine
    ("judy", "Frank"),  # frank's username: back
    ("mallory", "mallory \u2728"),
    ("ned", "Mallory \u2728"),  # the same as mallory's display name, later: back
    ("oscar", "Zed"),
    ("rupert", "twin"),  # listed first but made after quinn: back to "rupert"
    ("quinn", "Twin"),
]
#: When each was made: in list order, but quinn before rupert.
MADE_0005 = {name: 2000 + i for i, (name, _) in enumerate(ACCOUNTS_0005)} | {"quinn": 1000}
ACCOUNTS_0006 = {
    "alice": "Alice",
    "bob": "bob",
    "carol": "carol",
    "dave": "Dave the Brave",
    "erin": "erin",
    "frank": "frank",
    "grace": "Grace H.",
    "heidi": "heidi",
    "Ivan": "IVAN",
    "judy": "judy",
    "mallory": "mallory \u2728",
    "ned": "ned",
    "oscar": "Zed",
    "rupert": "rupert",
    "quinn": "Twin",
}


def _seed_0005(conn: Connection) -> None:
    for username, display_name in ACCOUNTS_0005:
        conn.execute(
            text(
                "INSERT INTO users (key, username, display_name, color, password_hash, admin, "
                "banned, ban_reason, muted_until, created_ts) VALUES (:key, :username, "
                ":display_name, '#123456', 'x', false, false, '', 0, :ts)"
            ),
            {
                "key": username.lower(),
                "username": username,
                "display_name": display_name,
                "ts": MADE_0005[username],
            },
        )


def name_rows(conn: Connection) -> list[tuple[str, str]]:
    return [tuple(row) for row in conn.execute(text('SELECT "key", user_key FROM names'))]


async def test_upgrade_to_0006_claims_names_and_resolves_duplicates(db_url: str) -> None:
    await alembic(db_url, "upgrade", "0005")
    db = open_database(db_url)
    try:
        await db.write(_seed_0005)
    finally:
        await db.close()
    await alembic(db_url, "upgrade", "head")
    store = await open_store(db_url)
    try:
        shown = {user.username: user.display_name for user in await store.list_users()}
        assert shown == ACCOUNTS_0006
        claimed = sorted(await store.db.read(name_rows))
        assert claimed == sorted(
            [(name.lower(), name.lower()) for name in ACCOUNTS_0006]
            + [("dave the brave", "dave"), ("grace h.", "grace"), ("mallory \u2728", "mallory")]
            + [("zed", "oscar"), ("twin", "quinn")]
        )
        # the names are held from now on, by the store's own rules
        with pytest.raises(NameTaken):
            await store.update_user("ned", display_name="MALLORY \u2728")
        with pytest.raises(UsernameTaken):
            await make_user(store, "ZED")  # oscar's display name
    finally:
        await store.close()
    diff, current, _ = await inspect_db(db_url)
    assert (diff, current) == ([], HEAD)
    await alembic(db_url, "downgrade", "0005")
    _, current, tables = await inspect_db(db_url)
    assert current == "0005" and "names" not in tables


async def test_reopening_keeps_everything(db_url: str) -> None:
    store = await open_store(db_url)
    try:
        await make_user(store, "Alice")
        await make_user(store, "bob")
        await store.create_session("token", "alice", now=10)
        room = await store.create_room("chat", "Chat", "public", owner="alice", topic="t", now=10)
        await store.add_member(room.id, "bob", role="member", now=11)
        await store.set_room_ban(room.id, "bob", banned=True, reason="r", now=12)
        await store.open_dm("dm", "alice", "bob", now=13)
        for i in range(3):
            await store.append_message(room.id, "bob", f"m{i}", client_msg_id=f"c{i}", now=20)
        await store.delete_message(room.id, 2)
        before = (
            await store.list_users(),
            await store.rooms_of("bob"),
            await store.list_members(room.id),
            await store.messages_since(room.id, 0, 10),
        )
    finally:
        await store.close()

    for _ in range(2):  # migrations are idempotent
        store = await open_store(db_url)
        try:
            after = (
                await store.list_users(),
                await store.rooms_of("bob"),
                await store.list_members(room.id),
                await store.messages_since(room.id, 0, 10),
            )
            assert after == before
            assert await store.session_user("token", now=20, max_idle=100) is not None
            assert await store.is_room_banned(room.id, "BOB")
            retry, created = await store.append_message(
                room.id, "bob", "again", client_msg_id="c1", now=30
            )
            assert not created and retry.seq == 2
        finally:
            await store.close()
    store = await open_store(db_url)
    try:
        message, created = await store.append_message(
            room.id, "bob", "new", client_msg_id="c9", now=40
        )
        assert created and message.seq == 4
    finally:
        await store.close()


async def test_0012_keeps_search_working_up_and_down(db_url: str) -> None:
    """Conversations add columns to `messages` in place: the search index of 0011 (FTS5
    and its triggers on SQLite, a generated column on PostgreSQL) keeps finding
    messages after the upgrade, and again after a downgrade to 0011."""
    await alembic(db_url, "upgrade", "0011")
    db = open_database(db_url)
    try:
        await db.write(_seed_0001)
        await db.write(_member_0011)
    finally:
        await db.close()
    store = await open_store(db_url)  # to head
    try:
        assert [m.seq for m in await store.search("alice", ["m1"], filters=SearchFilters())] == [1]
        await store.react(Actor("alice"), "chat", 1, "\U0001f44d", add=True, now=5, max_kinds=20)
        await store.edit_message("chat", 1, "m1 hello", now=6)
        found = await store.search("alice", ["hello"], filters=SearchFilters())
        assert [(m.seq, len(m.reactions or [])) for m in found] == [(1, 1)]
    finally:
        await store.close()
    await alembic(db_url, "downgrade", "0011")
    db = open_database(db_url)
    try:  # what 0011's triggers index after the downgrade
        await db.write(_add_message_0011)
    finally:
        await db.close()
    store = await open_store(db_url)
    try:
        found = await store.search("alice", ["hello"], filters=SearchFilters())
        assert sorted(m.seq for m in found) == [1, 3]
    finally:
        await store.close()


def _member_0011(conn: Connection) -> None:
    conn.execute(
        text(
            "INSERT INTO members (room_id, user_key, role, muted_until, joined_ts) "
            "VALUES ('chat', 'alice', 'owner', 0, 1)"
        )
    )


def _add_message_0011(conn: Connection) -> None:
    conn.execute(text("UPDATE rooms SET last_seq = 3 WHERE id = 'chat'"))
    conn.execute(
        text(
            "INSERT INTO messages (room_id, seq, sender_key, sender, body, ts, client_msg_id, "
            "kind, deleted) VALUES ('chat', 3, 'alice', 'alice', 'hello again', 3, NULL, "
            "'text', false)"
        )
    )
