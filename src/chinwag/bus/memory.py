"""The in-process bus: one `MemoryBroker`, one `MemoryBus` per node.

A single-node server uses one bus on its own broker; `publish` then returns at once.
Several buses on one broker behave as several nodes in one process (tests of a cluster
without Redis): each event is encoded once and decoded afresh for every other node, so
nodes never share a mutable event, and each node's handler runs in its own task, in
publish order, one event at a time. A slow handler delays only its own node.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from chinwag.bus._tasks import cancel_and_wait
from chinwag.bus.base import (
    AnyBusEvent,
    BusEvent,
    Handler,
    PresenceChanged,
    decode_event,
    encode_event,
)

log = logging.getLogger(__name__)


class MemoryBroker:
    """The hub joining the `MemoryBus`es of one process."""

    def __init__(self) -> None:
        self._buses: dict[str, MemoryBus] = {}

    def _join(self, bus: MemoryBus) -> None:
        if bus.node_id in self._buses:
            raise ValueError(f"node id {bus.node_id!r} is already on this broker")
        self._buses[bus.node_id] = bus

    def _leave(self, bus: MemoryBus) -> None:
        if self._buses.get(bus.node_id) is bus:
            del self._buses[bus.node_id]

    def _peers(self, bus: MemoryBus) -> list[MemoryBus]:
        return [other for other in self._buses.values() if other is not bus]

    def _send(self, sender: MemoryBus, event: BusEvent) -> None:
        """Queue `event` for every started bus but `sender`, stamped with its node id."""
        data = encode_event(msgspec.structs.replace(event, origin=sender.node_id))
        for other in self._peers(sender):
            other._receive(data)


class MemoryBus:
    """One node's end of a `MemoryBroker`."""

    def __init__(self, broker: MemoryBroker, node_id: str) -> None:
        self.node_id = node_id
        self._broker = broker
        self._online: set[str] = set()
        self._queue: asyncio.Queue[AnyBusEvent] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        broker._join(self)

    async def start(self, handler: Handler) -> None:
        if self._closed:
            raise RuntimeError("bus is closed")
        if self._task is not None:
            raise RuntimeError("bus already started")
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(
            self._dispatch(self._queue, handler), name=f"chinwag-bus-{self.node_id}"
        )

    def publish(self, event: BusEvent) -> None:
        # The common case, one node alone on its broker, costs one dict length check.
        if len(self._broker._buses) > 1 and not self._closed:
            self._broker._send(self, event)

    def set_online(self, user: str, online: bool) -> None:
        if self._closed:
            return
        if online:
            self._online.add(user)
        else:
            self._online.discard(user)

    def online_users(self) -> set[str]:
        users = set(self._online)
        for other in self._broker._peers(self):
            users |= other._online
        return users

    async def close(self) -> None:
        """Leave the broker. Users still marked online here, and on no other node, are
        announced offline to the other nodes, as if each had disconnected."""
        if self._closed:
            return
        self._closed = True
        self._broker._leave(self)
        elsewhere: set[str] = set()
        for other in self._broker._peers(self):
            elsewhere |= other._online
        for user in sorted(self._online - elsewhere):
            self._broker._send(self, PresenceChanged(user=user, online=False))
        self._online.clear()
        await cancel_and_wait(self._task)
        self._task = None

    def _receive(self, data: bytes) -> None:
        if self._queue is not None:
            self._queue.put_nowait(decode_event(data))

    async def _dispatch(self, queue: asyncio.Queue[AnyBusEvent], handler: Handler) -> None:
        while True:
            event = await queue.get()
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "bus handler of node %s failed on %s event from %s",
                    self.node_id,
                    type(event).__name__,
                    event.origin,
                )
