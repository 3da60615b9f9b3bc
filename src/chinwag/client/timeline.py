"""Keeping each room's timeline gap-free and duplicate-free (a part of `Client`).

Per room the client holds `last_seq`, the seq up to which it has every message. A
message at or below it is a duplicate and is dropped; the next one is passed on; one
further ahead is held back while a `sync` fetches what is missing (gap detection). A
room the client has nothing of starts from its newest `history` page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Literal

from chinwag.client.errors import ClientError, RequestError
from chinwag.client.events import MessagesLoaded, RoomsLoaded, Status, UsersLoaded
from chinwag.client.operations import ClientBase
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.events import MessageDeleted, MessageEdited, MessageEvent, RoomUpdated
from chinwag.protocol.types import Message, Room

log = logging.getLogger("chinwag.client")


class Timeline(ClientBase):
    async def _catch_up(self) -> None:
        """After each login: which rooms, who, and every message missed."""
        reply = await self.request(rq.Rooms(id="0"), rp.RoomsOk)
        rooms = reply.rooms
        users = (await self.request(rq.Users(id="0"), rp.UsersOk)).users
        mine = {room.id for room in rooms if room.member}
        for gone in set(self.last_seq) - mine:
            self._forget_room(gone)
        for room in rooms:
            if room.member:  # read before any history: no later change can slip by
                self.change_mark.setdefault(room.id, room.last_change)
        self._emit(RoomsLoaded(rooms, reply.read))
        self._emit(UsersLoaded(users))
        known = {room: seq for room, seq in self.last_seq.items() if room in mine}
        await self._sync_rooms(known)
        fresh = [room.id for room in rooms if room.member and room.id not in self.last_seq]
        await asyncio.gather(*(self._ensure_baseline(room) for room in fresh))

    async def _sync_rooms(self, since: Mapping[str, int]) -> None:
        pending = dict(since)
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
            # Edited or deleted while this client was away: as if the events had come.
            for msg in reply.changed:
                if msg.room in self.last_seq:
                    self._emit(
                        MessageDeleted(room=msg.room, seq=msg.seq)
                        if msg.deleted
                        else MessageEdited(message=msg)
                    )
            for room, mark in reply.changes.items():
                if room in self.last_seq:
                    self.change_mark[room] = max(self.change_mark.get(room, 0), mark)
            before, pending = pending, {}
            for room in reply.more:
                if room not in self.last_seq:
                    continue
                further = self.last_seq[room] > before.get(room, -1)
                if further or self.change_mark.get(room, 0) > marks.get(room, -1):
                    pending[room] = self.last_seq[room]

    def _ensure_baseline(self, room: str) -> asyncio.Task[None]:
        task = self._baselines.get(room)
        if task is None or task.done():
            task = asyncio.create_task(self._baseline(room), name=f"chinwag-baseline-{room}")
            self._baselines[room] = task
        return task

    async def _baseline(self, room: str) -> None:
        """A room this client has nothing of: its newest page, then follow it live."""
        try:
            reply = await self.request(
                rq.History(id="0", room=room, limit=self.history_page), rp.HistoryOk
            )
        except RequestError as exc:
            log.info("cannot load %s: %s", room, exc.message)
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
        self._filling[room] = asyncio.create_task(self._fill(room), name=f"chinwag-fill-{room}")

    async def _fill(self, room: str) -> None:
        try:
            await self._sync_rooms({room: self.last_seq[room]})
        except (ClientError, KeyError) as exc:
            log.info("gap in %s not filled yet: %s", room, exc)
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
