from __future__ import annotations

import pytest

from chinwag.store.records import NoSuchRecord
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user


async def count(store: SqlStore, room_id: str) -> int:
    room = await store.get_room(room_id)
    assert room is not None
    return room.member_count


async def test_add_and_remove_keep_member_count(store: SqlStore) -> None:
    await make_user(store, "Alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    assert await store.add_member("general", "alice", role="member", now=10)
    assert not await store.add_member("general", "ALICE", role="owner", now=11)
    assert await store.add_member("general", "bob", role="member", now=12)
    assert await count(store, "general") == 2
    member = await store.get_member("general", "ALICE")
    assert member is not None
    assert (member.room, member.user, member.role, member.muted_until, member.joined_ts) == (
        "general",
        "Alice",
        "member",
        0,
        10,
    )
    assert await store.remove_member("general", "Alice")
    assert not await store.remove_member("general", "alice")
    assert not await store.remove_member("general", "nobody")
    assert await count(store, "general") == 1
    assert await store.get_member("general", "alice") is None
    assert await store.add_member("general", "alice", role="member", now=13)
    assert await count(store, "general") == 2


async def test_add_member_to_unknown_room_or_user(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.ensure_room("general", "General", "public", now=1)
    with pytest.raises(NoSuchRecord):
        await store.add_member("nowhere", "alice", role="member", now=1)
    with pytest.raises(NoSuchRecord):
        await store.add_member("general", "ghost", role="member", now=1)
    assert await count(store, "general") == 0


async def test_list_members_owner_first_then_by_name(store: SqlStore) -> None:
    for name in ("dave", "Carol", "bob", "Alice"):
        await make_user(store, name)
    room = await store.create_room("r", "R", "public", owner="dave", topic="", now=1)
    for name in ("bob", "Carol", "Alice"):
        await store.add_member(room.id, name, role="member", now=2)
    listed = await store.list_members(room.id)
    assert [(m.user, m.role) for m in listed] == [
        ("dave", "owner"),
        ("Alice", "member"),
        ("bob", "member"),
        ("Carol", "member"),
    ]
    assert await store.member_usernames(room.id) == ["Alice", "bob", "Carol", "dave"]
    assert await store.list_members("nowhere") == []
    assert await store.member_usernames("nowhere") == []


async def test_member_mute(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.ensure_room("general", "General", "public", now=1)
    await store.add_member("general", "alice", role="member", now=1)
    await store.set_member_muted("general", "ALICE", 5_000)
    member = await store.get_member("general", "alice")
    assert member is not None and member.muted_until == 5_000
    await store.set_member_muted("general", "alice", 0)
    member = await store.get_member("general", "alice")
    assert member is not None and member.muted_until == 0
    with pytest.raises(NoSuchRecord):
        await store.set_member_muted("general", "bob", 1)


async def test_a_room_mute_outlives_leaving_and_rejoining(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    await store.ensure_room("other", "Other", "public", now=1)
    for room in ("general", "other"):
        await store.add_member(room, "alice", role="member", now=1)
    await store.add_member("general", "bob", role="member", now=1)
    await store.set_member_muted("general", "alice", 5_000)
    assert await store.remove_member("general", "alice")
    assert await store.remove_member("general", "bob")  # never muted: nothing parked
    assert await store.add_member("general", "ALICE", role="member", now=2)
    member = await store.get_member("general", "alice")
    assert member is not None and member.muted_until == 5_000
    # The mute was taken back, not copied: after an unmute, leaving and rejoining is clean.
    await store.set_member_muted("general", "alice", 0)
    await store.remove_member("general", "alice")
    await store.add_member("general", "alice", role="member", now=3)
    member = await store.get_member("general", "alice")
    assert member is not None and member.muted_until == 0
    # A mute belongs to its room and its user.
    await store.add_member("general", "bob", role="member", now=4)
    for room, user in (("other", "alice"), ("general", "bob")):
        member = await store.get_member(room, user)
        assert member is not None and member.muted_until == 0


async def test_read_markers_move_forward_only_and_stop_at_the_last_seq(
    store: SqlStore,
) -> None:
    await make_user(store, "Alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    await store.ensure_room("other", "Other", "public", now=1)
    for room in ("general", "other"):
        await store.add_member(room, "alice", role="member", now=1)
    for i in range(5):
        await store.append_message("general", "bob", f"m{i}", client_msg_id=None, now=2)
    assert await store.read_marks("alice") == {}
    assert await store.mark_read("general", "ALICE", 3) == 3
    assert await store.mark_read("general", "alice", 2) is None  # never back
    assert await store.mark_read("general", "alice", 3) is None  # nothing new
    assert await store.mark_read("general", "alice", 99) == 5  # no further than the room
    assert await store.mark_read("other", "alice", 1) is None  # an empty room: stays at 0
    assert await store.read_marks("Alice") == {"general": 5}
    with pytest.raises(NoSuchRecord):
        await store.mark_read("general", "bob", 1)
    with pytest.raises(NoSuchRecord):
        await store.mark_read("nowhere", "alice", 1)
    # Leaving forgets the marker with the membership.
    await store.remove_member("general", "alice")
    await store.add_member("general", "alice", role="member", now=3)
    assert await store.read_marks("alice") == {}


async def test_room_bans(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    await store.ensure_room("other", "Other", "public", now=1)
    assert not await store.is_room_banned("general", "alice")
    await store.set_room_ban("general", "Alice", banned=True, reason="spam", now=5)
    await store.set_room_ban("general", "alice", banned=True, reason="again", now=6)
    assert await store.is_room_banned("general", "ALICE")
    assert not await store.is_room_banned("other", "alice")
    assert not await store.is_room_banned("general", "bob")
    await store.set_room_ban("general", "alice", banned=False)
    assert not await store.is_room_banned("general", "alice")
    await store.set_room_ban("general", "alice", banned=False)  # unbanning twice is fine
    with pytest.raises(NoSuchRecord):
        await store.set_room_ban("nowhere", "alice", banned=True, reason="", now=1)
    with pytest.raises(NoSuchRecord):
        await store.set_room_ban("general", "ghost", banned=True, reason="", now=1)
