"""The event bus between server nodes: a doorbell, never the only copy of a message.

A node applies each event to its own connections first, then publishes it so that other
nodes do the same. Messages are committed to the store before their `Deliver` is
published; a node that sees a gap in a room's `seq` reads what it missed from the store.
Events travel as msgpack (`encode_event` / `decode_event`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import msgspec


class BusEvent(msgspec.Struct, tag_field="kind", kw_only=True, array_like=False):
    #: The node that published the event; a bus never hands a node its own events.
    origin: str = ""


class Deliver(BusEvent, tag="deliver", kw_only=True):
    """Send `frame` (an encoded protocol event) to the local connections of `user`, else
    of members of `room`, else to everyone. `seq` > 0 marks a room message with that seq."""

    frame: bytes
    room: str | None = None
    user: str | None = None
    seq: int = 0


class MembershipChanged(BusEvent, tag="membership", kw_only=True):
    """`user` joined (or left) `room`: subscribe (or unsubscribe) their connections."""

    room: str
    user: str
    joined: bool


class UserChanged(BusEvent, tag="user_changed", kw_only=True):
    """The stored record of `user` changed (mute, admin, profile): reload it."""

    user: str


class Disconnect(BusEvent, tag="disconnect", kw_only=True):
    """Close every connection of `user` (but the one with id `keep`) with this close code
    and reason, after sending `frame` if given."""

    user: str
    code: int
    reason: str
    frame: bytes | None = None
    keep: str | None = None


class PresenceChanged(BusEvent, tag="presence", kw_only=True):
    """`user` came online, or went offline, on the node `origin`."""

    user: str
    online: bool


class Resync(BusEvent, tag="resync", kw_only=True):
    """Never published: a bus hands this to its own node's handler after its link to the
    other nodes was broken and restored, since events may have been missed meanwhile.
    The node re-reads what it holds (memberships, users, rooms' latest seqs) from the
    store."""


AnyBusEvent = Deliver | MembershipChanged | UserChanged | Disconnect | PresenceChanged | Resync

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[AnyBusEvent] = msgspec.msgpack.Decoder(AnyBusEvent)


def encode_event(event: BusEvent) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> AnyBusEvent:
    return _decoder.decode(data)


Handler = Callable[[AnyBusEvent], Awaitable[None]]


class EventBus(Protocol):
    """Connects the nodes of one chinwag deployment."""

    node_id: str

    async def start(self, handler: Handler) -> None:
        """Begin delivering other nodes' events to `handler`, one at a time, in the order
        each node published them."""
        ...

    async def publish(self, event: BusEvent) -> None:
        """Hand `event` (stamped with this node's id) to every other node."""
        ...

    async def set_online(self, user: str, online: bool) -> None:
        """Record whether `user` has a connection on this node."""
        ...

    async def online_users(self) -> set[str]:
        """Usernames with a connection on any live node (this one included)."""
        ...

    async def close(self) -> None:
        """Stop delivering and forget this node's presence."""
        ...
