"""The `EventBus` contract, on every backend (`cluster` runs each test on memory and Redis)."""

from __future__ import annotations

import asyncio
import logging

import msgspec
import pytest

from chinwag.bus.base import (
    AnyBusEvent,
    BusEvent,
    ChangesAt,
    Deliver,
    EventBus,
    PresenceChanged,
)
from chinwag.core.models import Change
from tests.bus.conftest import Cluster, Recorder, note, online_soon


def marker(text: str) -> Deliver:
    """An event a test publishes last, to know that every earlier one has arrived."""
    return note(f"marker-{text}")


def numbered(events: list[AnyBusEvent], origin: str | None = None) -> list[int]:
    """The numbers of `note(str(n))` events, in the order received."""
    return [
        int(e.frame)
        for e in events
        if isinstance(e, Deliver) and e.user is not None and origin in (None, e.origin)
    ]


async def test_publish_reaches_every_other_node_and_not_its_publisher(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    c = await cluster.node("c")

    a.bus.publish(note("alice"))
    b.bus.publish(marker("b"))

    assert await b.seen.wait_for(1) == [note("alice", origin="a")]
    assert await c.seen.wait_for(2) == [
        note("alice", origin="a"),
        note("marker-b", origin="b"),
    ]
    # `a` hears b's marker, published after its own event, and nothing of its own.
    await a.seen.wait_for(1)
    assert a.seen.events == [note("marker-b", origin="b")]


async def test_publish_stamps_a_copy_and_leaves_the_event_alone(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    event = note("alice")

    a.bus.publish(event)

    assert await b.seen.wait_for(1) == [note("alice", origin="a")]
    assert event.origin == ""


async def test_500_events_arrive_in_publish_order(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")

    for n in range(1, 501):
        a.bus.publish(note(str(n)))

    events = await b.seen.wait_for(500)
    assert numbered(events) == list(range(1, 501))
    assert {e.origin for e in events} == {"a"}


async def test_room_doorbells_may_coalesce_but_keep_order_and_the_newest(
    cluster: Cluster,
) -> None:
    """A room's doorbells may merge (the newest stands for the earlier ones: a node reads
    the messages it lacks from the store), but never go back and never lose the last."""
    a = await cluster.node("a")
    b = await cluster.node("b")

    for seq in range(1, 501):
        a.bus.publish(Deliver(frame=b"m%d" % seq, room="lobby", seq=seq))
    a.bus.publish(marker("a"))

    await b.seen.wait_until(lambda e: e == note("marker-a", origin="a"))
    seqs = [e.seq for e in b.seen.events if isinstance(e, Deliver) and e.seq]
    assert seqs == sorted(set(seqs))
    assert seqs[-1] == 500
    last = next(e for e in b.seen.events if isinstance(e, Deliver) and e.seq == 500)
    assert last.frame == b"m500"


async def test_each_publishers_order_holds_when_publishers_interleave(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    c = await cluster.node("c")

    async def send(bus: EventBus) -> None:
        for n in range(1, 201):
            bus.publish(note(str(n)))
            if n % 10 == 0:
                await asyncio.sleep(0)

    await asyncio.gather(send(a.bus), send(c.bus))

    events = await b.seen.wait_for(400)
    for origin in ("a", "c"):
        assert numbered(events, origin) == list(range(1, 201)), origin


async def test_a_failing_handler_is_logged_and_delivery_goes_on(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Recorder()

    async def handler(event: AnyBusEvent) -> None:
        await seen(event)
        if isinstance(event, Deliver) and event.user == "boom":
            raise RuntimeError("handler bug")

    a = await cluster.node("a")
    b = cluster.bus("b")
    await b.start(handler)

    with caplog.at_level(logging.ERROR, logger="chinwag.bus"):
        a.bus.publish(note("boom"))
        a.bus.publish(note("after"))
        events = await seen.wait_for(2)

    assert [e.user for e in events if isinstance(e, Deliver)] == ["boom", "after"]
    failures = [r for r in caplog.records if r.exc_info and r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert isinstance(failures[0].exc_info[1], RuntimeError)


async def test_a_slow_handler_blocks_neither_publisher_nor_other_nodes(cluster: Cluster) -> None:
    release = asyncio.Event()
    slow_seen = Recorder()

    async def slow(event: AnyBusEvent) -> None:
        await release.wait()
        await slow_seen(event)

    a = await cluster.node("a")
    slow_bus = cluster.bus("slow")
    await slow_bus.start(slow)
    c = await cluster.node("c")

    for n in range(1, 101):  # publishing never waits, here for a slow node
        a.bus.publish(note(str(n)))
    assert len(await c.seen.wait_for(100)) == 100
    assert slow_seen.events == []

    release.set()
    events = await slow_seen.wait_for(100)
    assert numbered(events) == list(range(1, 101))


EVERY_KIND: list[BusEvent] = [
    Deliver(frame=b"\x00\xff binary \x93", room="lobby", seq=7, changes_at=3),
    Deliver(frame=b"{}", user="alice"),
    Deliver(frame=b"{}", room="lobby"),
    Deliver(frame=b"to everyone"),
    ChangesAt(
        head=4,
        changes=[
            Change(pos=3, kind="left", user="Bob", room="lobby", actor="Ada", how="kicked"),
            Change(pos=4, kind="ended", user="Dave", how="revoked", keep="ab12", ts=17),
        ],
    ),
    PresenceChanged(user="frank", online=True),
    PresenceChanged(user="frank", online=False),
]


async def test_every_event_kind_round_trips(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")

    for event in EVERY_KIND:
        a.bus.publish(event)

    received = await b.seen.wait_for(len(EVERY_KIND))
    for sent, got in zip(EVERY_KIND, received, strict=True):
        assert type(got) is type(sent)
        assert got == msgspec.structs.replace(sent, origin="a")


#: Redis nodes that refresh their view of the others' presence often. Presence written
#: with `set_online` alone (no presence event, as these tests do) is seen by the other
#: nodes at their next refresh.
QUICK = {"heartbeat": 0.2, "node_ttl": 1.0}


async def test_online_users_is_the_union_of_every_live_node(cluster: Cluster) -> None:
    a = await cluster.node("a", **QUICK)
    b = await cluster.node("b", **QUICK)

    a.bus.set_online("u1", True)
    a.bus.set_online("u2", True)
    b.bus.set_online("u2", True)
    b.bus.set_online("u3", True)

    await online_soon(a.bus, {"u1", "u2", "u3"})
    await online_soon(b.bus, {"u1", "u2", "u3"})

    a.bus.set_online("u2", False)  # still on b
    b.bus.set_online("u3", False)
    b.bus.set_online("u3", False)  # twice is harmless
    await online_soon(a.bus, {"u1", "u2"})
    await online_soon(b.bus, {"u1", "u2"})


async def test_presence_set_before_start_counts_once_started(cluster: Cluster) -> None:
    a = await cluster.node("a", **QUICK)
    b = cluster.bus("b", **QUICK)
    b.set_online("early", True)
    await b.start(Recorder())

    await online_soon(a.bus, {"early"})


async def test_close_removes_presence_and_announces_users_left_offline(cluster: Cluster) -> None:
    a = await cluster.node("a", **QUICK)
    b = await cluster.node("b", **QUICK)
    c = await cluster.node("c", **QUICK)
    a.bus.set_online("only-a", True)
    a.bus.set_online("both", True)
    b.bus.set_online("both", True)

    await a.bus.close()
    c.bus.publish(marker("c"))

    expected = [PresenceChanged(origin="a", user="only-a", online=False)]
    assert await b.seen.wait_for(2) == [*expected, note("marker-c", origin="c")]
    assert await c.seen.wait_for(1) == expected
    await online_soon(b.bus, {"both"})
    await online_soon(c.bus, {"both"})


async def test_a_closed_bus_neither_delivers_nor_publishes(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    await b.bus.close()
    await b.bus.close()  # twice is harmless

    b.bus.publish(note("ghost"))
    b.bus.set_online("ghost", True)
    a.bus.publish(note("unheard"))
    other = await cluster.node("c")
    other.bus.publish(marker("c"))

    assert await a.seen.wait_for(1) == [note("marker-c", origin="c")]
    assert b.seen.events == []
    await online_soon(a.bus, set())


async def test_a_bus_starts_only_once(cluster: Cluster) -> None:
    a = await cluster.node("a")
    with pytest.raises(RuntimeError):
        await a.bus.start(Recorder())
