"""The event bus between server nodes: a doorbell, never the only copy of a message.

A node applies each event to its own connections first, then publishes it so that other
nodes do the same. Messages are committed to the store before their `Deliver` is
published; a node that sees a gap in a room's `seq` reads what it missed from the store.
Memberships, bans, kicks and ended sessions are entries of the change stream in the
store; `ChangesAt` only rings the bell (each node also polls the stream). Events travel
as msgpack (`encode_event` / `decode_event`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import msgspec

from chinwag.core.models import Change


class BusEvent(msgspec.Struct, tag_field="kind", kw_only=True, array_like=False):
    #: The node that published the event; a bus never hands a node its own events.
    origin: str = ""


class Deliver(BusEvent, tag="deliver", kw_only=True):
    """Send `frame` (an encoded protocol event) to the local connections of `user`, else
    of members of `room`, else to everyone. `seq` > 0 marks a room message with that seq,
    which a node delivers only once it has applied the change stream up to `changes_at`
    (so that nobody removed from the room before the message was posted receives it)."""

    frame: bytes
    room: str | None = None
    user: str | None = None
    seq: int = 0
    changes_at: int = 0


class ChangesAt(BusEvent, tag="changes", kw_only=True):
    """The change stream reached `head`; `changes` are its newest entries (possibly not
    all of them: a node reads what it lacks from the store)."""

    head: int
    changes: list[Change] = msgspec.field(default_factory=list)


class PresenceChanged(BusEvent, tag="presence", kw_only=True):
    """`user` came online, or went offline, on the node `origin`."""

    user: str
    online: bool


class Resync(BusEvent, tag="resync", kw_only=True):
    """Never published: a bus hands this to its own node's handler after its link to the
    other nodes was broken and restored, since events may have been missed meanwhile.
    The node re-reads the change stream and its rooms' latest messages from the store."""


AnyBusEvent = Deliver | ChangesAt | PresenceChanged | Resync

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[AnyBusEvent] = msgspec.msgpack.Decoder(AnyBusEvent)


def encode_event(event: BusEvent) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> AnyBusEvent:
    return _decoder.decode(data)


Handler = Callable[[AnyBusEvent], Awaitable[None]]


class EventBus(Protocol):
    """Connects the nodes of one chinwag deployment. Nothing here ever waits for the
    other nodes: a reply never waits on the bus."""

    node_id: str

    async def start(self, handler: Handler) -> None:
        """Begin delivering other nodes' events to `handler`, one at a time, in the order
        each node published them."""
        ...

    def publish(self, event: BusEvent) -> None:
        """Queue `event` (stamped with this node's id) for every other node, and return at
        once. What cannot be sent yet waits, bounded and coalesced (see `pending`)."""
        ...

    def set_online(self, user: str, online: bool) -> None:
        """Record whether `user` has a connection on this node (written out by itself)."""
        ...

    def online_users(self) -> set[str]:
        """Usernames with a connection on any live node (this one included), as this node
        last heard: never waits."""
        ...

    async def close(self) -> None:
        """Stop delivering and forget this node's presence."""
        ...
