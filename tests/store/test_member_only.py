"""`append_message(member_only=True)`: membership and mutes checked in the transaction
that stores a user's message (the server's send path), before the idempotent lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from chinwag.store.records import Muted, NoSuchRecord, NotMember
from chinwag.store.sql import SqlStore, open_store, sqlite_url
from tests.store.helpers import make_user


@pytest.fixture
async def room(store: SqlStore) -> str:
    await make_user(store, "Alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    await store.add_member("general", "alice", role="member", now=1)
    return "general"


async def test_a_member_sends(store: SqlStore, room: str) -> None:
    message, created = await store.append_message(
        room, "ALICE", "hi", client_msg_id="c1", now=10, member_only=True
    )
    assert created and message.seq == 1 and message.sender == "Alice"


async def test_a_non_member_is_refused_and_nothing_is_stored(store: SqlStore, room: str) -> None:
    with pytest.raises(NotMember):
        await store.append_message(room, "bob", "hi", client_msg_id="c1", now=10, member_only=True)
    assert await store.history_before(room, None, 10) == []
    # Without the check (system messages), the same call stores it.
    _, created = await store.append_message(room, "bob", "hi", client_msg_id="c1", now=10)
    assert created


async def test_room_and_server_mutes_refuse_until_they_end(store: SqlStore, room: str) -> None:
    await store.set_member_muted(room, "alice", 100)
    with pytest.raises(Muted) as caught:
        await store.append_message(room, "alice", "x", client_msg_id="a", now=50, member_only=True)
    assert caught.value.until == 100
    await store.append_message(room, "alice", "x", client_msg_id="a", now=100, member_only=True)
    await store.update_user("alice", muted_until=300)
    with pytest.raises(Muted) as caught:
        await store.append_message(room, "alice", "y", client_msg_id="b", now=200, member_only=True)
    assert caught.value.until == 300


async def test_a_retry_is_refused_while_muted(store: SqlStore, room: str) -> None:
    first, _ = await store.append_message(
        room, "alice", "x", client_msg_id="a", now=10, member_only=True
    )
    await store.set_member_muted(room, "alice", 100)
    with pytest.raises(Muted):
        await store.append_message(room, "alice", "x", client_msg_id="a", now=20, member_only=True)
    again, created = await store.append_message(
        room, "alice", "x", client_msg_id="a", now=200, member_only=True
    )
    assert again == first and not created


async def test_one_batch_mixes_refusals_and_messages(store: SqlStore, room: str) -> None:
    import asyncio

    await store.add_member(room, "bob", role="member", now=1)
    await store.set_member_muted(room, "bob", 1000)
    results = await asyncio.gather(
        *(
            store.append_message(
                room, sender, f"m{i}", client_msg_id=f"{sender}{i}", now=10, member_only=True
            )
            for i in range(5)
            for sender in ("alice", "bob")
        ),
        return_exceptions=True,
    )
    stored = [r for r in results if isinstance(r, tuple)]
    assert [m.seq for m, _ in stored] == [1, 2, 3, 4, 5]
    assert all(isinstance(r, Muted) for r in results if not isinstance(r, tuple))


async def test_one_batch_over_many_rooms_numbers_each_room_on(store: SqlStore, room: str) -> None:
    import asyncio

    for i in range(5):
        await store.ensure_room(f"r{i}", f"R{i}", "public", now=1)
        await store.add_member(f"r{i}", "alice", role="member", now=1)
    await store.append_message("r3", "alice", "first", client_msg_id=None, now=2)
    results = await asyncio.gather(
        *(
            store.append_message(
                f"r{i}", "alice", f"m{n}", client_msg_id=f"{i}-{n}", now=10, member_only=True
            )
            for n in range(3)
            for i in range(5)
        ),
        store.append_message("nowhere", "alice", "x", client_msg_id="z", now=10),
        return_exceptions=True,
    )
    seqs: dict[str, list[int]] = {}
    for result in results[:-1]:
        assert isinstance(result, tuple)
        seqs.setdefault(result[0].room, []).append(result[0].seq)
    assert seqs == {f"r{i}": [2, 3, 4] if i == 3 else [1, 2, 3] for i in range(5)}
    assert isinstance(results[-1], NoSuchRecord)


async def test_a_batch_looks_up_pairs_through_the_indexes(tmp_path: Path) -> None:
    """The lookups of a big batch search the indexes one by one: never a table scan,
    whatever the size of the timeline (SQLite's plan)."""
    import sqlite3

    from chinwag.store.sql.messages import _membership_pairs, _stored_triples

    path = tmp_path / "plan.db"
    opened = await open_store(sqlite_url(path))
    await opened.close()
    db = sqlite3.connect(path)
    try:
        for statement, names in (
            (_stored_triples(40), "krc"),
            (_membership_pairs(40, False), "rk"),
        ):
            params = {f"{n}{i}": "x" for i in range(40) for n in names}
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement.text}", params)]
            assert not [step for step in plan if step.startswith("SCAN")], plan
            assert sum(step.startswith("SEARCH") for step in plan) >= 40, plan
    finally:
        db.close()


async def test_changes_are_found_through_the_partial_index(tmp_path: Path) -> None:
    """`sync` asks for a room's changes on every reconnection: SQLite answers from the
    index of changed messages, whatever the size of the timeline."""
    import sqlite3

    from sqlalchemy.dialects import sqlite

    from chinwag.store.sql.messages import _CHANGED

    path = tmp_path / "plan.db"
    opened = await open_store(sqlite_url(path))
    await opened.close()
    compiled = _CHANGED.compile(dialect=sqlite.dialect())
    params = compiled.construct_params(
        {"room": "general", "after": 1, "mark": 5, "upto": 10, "limit": 5}
    )
    db = sqlite3.connect(path)
    try:
        query = f"EXPLAIN QUERY PLAN {compiled.string}"
        plan = [row[3] for row in db.execute(query, [params[k] for k in compiled.positiontup])]
        assert any("ix_messages_changed" in step for step in plan), plan
    finally:
        db.close()
