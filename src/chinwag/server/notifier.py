"""Tells connections what happened, here and on the other nodes.

Every notification becomes one bus event: it is applied to this node's connections
first, then published so that each other node applies it to its own. Events received
from the bus take the same path, so one node and many behave alike.
"""

from __future__ import annotations

import logging

import msgspec

from chinwag.bus.base import (
    AnyBusEvent,
    Deliver,
    Disconnect,
    EventBus,
    MembershipChanged,
    PresenceChanged,
    Resync,
    UserChanged,
)
from chinwag.core.validation import canonical
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import Event, MessageEvent, Presence
from chinwag.protocol.types import Message
from chinwag.server.hub import Hub
from chinwag.store.base import Store

log = logging.getLogger("chinwag.notifier")

#: Most messages per room a resync delivers; clients sync beyond that themselves.
RESYNC_LIMIT = 500


class Notifier:
    def __init__(self, hub: Hub, bus: EventBus, store: Store) -> None:
        self.hub = hub
        self.bus = bus
        self.store = store

    # -- what the use cases call ---------------------------------------------------------
    async def message(self, message: Message) -> None:
        """Announce a committed message to its room."""
        await self._emit(
            Deliver(frame=encode(MessageEvent(message=message)), room=message.room, seq=message.seq)
        )

    async def to_room(self, room: str, event: Event) -> None:
        await self._emit(Deliver(frame=encode(event), room=room))

    async def to_user(self, username: str, event: Event) -> None:
        await self._emit(Deliver(frame=encode(event), user=canonical(username)))

    async def to_all(self, event: Event) -> None:
        await self._emit(Deliver(frame=encode(event)))

    async def membership(self, room: str, username: str, *, joined: bool) -> None:
        await self._emit(MembershipChanged(room=room, user=canonical(username), joined=joined))

    async def user_changed(self, username: str) -> None:
        await self._emit(UserChanged(user=canonical(username)))

    async def disconnect(
        self,
        username: str,
        code: int,
        reason: str,
        *,
        event: Event | None = None,
        keep: str | None = None,
    ) -> None:
        frame = encode(event) if event is not None else None
        await self._emit(
            Disconnect(user=canonical(username), code=code, reason=reason, frame=frame, keep=keep)
        )

    async def presence(self, username: str, *, online: bool) -> None:
        """This node's first connection of a user opened, or its last one closed."""
        await self.bus.set_online(username, online)
        if not online and username in await self.bus.online_users():
            return  # still online through another node
        await self._emit(PresenceChanged(user=username, online=online))

    # -- applying events -----------------------------------------------------------------
    async def _emit(self, event: AnyBusEvent) -> None:
        await self.apply(event, local=True)
        try:
            await self.bus.publish(event)
        except Exception:
            # The store already holds whatever this event announces; other nodes' clients
            # catch up through gap detection or sync.
            log.exception("could not publish %s to the other nodes", type(event).__name__)

    async def on_bus_event(self, event: AnyBusEvent) -> None:
        await self.apply(event, local=False)

    async def apply(self, event: AnyBusEvent, *, local: bool) -> None:
        hub = self.hub
        if isinstance(event, Deliver):
            if event.seq:
                assert event.room is not None
                hub.room_message(event.room, event.seq, event.frame)
            elif event.user is not None:
                hub.to_user(event.user, event.frame)
            elif event.room is not None:
                hub.to_room(event.room, event.frame)
            else:
                hub.to_all(event.frame)
        elif isinstance(event, MembershipChanged):
            if event.joined:
                hub.subscribe(event.user, event.room)
            else:
                hub.unsubscribe(event.user, event.room)
        elif isinstance(event, UserChanged):
            if hub.is_online(event.user):
                record = await self.store.get_user(event.user)
                if record is not None:
                    hub.records[event.user] = record
        elif isinstance(event, Disconnect):
            if event.frame is not None:
                for conn in hub.users.get(event.user, ()):
                    if conn.id != event.keep:
                        hub.send(conn, event.frame)
            hub.close_user(event.user, event.code, event.reason, keep=event.keep)
        elif isinstance(event, PresenceChanged):
            if not local and not event.online and hub.is_online(canonical(event.user)):
                return
            hub.to_all(encode(Presence(user=event.user, online=event.online)))
        elif isinstance(event, Resync):
            await self._resync()
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"unknown bus event {msgspec.structs.asdict(event)!r}")

    async def _resync(self) -> None:
        """Catch up with what the bus may have dropped while its link was down: each local
        user's record and rooms, and the messages of every room watched here."""
        hub = self.hub
        log.info("resync: reloading %d users and %d rooms", len(hub.users), len(hub.room_seq))
        for key in list(hub.users):
            record = await self.store.get_user(key)
            if record is None or record.banned:
                hub.close_user(key, CloseCode.BANNED, "banned")
                continue
            hub.records[key] = record
            rooms = {room.id for room in await self.store.rooms_of(key)}
            held = set().union(*(conn.rooms for conn in hub.users.get(key, ())))
            for room in rooms - held:
                hub.subscribe(key, room)
            for room in held - rooms:
                hub.unsubscribe(key, room)
        for room, last in list(hub.room_seq.items()):
            for message in await self.store.messages_since(room, last, RESYNC_LIMIT):
                hub.room_message(room, message.seq, encode(MessageEvent(message=message)))
