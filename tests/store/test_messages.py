from __future__ import annotations

import asyncio

import pytest

from chinwag.protocol.types import Message
from chinwag.store.records import NoSuchRecord
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user


@pytest.fixture
async def room(store: SqlStore) -> str:
    await make_user(store, "Alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    return "general"


async def send(store: SqlStore, n: int, room: str = "general", sender: str = "alice") -> None:
    for i in range(n):
        await store.append_message(room, sender, f"m{i + 1}", client_msg_id=None, now=100 + i)


def seqs(messages: list[Message]) -> list[int]:
    return [m.seq for m in messages]


async def test_append_numbers_messages_per_room(store: SqlStore, room: str) -> None:
    await store.ensure_room("other", "Other", "public", now=1)
    first, created = await store.append_message(
        room, "ALICE", "hello", client_msg_id="c1", now=1000
    )
    assert created
    assert first == Message(
        room=room, seq=1, sender="Alice", body="hello", ts=1000, client_msg_id="c1"
    )
    second, _ = await store.append_message(room, "bob", "hi", client_msg_id=None, now=1001)
    elsewhere, _ = await store.append_message("other", "bob", "x", client_msg_id=None, now=1002)
    joined, _ = await store.append_message(
        room, "bob", "bob joined", client_msg_id=None, now=1003, kind="system"
    )
    assert (second.seq, elsewhere.seq, joined.seq) == (2, 1, 3)
    assert (joined.kind, joined.sender, joined.deleted) == ("system", "bob", False)
    stored = await store.get_room(room)
    assert stored is not None and stored.last_seq == 3
    assert await store.messages_since(room, 0, 10) == [first, second, joined]


async def test_a_repeated_client_msg_id_stores_nothing(store: SqlStore, room: str) -> None:
    original, created = await store.append_message(
        room, "alice", "hello", client_msg_id="c1", now=1
    )
    again, created_again = await store.append_message(
        room, "Alice", "hello (retry)", client_msg_id="c1", now=2
    )
    assert created and not created_again
    assert again == original
    # No seq was consumed by the retry.
    following, _ = await store.append_message(room, "alice", "next", client_msg_id="c2", now=3)
    assert following.seq == 2
    assert seqs(await store.messages_since(room, 0, 10)) == [1, 2]


async def test_client_msg_ids_are_per_sender(store: SqlStore, room: str) -> None:
    a, a_new = await store.append_message(room, "alice", "a", client_msg_id="same", now=1)
    b, b_new = await store.append_message(room, "bob", "b", client_msg_id="same", now=2)
    assert a_new and b_new and (a.seq, b.seq) == (1, 2)


async def test_no_client_msg_id_never_deduplicates(store: SqlStore, room: str) -> None:
    for _ in range(3):
        _, created = await store.append_message(room, "alice", "x", client_msg_id=None, now=1)
        assert created
    assert seqs(await store.messages_since(room, 0, 10)) == [1, 2, 3]


async def test_a_client_msg_id_is_unique_per_room(store: SqlStore, room: str) -> None:
    """The same id in another room is another message: never the first room's."""
    await store.ensure_room("other", "Other", "public", now=1)
    original, _ = await store.append_message(room, "alice", "x", client_msg_id="c1", now=1)
    there, created = await store.append_message("other", "alice", "y", client_msg_id="c1", now=2)
    assert created
    assert (there.room, there.body, there.seq) == ("other", "y", 1)
    assert await store.messages_since("other", 0, 10) == [there]
    # a retry in either room finds that room's own message
    again, created = await store.append_message("other", "alice", "y", client_msg_id="c1", now=3)
    assert (again, created) == (there, False)
    again, created = await store.append_message(room, "alice", "x", client_msg_id="c1", now=3)
    assert (again, created) == (original, False)


async def test_a_batch_with_one_id_in_two_rooms_stores_both(store: SqlStore, room: str) -> None:
    await store.ensure_room("other", "Other", "public", now=1)
    first, second = await asyncio.gather(
        store.append_message(room, "alice", "x", client_msg_id="c1", now=1),
        store.append_message("other", "alice", "y", client_msg_id="c1", now=1),
    )
    assert first[1] and second[1]
    assert {first[0].room, second[0].room} == {room, "other"}


async def test_append_to_unknown_room_or_from_unknown_user(store: SqlStore, room: str) -> None:
    with pytest.raises(NoSuchRecord):
        await store.append_message("nowhere", "alice", "x", client_msg_id="c1", now=1)
    with pytest.raises(NoSuchRecord):
        await store.append_message(room, "ghost", "x", client_msg_id="c1", now=1)
    # Neither consumed a seq nor a client_msg_id.
    message, created = await store.append_message(room, "alice", "x", client_msg_id="c1", now=2)
    assert created and message.seq == 1


async def test_messages_since(store: SqlStore, room: str) -> None:
    await send(store, 5)
    assert seqs(await store.messages_since(room, 0, 100)) == [1, 2, 3, 4, 5]
    assert seqs(await store.messages_since(room, 2, 100)) == [3, 4, 5]
    assert seqs(await store.messages_since(room, 1, 2)) == [2, 3]
    assert await store.messages_since(room, 5, 100) == []
    assert await store.messages_since(room, 50, 100) == []
    assert await store.messages_since(room, 0, 0) == []
    assert await store.messages_since(room, 0, -1) == []
    assert await store.messages_since("nowhere", 0, 10) == []
    bodies = [m.body for m in await store.messages_since(room, 0, 100)]
    assert bodies == ["m1", "m2", "m3", "m4", "m5"]


async def test_history_before(store: SqlStore, room: str) -> None:
    assert await store.history_before(room, None, 10) == []
    await send(store, 5)
    assert seqs(await store.history_before(room, None, 3)) == [3, 4, 5]
    assert seqs(await store.history_before(room, None, 100)) == [1, 2, 3, 4, 5]
    assert seqs(await store.history_before(room, 5, 2)) == [3, 4]
    assert seqs(await store.history_before(room, 3, 100)) == [1, 2]
    assert seqs(await store.history_before(room, 6, 1)) == [5]
    assert seqs(await store.history_before(room, 99, 2)) == [4, 5]
    assert await store.history_before(room, 1, 10) == []
    assert await store.history_before(room, 0, 10) == []
    assert await store.history_before(room, None, 0) == []
    assert await store.history_before(room, 4, -5) == []
    assert await store.history_before("nowhere", None, 10) == []
    # Paging backwards from the newest visits every message exactly once.
    pages: list[int] = []
    before: int | None = None
    while page := await store.history_before(room, before, 2):
        pages = seqs(page) + pages
        before = page[0].seq
    assert pages == [1, 2, 3, 4, 5]


async def test_get_and_delete_message(store: SqlStore, room: str) -> None:
    await send(store, 3)
    second = await store.get_message(room, 2)
    assert second is not None and (second.body, second.deleted) == ("m2", False)
    assert await store.get_message(room, 4) is None
    assert await store.get_message("nowhere", 1) is None
    assert await store.delete_message(room, 2)
    deleted = await store.get_message(room, 2)
    assert deleted is not None
    assert (deleted.seq, deleted.body, deleted.deleted, deleted.sender) == (2, "", True, "Alice")
    assert seqs(await store.messages_since(room, 0, 10)) == [1, 2, 3]
    assert [m.deleted for m in await store.history_before(room, None, 10)] == [False, True, False]
    assert not await store.delete_message(room, 9)
    assert not await store.delete_message("nowhere", 1)
    # The seq stays taken.
    fourth, _ = await store.append_message(room, "bob", "m4", client_msg_id=None, now=9)
    assert fourth.seq == 4


async def test_edits_and_deletions_are_numbered_changes(store: SqlStore, room: str) -> None:
    await send(store, 6)
    await store.ensure_room("other", "Other", "public", now=1)
    await send(store, 2, room="other")
    assert await store.changes_since(room, 6, 0, 10) == ([], 0)
    edited = await store.edit_message(room, 2, "m2, better", now=500)
    assert edited is not None
    assert (edited.body, edited.edited_ts, edited.deleted) == ("m2, better", 500, False)
    assert await store.get_message(room, 2) == edited
    assert await store.delete_message(room, 4)
    assert await store.delete_message(room, 4)  # again: no new change
    assert (await store.edit_message(room, 5, "m5!", now=600)) is not None
    await store.delete_message("other", 1)
    room_record = await store.get_room(room)
    assert room_record is not None and room_record.last_change == 3

    def show(result: tuple[list[Message], int]) -> tuple[list[tuple[int, str, bool]], int]:
        return [(m.seq, m.body, m.deleted) for m in result[0]], result[1]

    assert show(await store.changes_since(room, 6, 0, 10)) == (
        [(2, "m2, better", False), (4, "", True), (5, "m5!", False)],
        3,
    )
    assert show(await store.changes_since(room, 6, 1, 10)) == (
        [(4, "", True), (5, "m5!", False)],
        3,
    )
    assert show(await store.changes_since(room, 6, 3, 10)) == ([], 3)
    # only messages up to `upto` (later ones come whole with the new messages)
    assert show(await store.changes_since(room, 4, 0, 10)) == (
        [(2, "m2, better", False), (4, "", True)],
        3,
    )
    # a limit cuts the list and the mark: the rest comes the next time
    assert show(await store.changes_since(room, 6, 0, 2)) == (
        [(2, "m2, better", False), (4, "", True)],
        2,
    )
    assert show(await store.changes_since("other", 2, 0, 10)) == ([(1, "", True)], 1)
    assert await store.changes_since("nowhere", 2, 0, 10) == ([], 0)
    # a second edit of one message is one more change; the message is listed once
    await store.edit_message(room, 2, "m2, final", now=700)
    assert show(await store.changes_since(room, 6, 3, 10)) == ([(2, "m2, final", False)], 4)
    assert show(await store.changes_since(room, 6, 0, 10))[0][0] == (4, "", True)


async def test_only_text_messages_that_exist_can_be_edited(store: SqlStore, room: str) -> None:
    await send(store, 1)
    await store.append_message(
        room, "alice", "alice joined", client_msg_id=None, now=1, kind="system"
    )
    assert await store.edit_message(room, 2, "x", now=1) is None  # a system line
    assert await store.edit_message(room, 9, "x", now=1) is None
    assert await store.edit_message("nowhere", 1, "x", now=1) is None
    await store.delete_message(room, 1)
    assert await store.edit_message(room, 1, "back from the dead", now=1) is None
    deleted = await store.get_message(room, 1)
    assert deleted is not None and deleted.body == "" and deleted.edited_ts is None
