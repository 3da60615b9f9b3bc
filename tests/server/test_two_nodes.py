"""Two server nodes sharing one database and one bus: a client on node A talks to a
client on node B. On SQLite with the in-process bus, and on PostgreSQL with Redis."""

from __future__ import annotations

import contextlib
import secrets
import time
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


@contextlib.asynccontextmanager
async def two_nodes(
    kind: str, start_server: StartServer, tmp_path: Path, *, partitioned: bool = False
) -> AsyncIterator[Nodes]:
    """Two nodes on one database. `partitioned`: their buses never reach each other (as
    if every doorbell between them were lost), so only the store connects them."""
    stores: list[Store] = []
    buses: list[EventBus] = []
    database = contextlib.AsyncExitStack()
    if kind == "sqlite+memory":
        brokers = [MemoryBroker(), MemoryBroker()] if partitioned else [MemoryBroker()] * 2
        for node, broker in zip(("a", "b"), brokers, strict=True):
            stores.append(await open_store(sqlite_url(tmp_path / "shared.db")))
            buses.append(MemoryBus(broker, node))
    else:
        from chinwag.bus.redis import RedisBus

        url = await database.enter_async_context(fresh_postgres_database())
        redis = await checked_redis_url()
        prefix = f"chinwag-test-{secrets.token_hex(4)}"
        for node in ("a", "b"):
            stores.append(await open_store(url))
            buses.append(
                RedisBus(redis, node, prefix=f"{prefix}-{node}" if partitioned else prefix)
            )
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


KINDS = ["sqlite+memory", "postgres+redis"]


@pytest.fixture(params=KINDS)
async def nodes(
    request: pytest.FixtureRequest, start_server: StartServer, tmp_path: Path
) -> AsyncIterator[Nodes]:
    async with two_nodes(request.param, start_server, tmp_path) as pair:
        yield pair


@pytest.fixture(params=KINDS)
async def partitioned(
    request: pytest.FixtureRequest, start_server: StartServer, tmp_path: Path
) -> AsyncIterator[Nodes]:
    async with two_nodes(request.param, start_server, tmp_path, partitioned=True) as pair:
        yield pair


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


async def test_a_mute_is_told_on_every_node_at_once(nodes: Nodes) -> None:
    """Bob is logged in on both nodes; the owner mutes him in a room from node A: both
    his connections are told, and when the mute is lifted. Listed from either node."""
    a, b = nodes
    owner = await register(a.url, "owner")
    bob_b = await register(b.url, "bob")
    bob_a = await login(a.url, "bob")
    await owner.ok("create_room", name="den")
    await bob_b.ok("join", room="den")
    await owner.ok("mute", user="bob", seconds=600, reason="calm down", room="den")
    for client in (bob_a, bob_b):
        muted = await client.event("muted", timeout=3)
        assert (muted["room"], muted["by"], muted["reason"]) == ("den", "owner", "calm down")
    owner_b = await login(b.url, "owner")
    listed = await owner_b.ok("moderation", room="den")
    assert [m["user"] for m in listed["mutes"]] == ["bob"]
    await owner.ok("mute", user="bob", seconds=0, room="den")
    for client in (bob_a, bob_b):
        assert await client.event("unmuted", timeout=3) == {"type": "unmuted", "room": "den"}
    for client in (owner, owner_b, bob_a, bob_b):
        await client.close()


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


#: The longest a node may take to apply a change whose doorbell was lost (see
#: docs/protocol.md, "The database decides"): the poll interval is 0.5 s.
REPAIR_BOUND = 2.0


async def test_a_lost_ban_is_repaired_on_the_other_node_within_the_bound(
    partitioned: Nodes,
) -> None:
    """No doorbell reaches node b, yet the ban made on node a closes bob's connection
    there within the bound, and until then the store refuses whatever he sends."""
    a, b = partitioned
    admin = await register(a.url, "admin")
    bob = await register(b.url, "bob")
    await admin.ok("ban", user="bob", reason="spam")
    started = time.monotonic()
    # The store refuses it; node b then applies the ban, which closes the connection
    # with its own code before the refusal would be sent.
    with pytest.raises(ConnectionError):
        await bob.request("send", room="general", body="after the ban", client_msg_id="1")
    assert (await bob.event("kicked", timeout=REPAIR_BOUND))["by"] == "admin"
    assert await bob.wait_closed(timeout=REPAIR_BOUND) == 4002
    took = time.monotonic() - started
    print(f"ban applied on the other node after {took * 1000:.0f} ms")
    assert took <= REPAIR_BOUND
    history = await admin.ok("history", room="general", limit=50)
    assert "after the ban" not in [m["body"] for m in history["messages"]]
    await admin.close()
    await bob.close()


async def test_a_lost_kick_from_a_private_room_is_repaired_and_leaks_nothing(
    partitioned: Nodes,
) -> None:
    """Bob is kicked from a private room on node a; carol, on node b with him, posts
    right after. Node b applies the kick before it delivers her message (the message
    carries the change stream's position at its commit): bob never receives it."""
    a, b = partitioned
    owner = await register(a.url, "owner")
    bob = await register(b.url, "bob")
    carol = await register(b.url, "carol")
    room = (await owner.ok("create_room", name="Secret plans", private=True))["room"]["id"]
    for who in ("bob", "carol"):
        await owner.ok("invite", room=room, user=who)
    await carol.event("room_updated", timeout=REPAIR_BOUND)
    await carol.ok("send", room=room, body="before", client_msg_id="c1")
    assert (await bob.message(room, "before", timeout=REPAIR_BOUND))["sender"] == "carol"

    started = time.monotonic()
    await owner.ok("kick", user="bob", room=room, reason="bye")
    await carol.ok("send", room=room, body="after the kick", client_msg_id="c2")
    kicked = await bob.event("kicked", timeout=REPAIR_BOUND, room=room)
    assert kicked["reason"] == "bye"
    took = time.monotonic() - started
    print(f"kick applied on the other node after {took * 1000:.0f} ms")
    assert took <= REPAIR_BOUND
    await carol.ok("send", room=room, body="later still", client_msg_id="c3")
    await carol.message(room, "later still")
    assert [m["body"] for m in bob.messages(room, "text")] == []
    await bob.error("history", "not_found", room=room)
    for client in (owner, bob, carol):
        await client.close()


async def test_a_password_changed_on_one_node_ends_sessions_on_the_other(
    partitioned: Nodes,
) -> None:
    a, b = partitioned
    ada = await register(a.url, "ada")
    elsewhere = await login(b.url, "ada")
    await ada.ok("change_password", old="correct horse", new="battery staple")
    assert await elsewhere.wait_closed(timeout=REPAIR_BOUND) == 4005
    await ada.ok("send", room="general", body="still here", client_msg_id="1")
    await ada.close()
    await elsewhere.close()
