"""Per-room sequencing: each room's messages reach its members here in seq order, once.

The bus is a doorbell ("room R reached seq N", with the message's frame); the store is
the truth. A doorbell one past the last seq delivered here is delivered at once. One
further ahead shows a gap (a doorbell was lost): later frames of that room are held
while the missing messages are read from the store, then everything goes out in order.

A gap fill must not make a failing store worse nor let memory grow without limit:

- A failed read is retried with exponential backoff (BACKOFF_FIRST to BACKOFF_MAX
  seconds), with one warning per streak of failures, not a traceback per try.
- A room holds at most MAX_HELD frames and MAX_HELD_BYTES past its gap (and all rooms
  together MAX_HELD_TOTAL bytes). Past that, the held frames are dropped and only the
  highest seq announced is remembered: the messages are read again from the store.
- The store is read in pages of at most PAGE messages. A backlog of more than
  SKIP_PAGES pages is not replayed: only its newest page is delivered, and clients,
  seeing the seq jump, fetch the rest themselves with `sync`.

The store read is an injected function (`Store.messages_since` in the server), so that
this module is tested without a store or a server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from chinwag.protocol.codec import encode
from chinwag.protocol.events import MessageEvent
from chinwag.protocol.types import Message

if TYPE_CHECKING:
    from chinwag.server.metrics import Metrics

log = logging.getLogger("chinwag.hub")

#: (room, after seq, limit) -> the room's messages after that seq, oldest first.
Fetch = Callable[[str, int, int], Awaitable[list[Message]]]
#: (room, encoded event) -> None: hand one message event to the room's members here.
Deliver = Callable[[str, bytes], None]
Sleep = Callable[[float], Awaitable[None]]

#: Most messages one store read of a gap fill asks for (the clients' `sync` page).
PAGE = 500
#: A backlog longer than this many pages is skipped but for its newest page.
SKIP_PAGES = 2
#: Most frames and bytes one room holds past a gap, and bytes all rooms hold together.
MAX_HELD = 1000
MAX_HELD_BYTES = 1 << 20
MAX_HELD_TOTAL = 32 << 20
#: The wait after a failed read, doubled after each further failure up to the most.
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0


class Gap:
    """A room's state while a gap is being filled."""

    __slots__ = ("dropped", "held", "size", "task", "top")

    def __init__(self) -> None:
        #: seq -> the frame's payload, for frames announced past the gap
        self.held: dict[int, bytes] = {}
        #: bytes in `held`
        self.size = 0
        #: the highest seq announced for the room so far
        self.top = 0
        #: True once held frames were dropped (over the cap): the store has them
        self.dropped = False
        self.task: asyncio.Task[None] | None = None


class Sequencer:
    def __init__(
        self,
        fetch: Fetch,
        deliver: Deliver,
        metrics: Metrics,
        *,
        sleep: Sleep = asyncio.sleep,
        page: int = PAGE,
        max_held: int = MAX_HELD,
        max_held_bytes: int = MAX_HELD_BYTES,
        max_held_total: int = MAX_HELD_TOTAL,
        backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_MAX),
    ) -> None:
        self._fetch = fetch
        self._deliver = deliver
        self._sleep = sleep
        self.metrics = metrics
        self.page = page
        self.max_held = max_held
        self.max_held_bytes = max_held_bytes
        self.max_held_total = max_held_total
        self.backoff = backoff
        #: room id -> the last seq delivered here
        self.last: dict[str, int] = {}
        #: room id -> its gap being filled
        self.gaps: dict[str, Gap] = {}
        #: bytes held past gaps, all rooms together
        self.held_total = 0
        metrics.gap_held_bytes.set_function(lambda: self.held_total)

    def message(self, room: str, seq: int, payload: bytes) -> None:
        """Take the doorbell of `room` at `seq` (with the message's encoded event)."""
        gap = self.gaps.get(room)
        if gap is not None:
            self._hold(room, gap, seq, payload)
            return
        last = self.last.get(room)
        if last is None or seq == last + 1:
            self.last[room] = seq
            self._deliver(room, payload)
        elif seq > last + 1:
            gap = self.gaps[room] = Gap()
            self._hold(room, gap, seq, payload)
            gap.task = asyncio.get_running_loop().create_task(
                self._fill(room, gap), name=f"chinwag-gap-{room}"
            )
        # else: at or below the last seq delivered, a duplicate

    def forget(self, room: str) -> None:
        """Nobody here follows `room` any more: drop its state (and stop its gap fill)."""
        self.last.pop(room, None)
        gap = self.gaps.pop(room, None)
        if gap is not None:
            self._release_held(gap)
            if gap.task is not None:
                gap.task.cancel()

    def held(self, room: str) -> tuple[int, int]:
        """(frames, bytes) that `room` holds past its gap."""
        gap = self.gaps.get(room)
        return (len(gap.held), gap.size) if gap is not None else (0, 0)

    def tasks(self) -> list[asyncio.Task[None]]:
        """The gap fills running."""
        return [gap.task for gap in self.gaps.values() if gap.task is not None]

    # -- holding ---------------------------------------------------------------------------
    def _hold(self, room: str, gap: Gap, seq: int, payload: bytes) -> None:
        if seq <= self.last[room] or seq in gap.held:
            return
        if seq > gap.top:
            gap.top = seq
        if gap.dropped:
            return  # past the cap: the store is read for these
        gap.held[seq] = payload
        gap.size += len(payload)
        self.held_total += len(payload)
        if (
            len(gap.held) > self.max_held
            or gap.size > self.max_held_bytes
            or self.held_total > self.max_held_total
        ):
            log.warning(
                "room %s: %d frames (%d bytes) held past seq %d: dropped, to be read "
                "from the store instead",
                room,
                len(gap.held),
                gap.size,
                self.last[room],
            )
            self.metrics.gap_resyncs.inc()
            self._release_held(gap)
            gap.dropped = True

    def _release_held(self, gap: Gap) -> None:
        self.held_total -= gap.size
        gap.size = 0
        gap.held = {}

    # -- filling ---------------------------------------------------------------------------
    async def _fill(self, room: str, gap: Gap) -> None:
        first, most = self.backoff
        delay = first
        failures = 0
        try:
            while self.gaps.get(room) is gap:
                last = self.last[room]
                behind = gap.top - last
                if behind > self.page * SKIP_PAGES:
                    since, limit = gap.top - self.page, self.page  # the newest page only
                else:
                    since, limit = last, min(behind, self.page)
                self.metrics.gap_fill_reads.inc()
                try:
                    fetched = await self._fetch(room, since, limit)
                except Exception as exc:
                    failures += 1
                    self.metrics.gap_fill_failures.inc()
                    if failures == 1:
                        log.warning(
                            "room %s: cannot read the messages after seq %d (%s: %s); "
                            "retrying with backoff (%.1f s to %.0f s)",
                            room,
                            last,
                            type(exc).__name__,
                            exc,
                            first,
                            most,
                        )
                    await self._sleep(delay)
                    delay = min(delay * 2, most)
                    continue
                if self.gaps.get(room) is not gap:
                    return  # forgotten meanwhile
                if failures:
                    log.warning(
                        "room %s: the store answers again, after %d failed reads", room, failures
                    )
                    failures = 0
                    delay = first
                self._advance(room, gap, since, fetched)
        except Exception:
            log.exception("room %s: gap fill failed; later messages are delivered as they come")
        finally:
            if self.gaps.get(room) is gap:
                del self.gaps[room]
                self._release_held(gap)

    def _advance(self, room: str, gap: Gap, since: int, fetched: list[Message]) -> None:
        """Deliver a page read from the store after `since`, then whatever held frames
        follow it; end the gap once the room is caught up."""
        before = last = self.last[room]
        if since > last:
            log.warning(
                "room %s: %d messages behind; delivering the newest %d (clients sync the rest)",
                room,
                gap.top - last,
                len(fetched),
            )
            self.metrics.gap_skips.inc()
            last = since
        held = gap.held
        for message in fetched:
            seq = message.seq
            if seq <= last:
                continue
            payload = held.get(seq)
            if payload is None:
                payload = encode(MessageEvent(message=message))
            last = seq
            self._deliver(room, payload)
        last = self._deliver_held(room, gap, last)
        if last == before and gap.top > last:
            # The store has nothing right after `last`, though later seqs were announced:
            # it is the truth. Go on from the next frame held (or the last seq announced).
            log.warning(
                "room %s: no message after seq %d in the store, though seq %d was announced",
                room,
                last,
                gap.top,
            )
            last = min(held) - 1 if held else gap.top
            last = self._deliver_held(room, gap, last)
        self.last[room] = last
        for seq in [seq for seq in held if seq <= last]:
            size = len(held.pop(seq))
            gap.size -= size
            self.held_total -= size
        gap.dropped = False
        if last >= gap.top:
            del self.gaps[room]
            self._release_held(gap)

    def _deliver_held(self, room: str, gap: Gap, last: int) -> int:
        held = gap.held
        while last + 1 in held:
            last += 1
            payload = held.pop(last)
            gap.size -= len(payload)
            self.held_total -= len(payload)
            self._deliver(room, payload)
        return last
