"""Telling muted people of their mutes: when one is set or lifted, after each login or
resume, and when it runs out.

A mute set or lifted is an entry of the change stream (`muted`), which every node
applies: a node where the user is logged in reads their mutes in that scope from the
store and sends `muted` (or `unmuted`) to all their connections here. The store is the
truth: the latest read wins (a mute changed twice in a row is told as it ends up), so
nothing rides on the order in which reads come back. A node also keeps a timer per mute
it told of, and sends `unmuted` when the mute runs out: the store is read again then,
in case the mute was made longer meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any

from chinwag.core.models import SanctionRecord
from chinwag.core.validation import canonical
from chinwag.protocol.codec import encode
from chinwag.protocol.events import Muted, Unmuted
from chinwag.server.connection import Connection
from chinwag.server.hub import Hub
from chinwag.store.base import Store

log = logging.getLogger("chinwag.mutes")

#: Seconds after a mute's end at which its end is told.
RAN_OUT_SLACK = 0.05

#: A mute in one scope: (user key, room id or None for server-wide).
Scope = tuple[str, str | None]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def muted_event(record: SanctionRecord) -> Muted:
    return Muted(
        room=record.room,
        until=record.until,
        reason=record.reason,
        by=record.by,
        by_display_name=record.by_display_name,
    )


class MuteNotices:
    def __init__(self, store: Store, hub: Hub) -> None:
        self.store = store
        self.hub = hub
        #: The latest read asked for per scope (an older one's answer is dropped).
        self._reads: dict[Scope, int] = {}
        #: When each mute told of here runs out.
        self._timers: dict[Scope, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what the change stream and the logins call ----------------------------------------
    def changed(self, user: str, room: str | None) -> None:
        """`user`'s mute in `room` (None: server-wide) was set or lifted: tell them as it
        now is, if they are logged in here."""
        key = canonical(user)
        if self.hub.is_online(key):
            self._read((key, room), lifted_told=True)

    def joined(self, user: str, room: str) -> None:
        """`user` is back in `room`, where a mute parked when they left comes back."""
        key = canonical(user)
        if self.hub.is_online(key):
            self._read((key, room), lifted_told=False)

    def logged_in(self, conn: Connection, user: str) -> None:
        """Tell a connection just logged in of every mute in force (after its reply)."""
        self._spawn(self._tell_login(conn, user))

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- reading and telling ----------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _read(self, scope: Scope, *, lifted_told: bool) -> None:
        generation = self._reads.get(scope, 0) + 1
        self._reads[scope] = generation
        self._spawn(self._read_and_tell(scope, generation, lifted_told))

    async def _mute(self, key: str, room: str | None) -> SanctionRecord | None:
        now = now_ms()
        for record in await self.store.mutes_of(key, now=now):
            if record.room == room and (record.until is None or record.until > now):
                return record
        return None

    async def _read_and_tell(self, scope: Scope, generation: int, lifted_told: bool) -> None:
        await asyncio.sleep(0)  # let the rest of the batch of changes be applied first
        try:
            record = await self._mute(*scope)
        except Exception as exc:
            log.warning("could not read the mutes of %s: %r", scope[0], exc)
            return
        if self._reads.get(scope) != generation:
            return  # a newer read was asked for: its answer wins
        del self._reads[scope]
        key, room = scope
        if record is not None:
            self.hub.to_user(key, encode(muted_event(record)))
            self._expire_at(scope, record.until)
        elif lifted_told:
            self._cancel(scope)
            self.hub.to_user(key, encode(Unmuted(room=room)))

    async def _tell_login(self, conn: Connection, user: str) -> None:
        await asyncio.sleep(0)  # the login's reply goes first
        key = canonical(user)
        try:
            records = await self.store.mutes_of(key, now=now_ms())
        except Exception as exc:
            log.warning("could not read the mutes of %s: %r", user, exc)
            return
        for record in records:
            if conn.closing or conn.user_key != key:
                return
            self.hub.send(conn, encode(muted_event(record)))
            self._expire_at((key, record.room), record.until)

    # -- mutes running out -----------------------------------------------------------------
    def _expire_at(self, scope: Scope, until: int | None) -> None:
        self._cancel(scope)
        if until is None:
            return
        loop = asyncio.get_running_loop()
        # A hair late, so that the store, read by the wall clock, sees it has run out.
        delay = max(0.0, (until - now_ms()) / 1000) + RAN_OUT_SLACK
        self._timers[scope] = loop.call_later(delay, self._ran_out, scope)

    def _cancel(self, scope: Scope) -> None:
        timer = self._timers.pop(scope, None)
        if timer is not None:
            timer.cancel()

    def _ran_out(self, scope: Scope) -> None:
        self._timers.pop(scope, None)
        if self.hub.is_online(scope[0]):
            self._read(scope, lifted_told=True)
