"""Keeping each room's timeline gap-free and duplicate-free (a part of `Client`).

Per room the client holds `last_seq`, the seq up to which it has every message. A
message at or below it is a duplicate and is dropped; the next one is passed on; one
further ahead is held back while a `sync` fetches what is missing (gap detection). A
room the client has nothing of starts from its newest `history` page.

These requests keep the view complete, so they are retried until they work: one that
fails while catching up fails the catch-up, and one that fails later (a gap being
filled, a new room's first page) takes the connection as dead; either way the client
reconnects with back-off and catches up again (policy.py). Only a refusal for good
(the room was left or removed meanwhile) is let be.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Literal

from chinwag.client.errors import ClientError, RequestError
from chinwag.client.events import MessagesLoaded, RoomsLoaded, Status, UsersLoaded
from chinwag.client.operations import ClientBase
from chinwag.client.policy import ErrorAction, error_action
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.events import (
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    MessageUpdated,
    RoomUpdated,
)
from chinwag.protocol.types import Message, Room

log = logging.getLogger("chinwag.client")

#: Newest pages read at once when many rooms are new to this client (a login into hundreds
#: of rooms): a few in flight keep the connection busy without filling the server's
#: per-connection request queue.
HISTORY_AT_ONCE = 8

#: The most `sync` requests one catch-up makes (a bound against a server that never says
#: it is done).
MAX_SYNC_ROUNDS = 10_000


class Timeline(ClientBase):
    async def _catch_up(self) -> None:
        """After each login: which rooms, who, and every message missed."""
        rooms, read = await self._all_rooms()
        users = await self._all_users()
        mine = {room.id for room in rooms if room.member}
        for gone in set(self.last_seq) - mine:
            self._forget_room(gone)
        for room in rooms:
            if room.member:  # read before any history: no later change can slip by
                self.change_mark.setdefault(room.id, room.last_change)
        self._emit(RoomsLoaded(rooms, read))
        self._emit(UsersLoaded(users))
        known = {room: seq for room, seq in self.last_seq.items() if room in mine}
        await self._sync_rooms(known)
        fresh = [room for room in rooms if room.member and room.id not in self.last_seq]
        await self._newest_pages(fresh)

    async def _newest_pages(self, rooms: list[Room]) -> None:
        """The newest page of each room new to this client, then follow them live. Read
        with `sync` from a page before each room's last seq: one request for up to a
        hundred rooms, where a `history` per room would be hundreds at a login."""
        since = {room.id: max(0, room.last_seq - self.history_page) for room in rooms}
        pending = dict(since)
        got: dict[str, list[Message]] = {}
        for _ in range(MAX_SYNC_ROUNDS):
            if not pending:
                break
            reply = await self.request(
                rq.Sync(id="0", since=pending, limit=self.history_page), rp.SyncOk
            )
            for msg in reply.messages:
                got.setdefault(msg.room, []).append(msg)
            pending = {
                room: got[room][-1].seq if room in got else pending[room]
                for room in reply.more
                if room in pending
            }
        for room in rooms:
            if room.id in self.last_seq:
                continue  # followed meanwhile (a live event, a single baseline)
            messages = got.get(room.id, [])
            self.last_seq[room.id] = messages[-1].seq if messages else since[room.id]
            more = since[room.id] > 0
            self._emit(MessagesLoaded(room.id, messages, "initial", more_before=more))
            self._accept(room.id, [], "sync")

    async def _sync_rooms(self, since: Mapping[str, int]) -> None:
        pending = dict(since)
        rounds = 0
        while pending:
            marks = {room: self.change_mark[room] for room in pending if room in self.change_mark}
            reply = await self.request(
                rq.Sync(id="0", since=pending, changes=marks, limit=self.sync_limit), rp.SyncOk
            )
            by_room: dict[str, list[Message]] = {}
            for msg in reply.messages:
                by_room.setdefault(msg.room, []).append(msg)
            for room, messages in by_room.items():
                if room in self.last_seq:
                    self._accept(room, messages, "sync")
            # Changed while this client was away (edited, deleted, reacted to, pinned, a
            # thread replied to): as if the events had come.
            for msg in reply.changed:
                if msg.room in self.last_seq:
                    self._emit(_change_event(msg))
            for room, mark in reply.changes.items():
                if room in self.last_seq:
                    self.change_mark[room] = max(self.change_mark.get(room, 0), mark)
            # Rooms in `more` had more to send, or no room in this reply (the server caps
            # what one reply holds): ask again from where each now stands.
            pending = {room: self.last_seq[room] for room in reply.more if room in self.last_seq}
            rounds += 1
            if rounds >= MAX_SYNC_ROUNDS:
                log.warning(
                    "sync still had more after %d rounds: the next catch-up goes on", rounds
                )
                return

    def _ensure_baseline(self, room: str) -> asyncio.Task[None]:
        task = self._baselines.get(room)
        if task is None or task.done():
            task = asyncio.create_task(self._baseline(room), name=f"chinwag-baseline-{room}")
            task.add_done_callback(self._background_done)
            self._baselines[room] = task
        return task

    def _background_done(self, task: asyncio.Task[None]) -> None:
        """A request made to keep the view complete failed: unless a catch-up (which
        awaits it and retries) is under way, reconnect and catch up."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.info("%s failed: %s", task.get_name(), exc)
        if isinstance(exc, RequestError) and self.status == Status.CONNECTED:
            self._lose_connection(exc.message)

    async def _baseline(self, room: str) -> None:
        """A room this client has nothing of: its newest page, then follow it live."""
        try:
            async with self._history_slots:
                reply = await self.request(
                    rq.History(id="0", room=room, limit=self.history_page), rp.HistoryOk
                )
        except RequestError as exc:
            if error_action(exc.code) is not ErrorAction.FAIL:
                raise  # retried by a reconnect and catch-up
            log.info("cannot load %s: %s", room, exc.message)  # left or removed meanwhile
            self._held.pop(room, None)
            return
        finally:
            self._baselines.pop(room, None)
        newest = reply.messages[-1].seq if reply.messages else 0
        if room in self.last_seq:
            return
        self.last_seq[room] = newest
        self._emit(MessagesLoaded(room, reply.messages, "initial", more_before=reply.more))
        self._accept(room, [], "sync")

    def _accept(self, room: str, messages: list[Message], source: Literal["sync"] | None) -> None:
        """Take messages of one room in: drop duplicates, hold what comes after a gap (and
        fetch the gap), pass on the rest in seq order. `source` None: live events."""
        held = self._held.setdefault(room, {})
        if room not in self.last_seq:
            for msg in messages:
                held[msg.seq] = msg
            if self._sessioned and self.status == Status.CONNECTED:
                self._ensure_baseline(room)
            return
        last = self.last_seq[room]
        for msg in messages:
            if msg.seq > last:
                held[msg.seq] = msg
        accepted: list[Message] = []
        while last + 1 in held:
            last += 1
            accepted.append(held.pop(last))
        for seq in [seq for seq in held if seq <= last]:
            del held[seq]
        if not held:
            del self._held[room]
        self.last_seq[room] = last
        if accepted:
            if source is None:
                for msg in accepted:
                    self._emit(MessageEvent(message=msg))
            else:
                self._emit(MessagesLoaded(room, accepted, source))
        if held:
            self._ensure_fill(room)

    def _ensure_fill(self, room: str) -> None:
        if room in self._filling or self.status != Status.CONNECTED:
            return  # already filling, or the next catch-up will
        task = asyncio.create_task(self._fill(room), name=f"chinwag-fill-{room}")
        task.add_done_callback(self._background_done)
        self._filling[room] = task

    async def _fill(self, room: str) -> None:
        try:
            await self._sync_rooms({room: self.last_seq[room]})
        except RequestError as exc:
            if error_action(exc.code) is not ErrorAction.FAIL:
                raise  # retried by a reconnect and catch-up
            log.info("gap in %s not filled: %s", room, exc.message)  # left meanwhile
        except (ClientError, KeyError) as exc:
            log.info("gap in %s not filled yet: %s", room, exc)  # the reconnect fills it
        finally:
            self._filling.pop(room, None)

    async def open_dm(self, user: str) -> Room:
        room = (await self.request(rq.OpenDm(id="0", user=user), rp.RoomOk)).room
        if room.id not in self.last_seq and self.status == Status.CONNECTED:
            self._emit(RoomUpdated(room=room))
            await self._ensure_baseline(room.id)
        return room

    def _forget_room(self, room: str | None) -> None:
        if room is not None:
            self.last_seq.pop(room, None)
            self.change_mark.pop(room, None)
            self._held.pop(room, None)


def _change_event(msg: Message) -> MessageDeleted | MessageEdited | MessageUpdated:
    """The event a change `sync` replays stands for: a deletion, an edit (the message
    has been edited), or another change of it (reactions, pin, thread summary)."""
    if msg.deleted:
        return MessageDeleted(room=msg.room, seq=msg.seq)
    if msg.edited_ts is not None:
        return MessageEdited(message=msg)
    return MessageUpdated(message=msg)
