"""Tells connections what happened, here and on the other nodes.

What a use case committed is announced here: its messages (`Deliver` with the room's
seq) and its change-stream entries (`ChangesAt`), in commit order, then anything
ephemeral (typing, read markers, profile updates). Each is applied to this node's
connections first, then published, and never waits for the bus: publishing is queued
(see `chinwag.bus.pending`). Events received from the bus take the same path, so one
node and many behave alike; and whatever the bus loses, the store makes good: gaps in a
room's seq are read back from the store, and the change stream is polled (`ChangeFeed`).
"""

from __future__ import annotations

import logging

import msgspec

from chinwag.bus.base import AnyBusEvent, ChangesAt, Deliver, EventBus, PresenceChanged, Resync
from chinwag.core.models import Change
from chinwag.core.validation import canonical
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import Event, MessageEvent, Presence
from chinwag.protocol.types import Message
from chinwag.server.changes import ChangeFeed
from chinwag.server.hub import Hub
from chinwag.store.base import Store
from chinwag.store.records import Acted

log = logging.getLogger("chinwag.notifier")

#: Most messages per room a resync delivers; clients sync beyond that themselves.
RESYNC_LIMIT = 500


class Notifier:
    def __init__(self, hub: Hub, bus: EventBus, store: Store, feed: ChangeFeed) -> None:
        self.hub = hub
        self.bus = bus
        self.store = store
        self.feed = feed

    # -- what the use cases call ---------------------------------------------------------
    async def announce(self, acted: Acted) -> None:
        """Announce what a write committed, in its order."""
        batch: list[Change] = []
        for step in acted.steps:
            if isinstance(step, Change):
                batch.append(step)
                continue
            if batch:
                self.changes(batch)
                batch = []
            await self.message(step)
        if batch:
            self.changes(batch)

    async def message(self, message: Message, changes_at: int = 0) -> None:
        """Announce a committed message to its room, once this node has applied the
        change stream up to `changes_at` (the stream's position at its commit)."""
        event = Deliver(
            frame=encode(MessageEvent(message=message)),
            room=message.room,
            seq=message.seq,
            changes_at=changes_at,
        )
        await self._deliver(event)
        self.bus.publish(event)

    def changes(self, changes: list[Change]) -> None:
        """Apply change-stream entries committed here, and ring the other nodes."""
        if not changes:
            return
        self.feed.offer(changes)
        self.bus.publish(ChangesAt(head=changes[-1].pos, changes=changes))

    def to_room(self, room: str, event: Event) -> None:
        self._emit(Deliver(frame=encode(event), room=room))

    def to_user(self, username: str, event: Event) -> None:
        self._emit(Deliver(frame=encode(event), user=canonical(username)))

    def to_all(self, event: Event) -> None:
        self._emit(Deliver(frame=encode(event)))

    def presence(self, username: str, *, online: bool) -> None:
        """This node's first connection of a user opened, or its last one closed."""
        self.bus.set_online(username, online)
        if not online and username in self.bus.online_users():
            return  # still online through another node
        self._emit(PresenceChanged(user=username, online=online))

    # -- applying events -----------------------------------------------------------------
    def _emit(self, event: Deliver | PresenceChanged) -> None:
        self._apply_now(event, local=True)
        self.bus.publish(event)

    async def on_bus_event(self, event: AnyBusEvent) -> None:
        if isinstance(event, Deliver) and event.seq:
            await self._deliver(event)
        elif isinstance(event, ChangesAt):
            if not self.feed.offer(event.changes) or event.head > self.feed.cursor:
                await self.feed.reach(event.head)
        elif isinstance(event, Resync):
            await self._resync()
        elif isinstance(event, Deliver | PresenceChanged):
            self._apply_now(event, local=False)
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"unknown bus event {msgspec.structs.asdict(event)!r}")

    async def _deliver(self, event: Deliver) -> None:
        assert event.room is not None
        if event.changes_at > self.feed.cursor:
            await self.feed.reach(event.changes_at)
        await self.feed.room_sent(event.room)
        self.hub.room_message(event.room, event.seq, event.frame)

    def _apply_now(self, event: Deliver | PresenceChanged, *, local: bool) -> None:
        hub = self.hub
        if isinstance(event, Deliver):
            if event.user is not None:
                hub.to_user(event.user, event.frame)
            elif event.room is not None:
                hub.to_room(event.room, event.frame)
            else:
                hub.to_all(event.frame)
        else:
            if not local and not event.online and hub.is_online(canonical(event.user)):
                return
            hub.to_all(encode(Presence(user=event.user, online=event.online)))

    async def _resync(self) -> None:
        """Catch up with what the bus may have dropped while its link was down: the
        change stream, and the messages of every room watched here."""
        hub = self.hub
        log.info("resync: reading the change stream and %d rooms", len(hub.room_seq))
        try:
            await self.feed.catch_up()
        except Exception as exc:
            log.warning("resync could not read the change stream: %r", exc)
        for room, last in list(hub.room_seq.items()):
            for message in await self.store.messages_since(room, last, RESYNC_LIMIT):
                hub.room_message(room, message.seq, encode(MessageEvent(message=message)))

    async def reload_all(self) -> None:
        """Re-read the state of every local connection (after change-stream entries this
        node had not applied were pruned): sessions ended or accounts banned close, the
        others follow exactly their rooms."""
        hub = self.hub
        for key in list(hub.users):
            for conn in list(hub.users.get(key, ())):
                if conn.token_hash is None:
                    continue
                state = await self.store.session_state(conn.token_hash, key)
                if state is None or not state.live or state.user.banned:
                    banned = state is not None and state.user.banned
                    code = CloseCode.BANNED if banned else CloseCode.SESSION_REVOKED
                    hub.close(conn, code, "banned" if banned else "session ended")
                    continue
                hub.records[key] = state.user
                held = set(conn.rooms)
                for room in set(state.rooms) - held:
                    hub.subscribe(key, room)
                for room in held - set(state.rooms):
                    hub.unsubscribe(key, room)
