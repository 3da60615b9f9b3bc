"""Two server nodes sharing one database and one bus: a client on node A talks to a
client on node B. On SQLite with the in-process bus, and on PostgreSQL with Redis."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chinwag.bus.base import EventBus, Resync
from chinwag.bus.memory import MemoryBroker, MemoryBus
from chinwag.server.context import now_ms
from chinwag.store.base import Store
from chinwag.store.sql import open_store, sqlite_url
from tests.conftest import checked_redis_url, fresh_postgres_database
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import login, register

Nodes = tuple[RunningServer, RunningServer]


@pytest.fixture(params=["sqlite+memory", "postgres+redis"])
async def nodes(
    request: pytest.FixtureRequest, start_server: StartServer, tmp_path: Path
) -> AsyncIterator[Nodes]:
    stores: list[Store] = []
    buses: list[EventBus] = []
    database = contextlib.AsyncExitStack()
    if request.param == "sqlite+memory":
        broker = MemoryBroker()
        for node in ("a", "b"):
            stores.append(await open_store(sqlite_url(tmp_path / "shared.db")))
            buses.append(MemoryBus(broker, node))
    else:
        from chinwag.bus.redis import RedisBus

        url = await database.enter_async_context(fresh_postgres_database())
        redis = await checked_redis_url()
        prefix = f"chinwag-test-{secrets.token_hex(4)}"
        for node in ("a", "b"):
            stores.append(await open_store(url))
            buses.append(RedisBus(redis, node, prefix=prefix))
    running: list[RunningServer] = []
    try:
        for store, bus in zip(stores, buses, strict=True):
            running.append(await start_server(parts={"store": store, "bus": bus}, rate_limit=0))
        yield running[0], running[1]
    finally:
        for server in running:
            await server.close()
        for bus in buses:
            await bus.close()
        for store in stores:
            await store.close()
        await database.aclose()


async def test_clients_on_two_nodes_chat(nodes: Nodes) -> None:
    a, b = nodes
    alice = await register(a.url, "alice")
    bob = await register(b.url, "bob")
    await alice.event("presence", user="bob", online=True)
    users = {u["username"]: u["online"] for u in (await bob.ok("users"))["users"]}
    assert users == {"alice": True, "bob": True}

    await alice.ok("send", room="general", body="hello from A", client_msg_id="a1")
    assert (await bob.message("general", "hello from A"))["sender"] == "alice"
    await bob.ok("send", room="general", body="hello from B", client_msg_id="b1")
    assert (await alice.message("general", "hello from B"))["sender"] == "bob"

    dm = (await alice.ok("open_dm", user="bob"))["room"]["id"]
    await bob.event("room_updated")
    just_us = (await alice.ok("send", room=dm, body="just us", client_msg_id="a2"))["message"]
    assert (await bob.message(dm, "just us"))["sender"] == "alice"
    await bob.ok("typing", room=dm)
    await alice.event("typing", room=dm, user="bob")

    # Bob's read marker reaches his other connection, on the other node.
    bob_on_a = await login(a.url, "bob")
    await bob.ok("mark_read", room=dm, seq=just_us["seq"])
    assert (await bob_on_a.event("read", room=dm))["seq"] == just_us["seq"]
    await bob_on_a.close()

    await alice.close()
    await bob.event("presence", user="alice", online=False)
    await bob.close()


async def test_moderation_reaches_the_other_node(nodes: Nodes) -> None:
    a, b = nodes
    admin = await register(a.url, "admin")
    bob = await register(b.url, "bob")
    await admin.ok("mute", user="bob", seconds=60)
    await bob.message("general", "admin muted bob for 1 min")
    await bob.error("send", "muted", room="general", body="x", client_msg_id="1")
    await admin.ok("kick", user="bob", reason="bye")
    assert (await bob.event("kicked"))["reason"] == "bye"
    assert await bob.wait_closed() == 4001
    await admin.close()
    await bob.close()


async def test_a_missed_doorbell_is_filled_from_the_store(nodes: Nodes) -> None:
    """A message committed without its bus event (a lost doorbell) reaches clients when
    the next one shows the gap: nodes read the missing seqs from the database."""
    a, b = nodes
    alice = await register(a.url, "alice")
    bob = await register(b.url, "bob")
    await alice.event("presence", user="bob", online=True)
    await alice.ok("send", room="general", body="one", client_msg_id="1")
    for client in (alice, bob):
        await client.message("general", "one")
        client.events.clear()
    silent, _ = await a.ctx.store.append_message(
        "general", "alice", "two (no doorbell)", client_msg_id="2", now=now_ms()
    )
    await alice.ok("send", room="general", body="three", client_msg_id="3")
    for client in (alice, bob):
        two = await client.message("general")
        three = await client.message("general")
        assert (two["body"], three["body"]) == ("two (no doorbell)", "three")
        assert three["seq"] == two["seq"] + 1 == silent.seq + 1
    await alice.close()
    await bob.close()


async def test_a_resync_restores_what_the_bus_dropped(nodes: Nodes) -> None:
    """While a node's link to the bus is down it misses events; when the link is back
    (the bus hands it `Resync`) it re-reads memberships and rooms from the store."""
    a, b = nodes
    alice = await register(a.url, "alice")
    bob = await register(b.url, "bob")
    await alice.ok("send", room="general", body="seen", client_msg_id="1")
    await bob.message("general", "seen")
    # what node b never heard of: a DM opened and a message posted in it and in general
    now = now_ms()
    dm, _ = await a.ctx.store.open_dm("dm:alice:bob", "alice", "bob", now=now)
    await a.ctx.store.append_message(dm.id, "alice", "psst", client_msg_id="2", now=now)
    await a.ctx.store.append_message("general", "alice", "missed", client_msg_id="3", now=now)
    await b.ctx.notifier.on_bus_event(Resync(origin="b"))
    assert (await bob.message("general"))["body"] == "missed"
    await alice.ok("send", room=dm.id, body="after", client_msg_id="4")
    assert (await bob.message(dm.id, "after"))["sender"] == "alice"
    await alice.close()
    await bob.close()
