"""Events waiting to be published: bounded, coalesced, in order.

A bus publishes from its own task, never from a request's: a send is acknowledged once
it is committed, whatever the bus is doing. While the link to the other nodes is slow
or down, events wait here, and what is only a doorbell is coalesced instead of piling
up: the newest `Deliver` of a room's messages stands for the earlier ones (a node that
sees the seq jump reads the missing messages from the store), and one `ChangesAt`
stands for every earlier one (a node reads the entries it lacks from the store). A
coalesced event takes the place of the newest one it merges, never an earlier place, so
that nothing overtakes an event published before it. Past `limit` events, the oldest
that is not a doorbell is dropped (typing, presence: nothing a reader must have), else
the oldest of all.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Hashable

import msgspec

from chinwag.bus.base import BusEvent, ChangesAt, Deliver

#: The most change entries one coalesced `ChangesAt` carries; beyond, only its head.
MAX_CARRIED = 200


def coalescing_key(event: BusEvent, serial: int) -> Hashable:
    """Events with the same key merge; every other event is a key of its own."""
    if isinstance(event, Deliver) and event.seq and event.room is not None:
        return ("room", event.room)
    if isinstance(event, ChangesAt):
        return ("changes",)
    return serial


def merge(older: BusEvent, newer: BusEvent) -> BusEvent:
    """One event standing for both (which share a coalescing key)."""
    if isinstance(older, Deliver) and isinstance(newer, Deliver):
        if older.seq > newer.seq:
            older, newer = newer, older
        if older.changes_at > newer.changes_at:
            return msgspec.structs.replace(newer, changes_at=older.changes_at)
        return newer
    if isinstance(older, ChangesAt) and isinstance(newer, ChangesAt):
        carried = [*older.changes, *newer.changes]
        head = max(older.head, newer.head)
        if len(carried) > MAX_CARRIED or (older.head and not older.changes):
            carried = []  # only the head from now on: the receivers read the store
        return ChangesAt(head=head, changes=carried, origin=newer.origin)
    raise TypeError(f"cannot merge {type(older).__name__} and {type(newer).__name__}")


class PendingEvents:
    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._events: OrderedDict[Hashable, BusEvent] = OrderedDict()
        self._serials = itertools.count()
        #: Events dropped because more than `limit` were waiting.
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._events)

    def put(self, event: BusEvent) -> None:
        key = coalescing_key(event, next(self._serials))
        older = self._events.pop(key, None)
        self._events[key] = event if older is None else merge(older, event)
        while len(self._events) > self.limit:
            self._drop_one()

    def take(self, most: int) -> list[tuple[Hashable, BusEvent]]:
        """The oldest `most` events, removed; give them back with `restore` if they could
        not be published."""
        taken: list[tuple[Hashable, BusEvent]] = []
        while self._events and len(taken) < most:
            taken.append(self._events.popitem(last=False))
        return taken

    def restore(self, taken: list[tuple[Hashable, BusEvent]]) -> None:
        """Put back what `take` gave, ahead of what came since. An event that has been
        coalesced meanwhile is merged into its newer version, in the newer one's place."""
        since = list(self._events.items())
        self._events.clear()
        for key, event in taken:
            self._events[key] = event
        for key, event in since:
            older = self._events.pop(key, None)
            self._events[key] = event if older is None else merge(older, event)
        while len(self._events) > self.limit:
            self._drop_one()

    def _drop_one(self) -> None:
        self.dropped += 1
        for key in self._events:
            if not isinstance(key, tuple):  # not a doorbell
                del self._events[key]
                return
        self._events.popitem(last=False)
