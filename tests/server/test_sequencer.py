"""Per-room sequencing, tested without a store or a server: the sequencer takes its
store read as a function, and here that function reads a list of messages kept by
the test (test_gap_fill.py has the real server and store)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from chinwag.protocol.codec import encode
from chinwag.protocol.events import MessageEvent
from chinwag.protocol.types import Message
from chinwag.server.metrics import Metrics
from chinwag.server.sequencer import Sequencer


def msg(seq: int, room: str = "r") -> Message:
    return Message(room=room, seq=seq, sender="alice", body=f"m{seq}", ts=seq)


def frame(seq: int, room: str = "r") -> bytes:
    return encode(MessageEvent(message=msg(seq, room)))


def seqs(delivered: list[tuple[str, bytes]], room: str = "r") -> list[int]:
    return [json.loads(payload)["message"]["seq"] for r, payload in delivered if r == room]


class Room:
    """The messages "in the store", and what the sequencer delivered and read."""

    def __init__(self, upto: int = 0) -> None:
        self.stored = [msg(seq) for seq in range(1, upto + 1)]
        self.delivered: list[tuple[str, bytes]] = []
        self.reads: list[tuple[int, int]] = []
        self.failing = False

    async def fetch(self, room: str, since: int, limit: int) -> list[Message]:
        self.reads.append((since, limit))
        await asyncio.sleep(0)
        if self.failing:
            raise OSError("the store is down")
        return [m for m in self.stored if m.room == room and m.seq > since][:limit]

    def deliver(self, room: str, payload: bytes) -> None:
        self.delivered.append((room, payload))


async def settle(sequencer: Sequencer) -> None:
    """Let the gap fills run to their end (bounded)."""
    for _ in range(1000):
        if not sequencer.tasks():
            return
        await asyncio.sleep(0)
    raise AssertionError("gap fills still running")


async def test_in_order_messages_go_out_at_once_and_duplicates_are_dropped() -> None:
    room = Room()
    sequencer = Sequencer(room.fetch, room.deliver, Metrics())
    for seq in (7, 8, 8, 9, 3):  # the first one seen here sets where the room is
        sequencer.message("r", seq, frame(seq))
    assert seqs(room.delivered) == [7, 8, 9]
    assert sequencer.last == {"r": 9}
    assert not room.reads and not sequencer.tasks()


async def test_a_gap_is_filled_from_the_store_in_order() -> None:
    room = Room(upto=6)
    sequencer = Sequencer(room.fetch, room.deliver, Metrics())
    sequencer.message("r", 1, frame(1))
    live = {seq: frame(seq) for seq in (4, 6, 5)}
    for seq, payload in live.items():  # 2 and 3 were never announced here
        sequencer.message("r", seq, payload)
    assert seqs(room.delivered) == [1]  # held while the gap is read
    await settle(sequencer)
    assert seqs(room.delivered) == [1, 2, 3, 4, 5, 6]
    # The frames that came live go out as they came (not encoded again).
    assert all(room.delivered[seq - 1][1] is live[seq] for seq in (4, 5, 6))
    assert sequencer.last["r"] == 6
    sequencer.message("r", 7, frame(7))
    assert seqs(room.delivered)[-1] == 7


async def test_rooms_are_independent_and_forgotten_rooms_start_afresh() -> None:
    room = Room()
    sequencer = Sequencer(room.fetch, room.deliver, Metrics())
    sequencer.message("r", 1, frame(1))
    sequencer.message("s", 5, frame(5, "s"))
    sequencer.message("s", 6, frame(6, "s"))
    assert seqs(room.delivered) == [1] and seqs(room.delivered, "s") == [5, 6]
    sequencer.forget("s")
    assert "s" not in sequencer.last
    sequencer.message("s", 9, frame(9, "s"))  # no gap: nobody here saw 7 and 8
    assert seqs(room.delivered, "s") == [5, 6, 9]
    assert not room.reads


class Sleeps:
    """The sequencer's sleep between failed reads: records each wait, and lets the
    store work again after `failures` of them."""

    def __init__(self, room: Room, failures: int) -> None:
        self.room = room
        self.failures = failures
        self.waits: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.waits.append(delay)
        if len(self.waits) >= self.failures:
            self.room.failing = False
        await asyncio.sleep(0)


async def test_failed_reads_back_off_with_one_warning_per_streak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    room = Room(upto=3)
    room.failing = True
    sleeps = Sleeps(room, failures=8)
    metrics = Metrics()
    sequencer = Sequencer(room.fetch, room.deliver, metrics, sleep=sleeps)
    sequencer.message("r", 1, frame(1))
    with caplog.at_level(logging.WARNING, logger="chinwag.hub"):
        sequencer.message("r", 3, frame(3))
        await settle(sequencer)
    assert sleeps.waits == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert seqs(room.delivered) == [1, 2, 3]
    assert len(room.reads) == 9
    assert metrics.gap_fill_reads._value.get() == 9
    assert metrics.gap_fill_failures._value.get() == 8
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings  # the streak began; the store answers again
    assert "cannot read" in warnings[0] and "OSError: the store is down" in warnings[0]
    assert "after 8 failed reads" in warnings[1]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback per try


async def test_a_room_holds_at_most_its_cap_then_reads_the_store_in_pages() -> None:
    room = Room(upto=36)
    metrics = Metrics()
    sequencer = Sequencer(room.fetch, room.deliver, metrics, page=20, max_held=10)
    sequencer.message("r", 1, frame(1))
    for seq in range(3, 37):  # 2 is missing; 34 frames come while it is read
        sequencer.message("r", seq, frame(seq))
        frames, size = sequencer.held("r")
        assert frames <= 10 and size <= 10 * len(frame(36))
        assert sequencer.held_total == size
    assert metrics.gap_resyncs._value.get() == 1
    assert sequencer.held("r") == (0, 0)  # dropped: only the highest seq is remembered
    await settle(sequencer)
    assert seqs(room.delivered) == list(range(1, 37))  # all of them, in order, once
    assert room.reads == [(1, 20), (21, 15)]  # in pages
    assert sequencer.held_total == 0
    assert metrics.registry.get_sample_value("chinwag_gap_held_bytes") == 0


async def test_the_byte_caps_count_too() -> None:
    room = Room(upto=10)
    metrics = Metrics()
    one = len(frame(10))
    sequencer = Sequencer(room.fetch, room.deliver, metrics, max_held_bytes=3 * one)
    sequencer.message("r", 1, frame(1))
    for seq in range(3, 11):
        sequencer.message("r", seq, frame(seq))
        assert sequencer.held("r")[1] <= 3 * one
    assert metrics.gap_resyncs._value.get() >= 1
    await settle(sequencer)
    assert seqs(room.delivered) == list(range(1, 11))


async def test_a_backlog_of_many_pages_delivers_only_the_newest() -> None:
    room = Room(upto=100)
    metrics = Metrics()
    sequencer = Sequencer(room.fetch, room.deliver, metrics, page=20)
    sequencer.message("r", 1, frame(1))
    sequencer.message("r", 100, frame(100))
    await settle(sequencer)
    # Clients see the jump from 1 to 81 and `sync` the rest themselves.
    assert seqs(room.delivered) == [1, *range(81, 101)]
    assert room.reads == [(80, 20)]
    assert metrics.gap_skips._value.get() == 1
    assert sequencer.last["r"] == 100
    sequencer.message("r", 101, frame(101))
    assert seqs(room.delivered)[-1] == 101


async def test_seqs_the_store_does_not_have_are_passed_over() -> None:
    room = Room(upto=1)  # 2 and 3 were announced nowhere and stored nowhere
    sequencer = Sequencer(room.fetch, room.deliver, Metrics())
    sequencer.message("r", 1, frame(1))
    sequencer.message("r", 4, frame(4))
    sequencer.message("r", 5, frame(5))
    await settle(sequencer)
    assert seqs(room.delivered) == [1, 4, 5]
    assert len(room.reads) == 1  # no loop on what is not there


async def test_forgetting_a_room_stops_its_gap_fill_and_frees_what_it_held() -> None:
    room = Room(upto=5)
    room.failing = True
    sequencer = Sequencer(room.fetch, room.deliver, Metrics(), sleep=Sleeps(room, 1000))
    sequencer.message("r", 1, frame(1))
    sequencer.message("r", 5, frame(5))
    for _ in range(10):
        await asyncio.sleep(0)
    assert room.reads and sequencer.held_total > 0
    task = sequencer.tasks()[0]
    sequencer.forget("r")
    await asyncio.wait([task])
    assert task.cancelled()
    assert not sequencer.gaps and sequencer.held_total == 0 and "r" not in sequencer.last
    room.failing = False
    sequencer.message("r", 7, frame(7))  # followed afresh
    assert seqs(room.delivered) == [1, 7]
