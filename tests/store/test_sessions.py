from __future__ import annotations

import pytest

from chinwag.store.records import Banned, NoSuchRecord
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user

IDLE = 1_000


async def test_session_gives_its_user(store: SqlStore) -> None:
    await make_user(store, "Alice")
    await store.create_session("t1", "ALICE", now=0)
    user = await store.session_user("t1", now=10, max_idle=IDLE)
    assert user is not None and user.username == "Alice"
    assert await store.session_user("nope", now=10, max_idle=IDLE) is None


async def test_session_for_unknown_user(store: SqlStore) -> None:
    with pytest.raises(NoSuchRecord):
        await store.create_session("t1", "ghost", now=0)


async def test_use_keeps_a_session_alive_and_idleness_ends_it(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.create_session("t1", "alice", now=0)
    # Idle for exactly max_idle is still fine; each use restarts the clock.
    assert await store.session_user("t1", now=IDLE, max_idle=IDLE) is not None
    assert await store.session_user("t1", now=2 * IDLE, max_idle=IDLE) is not None
    assert await store.session_user("t1", now=3 * IDLE + 1, max_idle=IDLE) is None
    # Expired means deleted: even a generous max_idle does not bring it back.
    assert await store.session_user("t1", now=3 * IDLE + 2, max_idle=10 * IDLE) is None


async def test_delete_session(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.create_session("t1", "alice", now=0)
    await store.create_session("t2", "alice", now=0)
    await store.delete_session("t1")
    await store.delete_session("unknown")
    assert await store.session_user("t1", now=1, max_idle=IDLE) is None
    assert await store.session_user("t2", now=1, max_idle=IDLE) is not None


async def test_delete_sessions_of_a_user_keeping_one(store: SqlStore) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    for token in ("a1", "a2", "a3"):
        await store.create_session(token, "alice", now=0)
    await store.create_session("b1", "bob", now=0)
    await store.delete_sessions("ALICE", keep="a2")

    async def alive(token: str) -> bool:
        return await store.session_user(token, now=1, max_idle=IDLE) is not None

    assert [await alive(t) for t in ("a1", "a2", "a3", "b1")] == [False, True, False, True]
    await store.delete_sessions("alice")
    assert [await alive(t) for t in ("a2", "b1")] == [False, True]


async def test_an_address_is_known_once_a_session_was_created_or_used_there(
    store: SqlStore,
) -> None:
    await make_user(store, "alice")
    await make_user(store, "bob")
    assert not await store.known_address("alice", "192.0.2.1", since=0)
    await store.create_session("t1", "Alice", now=100, address="192.0.2.1")
    assert await store.known_address("ALICE", "192.0.2.1", since=100)
    assert not await store.known_address("alice", "192.0.2.1", since=101)  # too long ago
    assert not await store.known_address("bob", "192.0.2.1", since=0)  # per account
    assert not await store.known_address("alice", "192.0.2.2", since=0)
    # resuming a session from elsewhere makes that address known too
    assert await store.session_user("t1", now=200, max_idle=IDLE, address="198.51.100.0/24")
    assert await store.known_address("alice", "198.51.100.0/24", since=200)
    # a session that failed (expired) makes nothing known
    assert await store.session_user("t1", now=5000, max_idle=IDLE, address="203.0.113.9") is None
    assert not await store.known_address("alice", "203.0.113.9", since=0)


async def test_addresses_not_used_since_known_since_are_forgotten(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.create_session("t1", "alice", now=100, address="192.0.2.1")
    await store.create_session("t2", "alice", now=200, address="192.0.2.2", known_since=150)
    assert not await store.known_address("alice", "192.0.2.1", since=0)  # deleted
    assert await store.known_address("alice", "192.0.2.2", since=0)
    await store.create_session("t3", "alice", now=300, address="192.0.2.2")
    assert await store.known_address("alice", "192.0.2.2", since=300)  # its time moved


async def test_a_banned_account_gets_no_session_and_no_known_address(store: SqlStore) -> None:
    await make_user(store, "eve")
    await store.update_user("eve", banned=True, ban_reason="spam")
    with pytest.raises(Banned):
        await store.create_session("t1", "eve", now=100, address="192.0.2.1")
    assert not await store.known_address("eve", "192.0.2.1", since=0)


async def test_a_session_read_without_touching_it(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.create_session("t1", "alice", now=0)
    user = await store.session_user("t1", now=IDLE, max_idle=IDLE, touch=False)
    assert user is not None and user.username == "alice"
    # not touched: idle since 0, so it has expired by 2 * IDLE
    assert await store.session_user("t1", now=2 * IDLE, max_idle=IDLE, touch=False) is None
    assert await store.session_user("nope", now=0, max_idle=IDLE, touch=False) is None
    # and not deleted either: a touching call with a longer max_idle still finds it
    assert await store.session_user("t1", now=2 * IDLE, max_idle=3 * IDLE) is not None


async def test_a_session_opened_while_the_database_could_not_store_it(store: SqlStore) -> None:
    user = await make_user(store, "alice")
    since = await store.stream_head()

    async def keep(token: str, *, password_hash: str = user.password_hash) -> bool:
        return await store.store_session(
            token,
            "Alice",
            created=100,
            now=200,
            password_hash=password_hash,
            since=since,
            address="192.0.2.1",
        )

    assert await keep("t1")
    assert await keep("t1")  # stored already: still stored, once
    found = await store.session_user("t1", now=200 + IDLE, max_idle=IDLE)
    assert found is not None and found.username == "alice"
    assert await store.known_address("alice", "192.0.2.1", since=200)
    # another password now: the one the login checked is no longer the account's
    assert not await keep("t2", password_hash="another hash")
    assert await store.session_user("t2", now=200, max_idle=IDLE) is None


async def test_a_session_ended_or_banned_since_is_not_stored(store: SqlStore) -> None:
    alice = await make_user(store, "alice")
    bob = await make_user(store, "bob")
    since = await store.stream_head()
    await store.delete_sessions("alice")  # a kick or a password reset: an `ended` change
    await store.update_user("bob", banned=True, ban_reason="spam")
    for user in (alice, bob):
        stored = await store.store_session(
            f"t-{user.username}",
            user.username,
            created=1,
            now=2,
            password_hash=user.password_hash,
            since=since,
        )
        assert not stored
    # a login made after that change is stored
    assert await store.store_session(
        "t-later",
        "alice",
        created=3,
        now=4,
        password_hash=alice.password_hash,
        since=await store.stream_head(),
    )
    assert not await store.store_session(
        "t-ghost", "ghost", created=1, now=2, password_hash="x", since=0
    )
