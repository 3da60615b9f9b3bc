from __future__ import annotations

import pytest

from chinwag.store.base import NoSuchRecord
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
