"""This node's cursor on the change stream, and what each change means for its connections.

The database holds every membership, ban, kick and session change as an entry of the
change stream (`chinwag.core.models.Change`), numbered 1, 2, 3, ... in commit order. A
node applies them strictly in that order, from its own cursor:

- at once, for what this node has just committed (`offer`, from the use cases);
- when the bus rings (`offer` with the entries it carries; a gap is read from the store);
- and by itself every `poll` seconds (`catch_up`), so that a doorbell the bus lost
  (Redis down, a node restarting) is made good within `poll` seconds plus one read.

The cursor is saved in the store every few seconds and when the node stops, so that a
node that restarts resumes from it. Applying a change never waits: it subscribes or
unsubscribes connections, queues frames, closes connections, or starts a read (of a
user's record to reload, of a room's record to send to its members).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from chinwag.core.models import Change
from chinwag.core.validation import canonical
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import Kicked, MemberJoined, MemberLeft, RoomUpdated
from chinwag.server.hub import Hub
from chinwag.server.mutes import MuteNotices
from chinwag.store.base import Store

log = logging.getLogger("chinwag.changes")

#: Entries read from the store at a time.
PAGE = 500
#: Seconds between saves of the cursor (when it moved).
SAVE_EVERY = 5.0
#: Entries are kept this long (and until every live node has applied them)...
KEEP_MS = 7 * 86_400_000
#: ...and nodes not seen for this long no longer hold them back.
NODE_GONE_MS = 86_400_000
#: Seconds between prunes of the stream.
PRUNE_EVERY = 3600.0
#: The longest a delivery waits for the stream to be read up to its position.
REACH_TIMEOUT = 2.0


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class ChangeFeed:
    def __init__(
        self,
        store: Store,
        hub: Hub,
        node_id: str,
        *,
        poll: float,
        on_lost: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.node_id = node_id
        self.poll = poll
        #: Called when entries this node had not applied were pruned: re-read everything.
        self.on_lost = on_lost
        #: The position of the last entry applied here.
        self.cursor = 0
        self._saved = 0
        self._saved_at = 0.0
        self._pruned_at = 0.0
        self._reading = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._saving_fails = False
        #: user key -> the latest reload of their record asked for (newer ones win).
        self._reloads: dict[str, int] = {}
        #: Rooms whose record is to be read and sent to their members here.
        self._rooms_due: set[str] = set()
        #: room -> the latest sending of its record here, until it is done.
        self._room_sends: dict[str, asyncio.Task[None]] = {}
        self._reload_tasks: set[asyncio.Task[None]] = set()
        #: Tells muted users of their mutes (`muted` changes, logins, mutes running out).
        self.mutes = MuteNotices(store, hub)

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Take up the cursor where this node left it (or at the newest entry, for a node
        new to the deployment), then follow the stream."""
        head = await self.store.stream_head()
        saved = await self.store.load_cursor(self.node_id)
        self.cursor = head if saved is None or saved > head else saved
        if saved is not None and saved < head:
            log.info("node %s resumes the change stream at %d (head %d)", self.node_id, saved, head)
        self._saved = self.cursor
        self._saved_at = self._pruned_at = time.monotonic()
        self._task = asyncio.create_task(self._follow(), name=f"chinwag-changes-{self.node_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._reload_tasks):
            task.cancel()
        await self.mutes.close()
        try:
            await self._save(force=True)
        except Exception as exc:
            log.warning("node %s could not save its change cursor: %s", self.node_id, exc)

    # -- taking changes in -----------------------------------------------------------------
    def offer(self, changes: Sequence[Change]) -> bool:
        """Apply the entries that follow the cursor (older ones were applied already);
        True if all were. After a gap, nothing more is applied and the feed is woken to
        read the missing entries from the store."""
        for change in changes:
            if change.pos <= self.cursor:
                continue
            if change.pos != self.cursor + 1:
                self._wake.set()
                return False
            self._apply(change)
        return True

    async def catch_up(self, upto: int | None = None) -> None:
        """Read and apply the entries after the cursor (up to `upto`, else all there
        are). Raises what the store raises."""
        async with self._reading:
            while upto is None or self.cursor < upto:
                batch = await self.store.stream_since(self.cursor, PAGE)
                if not batch:
                    return
                if batch[0].pos > self.cursor + 1:
                    await self._lost(batch[0].pos - 1)
                self.offer(batch)
                if len(batch) < PAGE:
                    return

    async def reach(self, pos: int) -> None:
        """Return once every entry up to `pos` is applied here (at most REACH_TIMEOUT;
        past it, or if the store fails, go on: the feed keeps trying by itself)."""
        if pos <= self.cursor:
            return
        try:
            async with asyncio.timeout(REACH_TIMEOUT):
                await self.catch_up(pos)
        except Exception as exc:
            log.warning(
                "node %s could not read the change stream to %d: %r", self.node_id, pos, exc
            )

    async def settle(self) -> None:
        """Apply every entry committed so far (for at most REACH_TIMEOUT; if the store
        fails, go on)."""
        try:
            async with asyncio.timeout(REACH_TIMEOUT):
                await self.catch_up()
        except Exception as exc:
            log.warning("node %s could not read the change stream: %r", self.node_id, exc)

    async def _lost(self, before: int) -> None:
        log.warning(
            "node %s missed changes %d..%d (pruned): reloading its connections' state",
            self.node_id,
            self.cursor + 1,
            before,
        )
        self.cursor = before
        if self.on_lost is not None:
            await self.on_lost()

    async def _follow(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._failing:
                    log.warning("node %s cannot read the change stream: %r", self.node_id, exc)
                self._failing = True
                continue
            if self._failing:
                log.info("node %s reads the change stream again", self.node_id)
                self._failing = False
            try:  # housekeeping: writes, which a full or read-only database refuses
                await self._save()
                await self._prune()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._saving_fails:
                    log.warning("node %s cannot save its change cursor: %r", self.node_id, exc)
                self._saving_fails = True
            else:
                self._saving_fails = False

    async def _save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.cursor != self._saved and (force or now - self._saved_at >= SAVE_EVERY):
            await self.store.save_cursor(self.node_id, self.cursor, now=now_ms())
            self._saved, self._saved_at = self.cursor, now

    async def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            wall = now_ms()
            gone = await self.store.prune_stream(
                older_than=wall - KEEP_MS, live_since=wall - NODE_GONE_MS
            )
            if gone:
                log.info("pruned %d old entries of the change stream", gone)

    # -- what a change does here ---------------------------------------------------------
    def _apply(self, change: Change) -> None:
        self.cursor = change.pos
        hub = self.hub
        key = canonical(change.user)
        room = change.room
        if change.kind == "joined" and room is not None:
            hub.subscribe(key, room)
            if change.how in ("joined", "invited"):
                hub.to_room(room, encode(MemberJoined(room=room, user=change.user)))
                self.mutes.joined(change.user, room)
            self._refresh_room(room)
        elif change.kind == "left" and room is not None:
            hub.to_room(room, encode(MemberLeft(room=room, user=change.user)))
            if change.how in ("kicked", "banned"):
                kicked = Kicked(reason=change.reason, by=change.actor, room=room)
                hub.to_user(key, encode(kicked))
            hub.unsubscribe(key, room)
            self._refresh_room(room)
        elif change.kind == "user":
            if hub.is_online(key):
                self._reload(key)
        elif change.kind == "ended":
            self._end_sessions(key, change)
        elif change.kind == "muted":
            self.mutes.changed(change.user, room)

    def _end_sessions(self, key: str, change: Change) -> None:
        frame = None
        if change.how == "kicked":
            code, reason = CloseCode.KICKED, change.reason or "kicked"
            frame = encode(Kicked(reason=change.reason, by=change.actor))
        elif change.how == "banned":
            code, reason = CloseCode.BANNED, change.reason or "banned"
            frame = encode(Kicked(reason=change.reason or "banned", by=change.actor))
        else:
            code, reason = CloseCode.SESSION_REVOKED, change.reason or "session ended"
        for conn in list(self.hub.users.get(key, ())):
            if change.keep is not None and conn.token_hash == change.keep:
                continue
            if frame is not None:
                self.hub.send(conn, frame)
            self.hub.close(conn, code, reason)

    def _refresh_room(self, room: str) -> None:
        """Send the room as it now is (members, count) to its members here, once read."""
        if room in self._rooms_due or room not in self.hub.rooms:
            return
        self._rooms_due.add(room)
        task = self._room_sends[room] = self._background(self._send_room(room))
        task.add_done_callback(
            lambda done: (
                self._room_sends.pop(room, None) if self._room_sends.get(room) is done else None
            )
        )

    async def room_sent(self, room: str) -> None:
        """Return once the room record due to its members here has been sent, so that
        someone just added to a room learns of the room before its messages."""
        task = self._room_sends.get(room)
        if task is not None:
            with contextlib.suppress(Exception, TimeoutError):
                async with asyncio.timeout(REACH_TIMEOUT):
                    await asyncio.shield(task)

    async def _send_room(self, room: str) -> None:
        await asyncio.sleep(0)  # let the changes of the same batch be applied first
        self._rooms_due.discard(room)
        try:
            record = await self.store.get_room(room)
        except Exception as exc:
            log.warning("could not read room %s: %r", room, exc)
            return
        if record is not None:
            self.hub.to_room(room, encode(RoomUpdated(room=record.public(member=True))))

    def _background(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._reload_tasks.add(task)
        task.add_done_callback(self._reload_tasks.discard)
        return task

    def _reload(self, key: str) -> None:
        generation = self._reloads.get(key, 0) + 1
        self._reloads[key] = generation
        self._background(self._read_user(key, generation))

    async def _read_user(self, key: str, generation: int) -> None:
        try:
            record = await self.store.get_user(key)
        except Exception as exc:
            log.warning("could not reload the record of %s: %r", key, exc)
            record = None
        if self._reloads.get(key) != generation:
            return  # a newer reload was asked for: its read wins
        del self._reloads[key]
        if record is not None and self.hub.is_online(key):
            self.hub.records[key] = record
