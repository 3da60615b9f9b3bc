"""The `EventBus` contract, on every backend (`cluster` runs each test on memory and Redis)."""

from __future__ import annotations

import asyncio
import logging

import msgspec
import pytest

from chinwag.bus.base import (
    AnyBusEvent,
    BusEvent,
    Deliver,
    Disconnect,
    EventBus,
    MembershipChanged,
    PresenceChanged,
    UserChanged,
)
from tests.bus.conftest import Cluster, Recorder


def marker(text: str) -> UserChanged:
    """An event a test publishes last, to know that every earlier one has arrived."""
    return UserChanged(user=f"marker-{text}")


async def test_publish_reaches_every_other_node_and_not_its_publisher(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    c = await cluster.node("c")

    await a.bus.publish(UserChanged(user="alice"))
    await b.bus.publish(marker("b"))

    assert await b.seen.wait_for(1) == [UserChanged(origin="a", user="alice")]
    assert await c.seen.wait_for(2) == [
        UserChanged(origin="a", user="alice"),
        UserChanged(origin="b", user="marker-b"),
    ]
    # `a` hears b's marker, published after its own event, and nothing of its own.
    await a.seen.wait_for(1)
    assert a.seen.events == [UserChanged(origin="b", user="marker-b")]


async def test_publish_stamps_a_copy_and_leaves_the_event_alone(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    event = UserChanged(user="alice")

    await a.bus.publish(event)

    assert await b.seen.wait_for(1) == [UserChanged(origin="a", user="alice")]
    assert event.origin == ""


async def test_500_events_arrive_in_publish_order(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")

    for seq in range(1, 501):
        await a.bus.publish(Deliver(frame=b"m%d" % seq, room="lobby", seq=seq))

    events = await b.seen.wait_for(500)
    assert [e.seq for e in events if isinstance(e, Deliver)] == list(range(1, 501))
    assert {e.origin for e in events} == {"a"}


async def test_each_publishers_order_holds_when_publishers_interleave(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    c = await cluster.node("c")

    async def send(bus: EventBus) -> None:
        for seq in range(1, 201):
            await bus.publish(Deliver(frame=b"", room="r", seq=seq))

    await asyncio.gather(send(a.bus), send(c.bus))

    events = await b.seen.wait_for(400)
    for origin in ("a", "c"):
        seqs = [e.seq for e in events if isinstance(e, Deliver) and e.origin == origin]
        assert seqs == list(range(1, 201)), origin


async def test_a_failing_handler_is_logged_and_delivery_goes_on(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Recorder()

    async def handler(event: AnyBusEvent) -> None:
        await seen(event)
        if isinstance(event, UserChanged) and event.user == "boom":
            raise RuntimeError("handler bug")

    a = await cluster.node("a")
    b = cluster.bus("b")
    await b.start(handler)

    with caplog.at_level(logging.ERROR, logger="chinwag.bus"):
        await a.bus.publish(UserChanged(user="boom"))
        await a.bus.publish(UserChanged(user="after"))
        events = await seen.wait_for(2)

    assert [e.user for e in events if isinstance(e, UserChanged)] == ["boom", "after"]
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

    async with asyncio.timeout(2):
        for seq in range(1, 101):
            await a.bus.publish(Deliver(frame=b"", room="r", seq=seq))
    assert len(await c.seen.wait_for(100)) == 100
    assert slow_seen.events == []

    release.set()
    events = await slow_seen.wait_for(100)
    assert [e.seq for e in events if isinstance(e, Deliver)] == list(range(1, 101))


EVERY_KIND: list[BusEvent] = [
    Deliver(frame=b"\x00\xff binary \x93", room="lobby", seq=7),
    Deliver(frame=b"{}", user="alice"),
    Deliver(frame=b"to everyone"),
    MembershipChanged(room="lobby", user="bob", joined=True),
    MembershipChanged(room="lobby", user="bob", joined=False),
    UserChanged(user="carol"),
    Disconnect(user="dave", code=4003, reason="banned", frame=b"\x81\x00", keep="conn-1"),
    Disconnect(user="erin", code=1001, reason="going away"),
    PresenceChanged(user="frank", online=True),
    PresenceChanged(user="frank", online=False),
]


async def test_every_event_kind_round_trips(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")

    for event in EVERY_KIND:
        await a.bus.publish(event)

    received = await b.seen.wait_for(len(EVERY_KIND))
    for sent, got in zip(EVERY_KIND, received, strict=True):
        assert type(got) is type(sent)
        assert got == msgspec.structs.replace(sent, origin="a")


async def test_online_users_is_the_union_of_every_live_node(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")

    await a.bus.set_online("u1", True)
    await a.bus.set_online("u2", True)
    await b.bus.set_online("u2", True)
    await b.bus.set_online("u3", True)

    assert await a.bus.online_users() == {"u1", "u2", "u3"}
    assert await b.bus.online_users() == {"u1", "u2", "u3"}

    await a.bus.set_online("u2", False)  # still on b
    await b.bus.set_online("u3", False)
    await b.bus.set_online("u3", False)  # twice is harmless
    assert await a.bus.online_users() == {"u1", "u2"}
    assert await b.bus.online_users() == {"u1", "u2"}


async def test_presence_set_before_start_counts_once_started(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = cluster.bus("b")
    await b.set_online("early", True)
    await b.start(Recorder())

    assert await a.bus.online_users() == {"early"}


async def test_close_removes_presence_and_announces_users_left_offline(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    c = await cluster.node("c")
    await a.bus.set_online("only-a", True)
    await a.bus.set_online("both", True)
    await b.bus.set_online("both", True)

    await a.bus.close()
    await c.bus.publish(marker("c"))

    expected = [PresenceChanged(origin="a", user="only-a", online=False)]
    assert await b.seen.wait_for(2) == [*expected, UserChanged(origin="c", user="marker-c")]
    assert await c.seen.wait_for(1) == expected
    assert await b.bus.online_users() == {"both"}
    assert await c.bus.online_users() == {"both"}


async def test_a_closed_bus_neither_delivers_nor_publishes(cluster: Cluster) -> None:
    a = await cluster.node("a")
    b = await cluster.node("b")
    await b.bus.close()
    await b.bus.close()  # twice is harmless

    await b.bus.publish(UserChanged(user="ghost"))
    await b.bus.set_online("ghost", True)
    await a.bus.publish(UserChanged(user="unheard"))
    other = await cluster.node("c")
    await other.bus.publish(marker("c"))

    assert await a.seen.wait_for(1) == [UserChanged(origin="c", user="marker-c")]
    assert b.seen.events == []
    assert await a.bus.online_users() == set()


async def test_a_bus_starts_only_once(cluster: Cluster) -> None:
    a = await cluster.node("a")
    with pytest.raises(RuntimeError):
        await a.bus.start(Recorder())
