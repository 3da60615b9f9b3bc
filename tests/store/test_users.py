"""Accounts: usernames, display names and the names they hold, profiles."""

from __future__ import annotations

import asyncio

import pytest

from chinwag.core.errors import ChatError
from chinwag.protocol.errors import ErrorCode
from chinwag.store.records import Actor, NameTaken, NoSuchRecord, UsernameTaken
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


# -- names that cannot pass for each other ------------------------------------------------


async def test_a_display_name_is_nobody_elses_name_in_any_case_or_look_alike(
    store: SqlStore,
) -> None:
    await make_user(store, "alice")  # goes by "Alice"
    await make_user(store, "bob")
    await store.update_user("alice", display_name="Ali")
    for taken in ("alice", "ALICE", "Ali", "ali", "\u0410li", "\uff21li", "A\u200bli"):
        with pytest.raises(NameTaken):
            await store.update_user("bob", display_name=taken)
    bob = await store.get_user("bob")
    assert bob is not None and bob.display_name == "Bob"
    # one's own username and display name, in any case, are one's own
    assert (await store.update_user("alice", display_name="ALICE")).display_name == "ALICE"
    assert (await store.update_user("alice", display_name="alice")).display_name == "alice"
    # a name given up is free for others
    assert (await store.update_user("bob", display_name="Ali")).display_name == "Ali"


async def test_a_new_username_is_nobody_elses_display_name(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.update_user("alice", display_name="Zed")
    for spelling in ("zed", "ZED", "Zed"):
        with pytest.raises(UsernameTaken):
            await make_user(store, spelling)
    assert [u.username for u in await store.list_users()] == ["alice"]
    await store.update_user("alice", display_name="Zoe")
    assert (await make_user(store, "zed")).username == "zed"  # freed


async def test_an_account_made_with_someone_elses_display_name_is_refused(
    store: SqlStore,
) -> None:
    await make_user(store, "alice")
    with pytest.raises(NameTaken):
        await store.create_user("bob", "h", display_name="\u0430lice", color="#123456", now=1)
    assert await store.get_user("bob") is None  # nothing of it was kept


async def test_the_profile_of_an_actor_keeps_names_apart(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    with pytest.raises(NameTaken):
        await store.update_profile(Actor("bob"), display_name="ALICE", color="#000000", now=1)
    bob = await store.get_user("bob")
    assert bob is not None and (bob.display_name, bob.color) == ("Bob", "#1d9bf0")
    acted = await store.update_profile(Actor("bob"), display_name="Bobby", now=1)
    assert acted.user is not None and acted.user.display_name == "Bobby"


async def test_a_muted_user_keeps_their_display_name_but_may_change_colour(
    store: SqlStore,
) -> None:
    await make_user(store, "alice")
    await store.update_user("alice", muted_until=5_000)
    with pytest.raises(ChatError) as caught:
        await store.update_profile(Actor("alice"), display_name="Loud", now=1_000)
    assert caught.value.code == ErrorCode.MUTED and caught.value.retry_after == 4.0
    acted = await store.update_profile(Actor("alice"), display_name="Alice", color="#000000",
                                       now=1_000)  # fmt: skip
    assert acted.user is not None and acted.user.color == "#000000"  # same name: no speech
    acted = await store.update_profile(Actor("alice"), display_name="Loud", now=5_000)
    assert acted.user is not None and acted.user.display_name == "Loud"  # mute over


async def test_concurrent_claims_of_one_name_let_exactly_one_through(store: SqlStore) -> None:
    for i in range(6):
        await make_user(store, f"user{i}")

    async def claim(i: int) -> bool:
        try:
            await store.update_user(f"user{i}", display_name=f"The {'ONE' if i % 2 else 'one'}")
        except NameTaken:
            return False
        return True

    assert sum(await asyncio.gather(*(claim(i) for i in range(6)))) == 1
    assert sum(u.display_name.lower() == "the one" for u in await store.list_users()) == 1


async def test_accounts_trading_names_at_once_do_not_deadlock(store: SqlStore) -> None:
    await make_user(store, "ann")
    await make_user(store, "ben")
    await store.update_user("ann", display_name="Red")
    await store.update_user("ben", display_name="Blue")

    async def take(username: str, name: str) -> bool:
        try:
            await store.update_user(username, display_name=name)
        except NameTaken:
            return False
        return True

    for _ in range(5):
        done = await asyncio.wait_for(
            asyncio.gather(take("ann", "Blue"), take("ben", "Red")), timeout=20
        )
        names = {u.username: u.display_name for u in await store.list_users()}
        assert len({name.lower() for name in names.values()}) == 2
        assert sum(done) <= 1 or names == {"ann": "Blue", "ben": "Red"}
