from __future__ import annotations

import re

import pytest

from chinwag.store.records import NoSuchRecord, StoreError
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user


async def test_ensure_room_creates_once(store: SqlStore) -> None:
    room = await store.ensure_room("general", "General", "public", now=5)
    assert (room.id, room.name, room.kind, room.topic, room.owner) == (
        "general",
        "General",
        "public",
        "",
        None,
    )
    assert (room.last_seq, room.member_count, room.created_ts, room.dm_users) == (0, 0, 5, [])
    again = await store.ensure_room("general", "Other name", "private", now=9)
    assert again == room
    assert await store.get_room("general") == room
    assert await store.get_room("nowhere") is None


async def test_create_room_picks_a_free_slug(store: SqlStore) -> None:
    await make_user(store, "Alice")
    first = await store.create_room("chess", "Chess", "public", owner="alice", topic="e4 e5", now=7)
    assert (first.id, first.name, first.kind, first.topic, first.owner) == (
        "chess",
        "Chess",
        "public",
        "e4 e5",
        "Alice",
    )
    assert (first.member_count, first.last_seq, first.created_ts) == (1, 0, 7)
    ids = [first.id]
    for _ in range(3):
        room = await store.create_room("chess", "Chess", "public", owner="ALICE", topic="", now=8)
        ids.append(room.id)
    assert ids == ["chess", "chess-2", "chess-3", "chess-4"]
    member = await store.get_member("chess-3", "alice")
    assert member is not None and member.role == "owner" and member.joined_ts == 8


async def test_a_private_rooms_id_is_random_and_tells_nothing_of_its_name(
    store: SqlStore,
) -> None:
    await make_user(store, "alice")
    await make_user(store, "eve")
    hidden = [
        await store.create_room("secret-plans", "Secret plans", "private", owner="alice",
                                topic="", now=1)
        for _ in range(3)
    ]  # fmt: skip
    ids = [room.id for room in hidden]
    assert len(set(ids)) == 3
    for room_id in ids:
        assert re.fullmatch(r"p:[a-z2-7]{16}", room_id) and "secret" not in room_id
    member = await store.get_member(ids[0], "alice")
    assert member is not None and member.role == "owner"
    # a public room of the same name gets the id it would get if they did not exist
    public = await store.create_room("secret-plans", "Secret plans", "public", owner="eve",
                                     topic="", now=2)  # fmt: skip
    assert public.id == "secret-plans"
    again = await store.create_room("secret-plans", "Secret plans", "public", owner="eve",
                                    topic="", now=3)  # fmt: skip
    assert again.id == "secret-plans-2"


async def test_a_private_room_made_with_a_slug_before_is_not_given_away(
    store: SqlStore,
) -> None:
    """Private rooms made before ids were random keep their slug ids; a public room
    whose count lands on one gets a random suffix (it cannot have that id)."""
    await make_user(store, "eve")
    await store.ensure_room("plans-2", "Plans", "private", now=1)
    made = [
        (await store.create_room("plans", "Plans", "public", owner="eve", topic="", now=2)).id
        for _ in range(3)
    ]
    assert made[0] == "plans"
    for room_id in made[1:]:
        assert re.fullmatch(r"plans-[a-z2-7]{6}", room_id)
    assert len(set(made)) == 3


async def test_create_room_slug_with_like_wildcards(store: SqlStore) -> None:
    await make_user(store, "alice")
    made = [
        (await store.create_room(slug, "X", "public", owner="alice", topic="", now=1)).id
        for slug in ("a_b", "a%b", "a_b", "axb", "a%b")
    ]
    assert made == ["a_b", "a%b", "a_b-2", "axb", "a%b-2"]


async def test_create_room_fills_a_gap(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.ensure_room("news", "News", "public", now=1)
    await store.ensure_room("news-3", "News", "public", now=1)
    room = await store.create_room("news", "News", "public", owner="alice", topic="", now=1)
    assert room.id == "news-2"


async def test_create_room_needs_an_existing_owner(store: SqlStore) -> None:
    with pytest.raises(NoSuchRecord):
        await store.create_room("x", "X", "public", owner="ghost", topic="", now=1)
    assert await store.get_room("x") is None


async def test_update_room(store: SqlStore) -> None:
    await store.ensure_room("r", "Room", "public", now=1)
    renamed = await store.update_room("r", name="Renamed")
    assert (renamed.name, renamed.topic) == ("Renamed", "")
    retopiced = await store.update_room("r", topic="new topic")
    assert (retopiced.name, retopiced.topic) == ("Renamed", "new topic")
    assert await store.update_room("r") == retopiced
    assert await store.get_room("r") == retopiced
    with pytest.raises(NoSuchRecord):
        await store.update_room("nowhere", name="x")
    with pytest.raises(NoSuchRecord):
        await store.update_room("nowhere")


async def test_rooms_of_and_public_rooms(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    await store.create_room("zeta", "Zeta", "public", owner="alice", topic="", now=1)
    hidden = await store.create_room("hidden", "Hidden", "private", owner="bob", topic="", now=1)
    await store.open_dm("dm:alice:bob", "alice", "bob", now=1)
    await store.add_member("general", "alice", role="member", now=1)
    assert [r.id for r in await store.rooms_of("ALICE")] == ["dm:alice:bob", "general", "zeta"]
    assert [r.id for r in await store.rooms_of("bob")] == ["dm:alice:bob", hidden.id]
    assert await store.rooms_of("nobody") == []
    assert [r.id for r in await store.public_rooms()] == ["general", "zeta"]


async def test_open_dm_is_idempotent_and_makes_both_members(store: SqlStore) -> None:
    await make_user(store, "Bob")
    await make_user(store, "alice")
    room, created = await store.open_dm("dm:alice:bob", "bob", "ALICE", now=3)
    assert created
    assert (room.id, room.kind, room.owner, room.member_count) == ("dm:alice:bob", "dm", None, 2)
    assert room.dm_users == ["alice", "Bob"]
    again, created_again = await store.open_dm("dm:alice:bob", "alice", "bob", now=4)
    assert not created_again
    assert again == room
    assert await store.member_usernames("dm:alice:bob") == ["alice", "Bob"]
    roles = {m.user: m.role for m in await store.list_members("dm:alice:bob")}
    assert roles == {"alice": "member", "Bob": "member"}


async def test_open_dm_brings_a_removed_participant_back(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    await store.open_dm("dm", "alice", "bob", now=1)
    assert await store.remove_member("dm", "bob")
    room, created = await store.open_dm("dm", "alice", "bob", now=2)
    assert not created
    assert room.member_count == 2
    assert await store.get_member("dm", "bob") is not None


async def test_open_dm_errors(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    await make_user(store, "carol")
    with pytest.raises(NoSuchRecord):
        await store.open_dm("dm:alice:ghost", "alice", "ghost", now=1)
    assert await store.get_room("dm:alice:ghost") is None
    await store.open_dm("dm:alice:bob", "alice", "bob", now=1)
    with pytest.raises(StoreError):  # the id holds another pair
        await store.open_dm("dm:alice:bob", "alice", "carol", now=1)
    await store.ensure_room("general", "General", "public", now=1)
    with pytest.raises(StoreError):  # the id is not a DM
        await store.open_dm("general", "alice", "bob", now=1)
    assert (await store.get_room("general")) is not None
    assert await store.member_usernames("general") == []
