from __future__ import annotations

import asyncio

import pytest

from chinwag.store.base import NoSuchRecord, UsernameTaken
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user


async def test_create_and_get_keep_the_registered_case(store: SqlStore) -> None:
    created = await store.create_user(
        "Alice", "h1", display_name="Alice A.", color="#e0245e", now=1234
    )
    assert created.username == "Alice"
    assert created.display_name == "Alice A."
    assert created.color == "#e0245e"
    assert created.password_hash == "h1"
    assert created.created_ts == 1234
    assert (created.banned, created.ban_reason, created.muted_until) == (False, "", 0)
    for spelling in ("Alice", "alice", "ALICE"):
        assert await store.get_user(spelling) == created
    assert await store.get_user("bob") is None


async def test_usernames_are_unique_in_any_case(store: SqlStore) -> None:
    await make_user(store, "alice")
    for spelling in ("alice", "ALICE", "aLiCe"):
        with pytest.raises(UsernameTaken):
            await make_user(store, spelling)
    assert [u.username for u in await store.list_users()] == ["alice"]


async def test_list_users_is_ordered_case_insensitively(store: SqlStore) -> None:
    for name in ("carol", "Bob", "alice", "Dave"):
        await make_user(store, name)
    assert [u.username for u in await store.list_users()] == ["alice", "Bob", "carol", "Dave"]


async def test_first_account_is_the_admin(store: SqlStore) -> None:
    first = await make_user(store, "first")
    second = await make_user(store, "second")
    forced = await make_user(store, "forced", admin=True)
    assert (first.admin, second.admin, forced.admin) == (True, False, True)


async def test_explicit_admin_false_for_the_first_account(store: SqlStore) -> None:
    first = await make_user(store, "first", admin=False)
    second = await make_user(store, "second")
    assert (first.admin, second.admin) == (False, False)


async def test_concurrent_first_accounts_make_one_admin(store: SqlStore) -> None:
    made = await asyncio.gather(*(make_user(store, f"user{i}") for i in range(8)))
    assert sum(user.admin for user in made) == 1


async def test_update_user_changes_only_the_given_fields(store: SqlStore) -> None:
    await make_user(store, "Alice")
    await make_user(store, "bob")
    updated = await store.update_user(
        "ALICE",
        display_name="Al",
        color="#000000",
        password_hash="h2",
        admin=False,
        banned=True,
        ban_reason="spam",
        muted_until=99,
    )
    assert updated.username == "Alice"
    assert (updated.display_name, updated.color, updated.password_hash) == ("Al", "#000000", "h2")
    assert (updated.admin, updated.banned, updated.ban_reason, updated.muted_until) == (
        False,
        True,
        "spam",
        99,
    )
    assert await store.get_user("alice") == updated
    again = await store.update_user("alice", banned=False)
    assert (again.banned, again.ban_reason, again.display_name) == (False, "spam", "Al")
    assert await store.update_user("alice") == again
    bob = await store.get_user("bob")
    assert bob is not None and bob.display_name == "Bob" and not bob.banned


async def test_update_unknown_user(store: SqlStore) -> None:
    with pytest.raises(NoSuchRecord):
        await store.update_user("ghost", display_name="Boo")
    with pytest.raises(NoSuchRecord):
        await store.update_user("ghost")
