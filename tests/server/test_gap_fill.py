"""Gap fills against a store that really fails: a real server on a SQLite file, a
message committed with no doorbell (so the next doorbell shows a gap), then the
messages table taken away by another sqlite3 connection while doorbells keep coming.
The node must back off (a few reads, one warning), hold a bounded amount, keep serving
the other rooms, and once the table is back deliver everything in order, once: all of
it, or, past the cap, the newest page with a seq jump that clients fill with `sync`."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from chinwag.protocol.codec import encode
from chinwag.protocol.events import MessageEvent
from chinwag.protocol.types import Message
from chinwag.server.context import now_ms
from chinwag.server.sequencer import MAX_HELD, MAX_HELD_BYTES, PAGE
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, register


def database(server: RunningServer) -> Path:
    return server.ctx.config.data_dir / "chinwag.db"


def alter(server: RunningServer, statement: str) -> None:
    with sqlite3.connect(database(server), isolation_level=None) as db:
        db.execute(statement)


async def commit_silently(server: RunningServer, room: str, count: int, tag: str) -> list[Message]:
    """Messages committed straight into the store: no doorbell rings for them."""
    store = server.ctx.store
    stored: list[Message] = []
    for start in range(0, count, 200):  # a batch at a time: the store commits them together
        batch = await asyncio.gather(
            *(
                store.append_message(
                    room, "alice", f"{tag} {i}", client_msg_id=f"{tag}{i}", now=now_ms()
                )
                for i in range(start, min(count, start + 200))
            )
        )
        stored.extend(message for message, _ in batch)
    return sorted(stored, key=lambda m: m.seq)


def ring(server: RunningServer, messages: list[Message]) -> None:
    """The doorbells of `messages`, as the bus brings them to this node."""
    for message in messages:
        server.ctx.hub.room_message(
            message.room, message.seq, encode(MessageEvent(message=message))
        )


def seqs(client: WsClient, room: str) -> list[int]:
    return [m["seq"] for m in client.messages(room)]


async def until_seq(client: WsClient, room: str, seq: int) -> None:
    """Wait (at most 20 s: the store is retried within 5 s) for `seq` to arrive."""
    for _ in range(400):
        if seq in seqs(client, room):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"seq {seq} of {room} never came")


async def sync_from(client: WsClient, room: str, since: int) -> list[int]:
    """What a client does on a seq jump: `sync` from the last seq it holds, again while
    the server says there is more."""
    got: list[int] = []
    for _ in range(100):
        reply = await client.ok("sync", since={room: since}, limit=PAGE)
        batch = [m["seq"] for m in reply["messages"] if m["room"] == room]
        got.extend(batch)
        if room not in reply["more"]:
            return got
        since = batch[-1]
    raise AssertionError("sync never finished")


class Outage:
    """alice and bob in general, which this node has delivered up to seq `last`; then
    `doorbells` + 1 messages committed with no doorbell (`stored`), and one of bob's in
    `side`, a room of his alone (`side`); then the messages table taken away, and the
    doorbells of all the general ones but the first rung: a gap the store cannot fill."""

    alice: WsClient
    bob: WsClient
    last: int
    stored: list[Message]
    side: Message

    @classmethod
    async def start(cls, server: RunningServer, doorbells: int) -> Outage:
        outage = cls()
        outage.alice = await register(server.url, "alice")
        outage.bob = bob = await register(server.url, "bob")
        side = (await bob.ok("create_room", name="side"))["room"]["id"]
        await bob.message(side)  # its first message (a system line) sets where it is
        await outage.alice.ok("send", room="general", body="one", client_msg_id="one")
        for client in (outage.alice, bob):
            await client.message("general", "one")
            client.events.clear()
        outage.last = last = server.ctx.hub.room_seq["general"]
        outage.stored = await commit_silently(server, "general", doorbells + 1, "later")
        assert [m.seq for m in outage.stored] == list(range(last + 1, last + doorbells + 2))
        (outage.side,) = await commit_silently(server, side, 1, "side note")
        alter(server, "ALTER TABLE messages RENAME TO messages_away")
        ring(server, outage.stored[1:])  # the first of them never rings: a gap
        return outage

    @property
    def top(self) -> int:
        return self.stored[-1].seq

    async def close(self) -> None:
        await self.alice.close()
        await self.bob.close()


async def test_a_failing_store_is_retried_with_backoff_and_a_bounded_hold(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start_server()
    hub, metrics = server.ctx.hub, server.ctx.metrics
    with caplog.at_level(logging.WARNING, logger="chinwag"):
        outage = await Outage.start(server, doorbells=3000)  # far past the cap
        try:
            # The other rooms are served meanwhile: a doorbell of `side` goes out at once.
            ring(server, [outage.side])
            note = await outage.bob.message(outage.side.room, outage.side.body)
            assert note["seq"] == outage.side.seq
            await asyncio.sleep(2.0)
            assert (await outage.alice.request("ping"))["type"] == "ok"
            # One warning for the whole streak, no traceback per try.
            tracebacks = [r for r in caplog.records if r.exc_info]
            assert not tracebacks, f"{len(tracebacks)} tracebacks logged"
            failures = [r for r in caplog.records if "cannot read" in r.getMessage()]
            assert len(failures) == 1, caplog.text[-3000:]
            # A few reads in two seconds (backoff 0.1, 0.2, 0.4, 0.8 ... s), not thousands.
            reads = metrics.gap_fill_reads._value.get()
            assert 2 <= reads <= 8, reads
            assert metrics.gap_fill_failures._value.get() == reads
            # Past the cap the held frames were dropped: the store has them.
            assert metrics.gap_resyncs._value.get() >= 1
            frames, size = hub.sequencer.held("general")
            assert frames <= MAX_HELD and size <= MAX_HELD_BYTES
            assert seqs(outage.alice, "general") == []  # nothing past the gap yet
        finally:
            alter(server, "ALTER TABLE messages_away RENAME TO messages")
    last, top = outage.last, outage.top
    for client in (outage.alice, outage.bob):
        await until_seq(client, "general", top)
        # The newest page, after a jump (the backlog is longer than two pages) ...
        assert seqs(client, "general") == list(range(top - PAGE + 1, top + 1))
        # ... which the client fills with sync: every message, in order, once.
        assert await sync_from(client, "general", last) == list(range(last + 1, top + 1))
    assert metrics.gap_skips._value.get() == 1
    assert hub.sequencer.held("general") == (0, 0) and hub.sequencer.held_total == 0
    assert hub.room_seq["general"] == top
    await outage.alice.ok("send", room="general", body="after", client_msg_id="after")
    assert (await outage.bob.message("general", "after"))["seq"] == top + 1
    await outage.close()


async def test_a_short_outage_delivers_every_message_in_order_once(
    start_server: StartServer,
) -> None:
    server = await start_server()
    metrics = server.ctx.metrics
    outage = await Outage.start(server, doorbells=50)  # under the cap
    try:
        await asyncio.sleep(0.5)
        assert metrics.gap_fill_failures._value.get() >= 1
        assert server.ctx.hub.sequencer.held("general")[0] == 50  # the frames wait here
    finally:
        alter(server, "ALTER TABLE messages_away RENAME TO messages")
    for client in (outage.alice, outage.bob):
        await until_seq(client, "general", outage.top)
        assert seqs(client, "general") == list(range(outage.last + 1, outage.top + 1))
        bodies = [m["body"] for m in client.messages("general")]
        assert bodies == [m.body for m in outage.stored]
    assert metrics.gap_resyncs._value.get() == 0 and metrics.gap_skips._value.get() == 0
    await outage.close()
