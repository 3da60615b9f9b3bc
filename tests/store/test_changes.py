"""The change stream: what logs an entry, numbering in commit order, cursors, pruning."""

from __future__ import annotations

import asyncio

from chinwag.core.models import Change
from chinwag.store.records import Actor
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user


def kinds(changes: list[Change]) -> list[tuple[str, str, str | None, str]]:
    return [(c.kind, c.user, c.room, c.how) for c in changes]


async def test_a_new_store_has_an_empty_stream(store: SqlStore) -> None:
    assert await store.stream_head() == 0
    assert await store.stream_since(0, 10) == []
    assert await store.load_cursor("a") is None


async def test_membership_account_and_session_writes_log_their_changes(store: SqlStore) -> None:
    await make_user(store, "Ada")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    assert await store.stream_head() == 0  # accounts and rooms alone change nothing here

    await store.add_member("general", "ADA", role="member", now=2)
    await store.add_member("general", "ada", role="member", now=2)  # already: nothing
    room = await store.create_room("plans", "Plans", "private", owner="bob", topic="", now=3)
    assert room.id.startswith("p:")
    await store.open_dm("dm:ada:bob", "ada", "bob", now=4)
    await store.remove_member("general", "ada")
    await store.update_user("ada", password_hash="new")  # nodes hold no password: nothing
    await store.update_user("ada", display_name="Ada L.")
    await store.delete_sessions("bob", keep="t1")

    changes = await store.stream_since(0, 100)
    assert [c.pos for c in changes] == list(range(1, 8))
    assert kinds(changes) == [
        ("joined", "Ada", "general", "joined"),
        ("joined", "bob", room.id, "created"),
        ("joined", "Ada", "dm:ada:bob", "dm"),
        ("joined", "bob", "dm:ada:bob", "dm"),
        ("left", "Ada", "general", "left"),
        ("user", "Ada", None, ""),
        ("ended", "bob", None, "revoked"),
    ]
    assert changes[-1].keep == "t1"
    assert await store.stream_head() == 7
    assert [c.pos for c in await store.stream_since(5, 100)] == [6, 7]
    assert [c.pos for c in await store.stream_since(0, 3)] == [1, 2, 3]


async def test_actions_return_what_they_logged_in_commit_order(store: SqlStore) -> None:
    await make_user(store, "admin", admin=True)
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    admin, bob = Actor("admin"), Actor("bob")
    created = await store.open_room(admin, "plans", "Plans", "public", topic="", now=2)
    joined = await store.join_room(bob, "plans", now=3)
    kicked = await store.moderate(admin, "kick", "bob", room_id="plans", reason="noise", now=4)
    assert kinds(created.changes) == [("joined", "admin", "plans", "created")]
    assert kinds(joined.changes) == [("joined", "bob", "plans", "joined")]
    assert [m.body for m in joined.messages] == ["bob joined"]
    [left] = kicked.changes
    assert (left.kind, left.how, left.actor, left.reason) == ("left", "kicked", "admin", "noise")
    # the system message saying so was committed with it, before the change
    assert [type(step).__name__ for step in kicked.steps] == ["Message", "Change"]
    assert await store.stream_since(0, 10) == [*created.changes, *joined.changes, left]


async def test_concurrent_writers_commit_positions_in_order_without_gaps(
    store: SqlStore,
) -> None:
    """Many transactions logging at once: positions 1..N, and a reader never sees N+1
    before N (so a node's cursor never skips an entry that commits later)."""
    await store.ensure_room("lobby", "Lobby", "public", now=1)
    names = [f"user{i}" for i in range(30)]
    for name in names:
        await make_user(store, name)
    seen: list[list[int]] = []
    done = asyncio.Event()

    async def read_while_writing() -> None:
        cursor = 0
        while not done.is_set():
            batch = await store.stream_since(cursor, 1000)
            if batch:
                seen.append([c.pos for c in batch])
                assert batch[0].pos == cursor + 1, "a reader saw a gap"
                cursor = batch[-1].pos
            await asyncio.sleep(0)

    reader = asyncio.create_task(read_while_writing())

    async def churn(name: str) -> None:
        for _ in range(3):
            await store.join_room(Actor(name), "lobby", now=2)
            await store.leave_room(Actor(name), "lobby", now=3)

    await asyncio.gather(*(churn(name) for name in names))
    done.set()
    await reader
    positions = [c.pos for c in await store.stream_since(0, 10_000)]
    assert positions == list(range(1, len(names) * 6 + 1))
    assert [pos for batch in seen for pos in batch] == positions[: sum(map(len, seen))]


async def test_cursors_are_saved_and_old_entries_pruned_behind_every_live_node(
    store: SqlStore,
) -> None:
    await make_user(store, "ada")
    await store.ensure_room("general", "General", "public", now=1)
    for _ in range(3):
        await store.add_member("general", "ada", role="member", now=10)
        await store.remove_member("general", "ada")
    await store.save_cursor("a", 6, now=1000)
    await store.save_cursor("b", 2, now=1000)
    await store.save_cursor("b", 4, now=1000)
    assert await store.load_cursor("b") == 4

    # b has applied up to 4: nothing after it goes, however old
    stamps = [c.ts for c in await store.stream_since(0, 10)]
    later = max(stamps) + 1
    assert await store.prune_stream(older_than=later, live_since=0) == 4
    assert [c.pos for c in await store.stream_since(0, 10)] == [5, 6]
    # a node not seen since `live_since` no longer holds entries back
    await store.save_cursor("a", 6, now=5000)
    assert await store.prune_stream(older_than=later, live_since=2000) == 1
    assert await store.load_cursor("b") is None
    # the newest entry stays, so that a node behind it sees what it missed
    assert [c.pos for c in await store.stream_since(0, 10)] == [6]
    assert await store.stream_head() == 6  # numbering goes on from there
    await store.add_member("general", "ada", role="member", now=10)
    assert [c.pos for c in await store.stream_since(6, 10)] == [7]
