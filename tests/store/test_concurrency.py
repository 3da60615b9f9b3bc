"""Seqs stay gapless and sends idempotent under concurrency (and group commit)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.protocol.types import Message
from chinwag.store.records import NoSuchRecord
from chinwag.store.sql import SqlStore, open_store
from tests.store.helpers import make_user


@pytest.fixture
async def room(store: SqlStore) -> str:
    await make_user(store, "alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    return "general"


async def test_fifty_concurrent_sends_get_seqs_one_to_fifty(store: SqlStore, room: str) -> None:
    results = await asyncio.gather(
        *(
            store.append_message(
                room, ("alice", "bob")[i % 2], f"m{i}", client_msg_id=f"c{i}", now=i
            )
            for i in range(50)
        )
    )
    assert sorted(m.seq for m, _ in results) == list(range(1, 51))
    assert all(created for _, created in results)
    stored = await store.messages_since(room, 0, 100)
    assert [m.seq for m in stored] == list(range(1, 51))
    assert sorted(m.client_msg_id or "" for m in stored) == sorted(f"c{i}" for i in range(50))
    by_id = {m.client_msg_id: m for m in stored}
    assert all(by_id[m.client_msg_id] == m for m, _ in results)
    info = await store.get_room(room)
    assert info is not None and info.last_seq == 50


async def test_concurrent_sends_to_many_rooms(store: SqlStore, room: str) -> None:
    rooms = [room] + [f"r{i}" for i in range(4)]
    for extra in rooms[1:]:
        await store.ensure_room(extra, extra, "public", now=1)
    await asyncio.gather(
        *(
            store.append_message(rooms[i % 5], "alice", "x", client_msg_id=None, now=i)
            for i in range(60)
        )
    )
    for each in rooms:
        assert [m.seq for m in await store.messages_since(each, 0, 100)] == list(range(1, 13))


async def test_concurrent_duplicates_store_one_message(store: SqlStore, room: str) -> None:
    results = await asyncio.gather(
        *(
            store.append_message(room, "alice", f"try {i}", client_msg_id="c", now=i)
            for i in range(20)
        )
    )
    assert sum(created for _, created in results) == 1
    assert len({(m.seq, m.body) for m, _ in results}) == 1
    assert [m.seq for m in await store.messages_since(room, 0, 100)] == [1]


async def test_a_failing_send_does_not_spoil_its_batch(store: SqlStore, room: str) -> None:
    sends = [
        store.append_message(room, "alice", "ok", client_msg_id="a", now=1),
        store.append_message("nowhere", "alice", "lost", client_msg_id="b", now=1),
        store.append_message(room, "ghost", "lost", client_msg_id="c", now=1),
        store.append_message(room, "bob", "ok", client_msg_id="a", now=1),
    ]
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert isinstance(results[1], NoSuchRecord) and isinstance(results[2], NoSuchRecord)
    stored = await store.messages_since(room, 0, 100)
    assert [(m.seq, m.sender) for m in stored] == [(1, "alice"), (2, "bob")]


async def test_cancelled_senders_leave_no_gap(store: SqlStore, room: str) -> None:
    tasks = [
        asyncio.create_task(store.append_message(room, "alice", "x", client_msg_id=f"c{i}", now=i))
        for i in range(30)
    ]
    await asyncio.sleep(0)
    for task in tasks[::3]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Whatever was committed is numbered 1..n; resending everything fills in the rest.
    for i in range(30):
        await store.append_message(room, "alice", "x", client_msg_id=f"c{i}", now=i)
    stored = await store.messages_since(room, 0, 100)
    assert [m.seq for m in stored] == list(range(1, 31))
    assert sorted(m.client_msg_id or "" for m in stored) == sorted(f"c{i}" for i in range(30))


_examples = itertools.count()
#: A send: (sender index, client_msg_id index or None).
_sends = st.tuples(st.integers(0, 2), st.none() | st.integers(0, 4))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sends=st.lists(_sends, min_size=1, max_size=30),
    chunks=st.lists(st.integers(1, 12), min_size=1, max_size=30),
)
async def test_any_interleaving_gives_gapless_seqs_and_one_copy_per_id(
    store: SqlStore, sends: list[tuple[int, int | None]], chunks: list[int]
) -> None:
    # Each example gets its own room and senders, so examples cannot see each other.
    n = next(_examples)
    room = f"room{n}"
    senders = [f"u{n}x{i}" for i in range(3)]
    await store.ensure_room(room, room, "public", now=1)
    for sender in senders:
        await make_user(store, sender)
    results: list[tuple[Message, bool]] = []
    position = 0
    for size in itertools.cycle(chunks):  # concurrent groups of the given sizes
        group = sends[position : position + size]
        if not group:
            break
        position += size
        results += await asyncio.gather(
            *(
                store.append_message(
                    room,
                    senders[who],
                    f"{who}:{cid}",
                    client_msg_id=None if cid is None else f"id{cid}",
                    now=position,
                )
                for who, cid in group
            )
        )

    distinct = {(who, cid) for who, cid in sends if cid is not None}
    expected = len(distinct) + sum(cid is None for _, cid in sends)
    stored = await store.messages_since(room, 0, 1000)
    assert [m.seq for m in stored] == list(range(1, expected + 1))
    keys = [(m.sender, m.client_msg_id) for m in stored if m.client_msg_id is not None]
    assert len(keys) == len(set(keys)) == len(distinct)
    by_key = {(m.sender, m.client_msg_id): m for m in stored}
    for (who, cid), (message, created) in zip(sends, results, strict=True):
        assert message.sender == senders[who]
        if cid is None:
            assert created
        else:
            assert message == by_key[senders[who], f"id{cid}"]
    assert sum(created for _, created in results) == expected


async def test_staggered_sends_across_many_transactions(store: SqlStore, room: str) -> None:
    async def send(i: int) -> tuple[Message, bool]:
        await asyncio.sleep((i % 7) / 1000)
        return await store.append_message(room, "alice", "x", client_msg_id=f"c{i % 40}", now=i)

    results = await asyncio.gather(*(send(i) for i in range(80)))
    assert sum(created for _, created in results) == 40
    assert [m.seq for m in await store.messages_since(room, 0, 100)] == list(range(1, 41))


async def test_two_stores_on_one_database(store: SqlStore, room: str, db_url: str) -> None:
    """Two nodes (two stores, each with its own connections and writer) share the
    database: seqs stay gapless and a send repeated on both nodes is stored once."""
    other = await open_store(db_url)
    try:
        nodes = (store, other)

        async def send(i: int) -> tuple[Message, bool]:
            await asyncio.sleep((i % 5) / 1000)
            node = nodes[i % 2]
            # Pairs of sends (i, i + 1) carry the same id and go to different nodes.
            return await node.append_message(room, "bob", "x", client_msg_id=f"c{i // 2}", now=i)

        results = await asyncio.gather(*(send(i) for i in range(60)))
        assert sum(created for _, created in results) == 30
        for (first, _), (second, _) in zip(results[::2], results[1::2], strict=True):
            assert first == second
        stored = await other.messages_since(room, 0, 100)
        assert [m.seq for m in stored] == list(range(1, 31))
        assert sorted(m.client_msg_id or "" for m in stored) == sorted(f"c{i}" for i in range(30))
    finally:
        await other.close()
