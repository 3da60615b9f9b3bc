"""The local notifier: which connection is in which room, and fan-out that never waits.

Each event is encoded once and framed once; the same bytes are appended to every
recipient's outgoing list, and each list is written to its socket once per event-loop
pass, so under load many frames leave in one system call. Flushes are paced so that
they take at most half the loop's time: the busier the server, the more frames each
write carries (a lone message still leaves at once). A connection whose unsent
bytes pass `max_outgoing` is dropped: a client that stops reading never slows the rest.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from chinwag.core.models import UserRecord
from chinwag.core.ratelimit import TokenBucket
from chinwag.protocol.codec import encode
from chinwag.protocol.events import MessageEvent
from chinwag.protocol.types import Message

if TYPE_CHECKING:
    from aiohttp import web

    from chinwag.server.metrics import Metrics

log = logging.getLogger("chinwag.hub")

#: The most of the event loop's time that flushing outgoing frames may take under load.
FLUSH_SHARE = 0.5

#: How often the event loop's lag is measured, and the lag past which the server
#: refuses new sends until it has caught up (admission control).
WATCH_INTERVAL = 0.02
SHED_LAG = 0.15
#: How many watches in a row must see that lag before the server sheds load, and the
#: least time it then refuses new sends for.
SHED_AFTER = 3
SHED_HOLD = 0.25

#: An unmasked WebSocket ping with no payload.
PING_FRAME = b"\x89\x00"

_HEADER_SHORT = struct.Struct("!BB").pack
_HEADER_MEDIUM = struct.Struct("!BBH").pack
_HEADER_LONG = struct.Struct("!BBQ").pack


def text_frame(payload: bytes) -> bytes:
    """A complete, unmasked, final WebSocket text frame (RFC 6455 section 5.2)."""
    size = len(payload)
    if size < 126:
        return _HEADER_SHORT(0x81, size) + payload
    if size < 65536:
        return _HEADER_MEDIUM(0x81, 126, size) + payload
    return _HEADER_LONG(0x81, 127, size) + payload


class Connection:
    """One WebSocket client, logged in or not."""

    __slots__ = (
        "closing",
        "connected_at",
        "dirty",
        "flood",
        "heard",
        "id",
        "pending",
        "ping_at",
        "rate",
        "remote",
        "rooms",
        "token_hash",
        "transport",
        "typing_at",
        "user_key",
        "username",
        "ws",
    )

    def __init__(
        self,
        conn_id: str,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        remote: str,
        rate: TokenBucket,
        flood: TokenBucket,
    ) -> None:
        self.id = conn_id
        self.ws = ws
        self.transport = transport
        self.remote = remote
        self.rate = rate
        self.flood = flood
        self.pending: list[bytes] = []
        self.dirty = False
        self.closing = False
        self.rooms: set[str] = set()
        self.user_key: str | None = None
        self.username: str | None = None
        self.token_hash: str | None = None
        #: room -> when this connection last announced typing there
        self.typing_at: dict[str, float] = {}
        self.connected_at = time.monotonic()
        #: When a frame last came from the client, and when the heartbeat last pinged it.
        self.heard = self.connected_at
        self.ping_at = 0.0

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.username or '-'}>"


class Hub:
    def __init__(
        self,
        metrics: Metrics,
        *,
        max_outgoing: int,
        fetch_since: Callable[[str, int, int], Awaitable[list[Message]]],
    ) -> None:
        self.metrics = metrics
        self.max_outgoing = max_outgoing
        self._fetch_since = fetch_since
        self.connections: set[Connection] = set()
        #: user key -> that user's logged-in connections on this node
        self.users: dict[str, set[Connection]] = {}
        #: user key -> the user's record, shared by their connections
        self.records: dict[str, UserRecord] = {}
        #: room id -> connections of its members on this node
        self.rooms: dict[str, set[Connection]] = {}
        #: room id -> last seq delivered here, for gap detection
        self.room_seq: dict[str, int] = {}
        self._filling: dict[str, dict[int, bytes]] = {}
        self._dirty: list[Connection] = []
        self._flush_scheduled = False
        #: perf_counter() before which the next flush waits (see `_flush`).
        self._flush_after = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._heartbeat = 0.0
        self._sweeping = False
        #: Admission control: True while the event loop runs late (see `_watch`).
        self.overloaded = False
        #: How late the watch timer last fired, in seconds: how long a loop pass takes.
        self.lag = 0.0
        #: Sends waiting for their commit: token -> when they started (oldest first).
        self._commits: dict[int, float] = {}
        self._commit_ids = itertools.count()
        self._overloaded_since = 0.0
        self._strained = 0
        self._watching = False

    # -- registry ------------------------------------------------------------------------
    def add(self, conn: Connection) -> None:
        self.connections.add(conn)
        self.metrics.connections.set(len(self.connections))

    def remove(self, conn: Connection) -> None:
        self.connections.discard(conn)
        conn.pending.clear()
        self.metrics.connections.set(len(self.connections))

    def attach(
        self, conn: Connection, user: UserRecord, user_key: str, rooms: Iterable[str]
    ) -> bool:
        """Log `conn` in as `user`, in `rooms`. True if it is the user's first here."""
        conn.user_key = user_key
        conn.username = user.username
        self.records[user_key] = user
        conns = self.users.get(user_key)
        first = conns is None
        if conns is None:
            conns = self.users[user_key] = set()
        conns.add(conn)
        for room in rooms:
            self._join(conn, room)
        return first

    def detach(self, conn: Connection) -> bool:
        """Log `conn` out. True if it was the user's last connection here."""
        key = conn.user_key
        for room in list(conn.rooms):
            self._leave(conn, room)
        conn.user_key = None
        conn.username = None
        conn.token_hash = None
        if key is None:
            return False
        conns = self.users.get(key)
        if conns is None:
            return False
        conns.discard(conn)
        if conns:
            return False
        del self.users[key]
        self.records.pop(key, None)
        return True

    def is_online(self, user_key: str) -> bool:
        return user_key in self.users

    def subscribe(self, user_key: str, room: str) -> None:
        for conn in self.users.get(user_key, ()):
            self._join(conn, room)

    def unsubscribe(self, user_key: str, room: str) -> None:
        for conn in list(self.users.get(user_key, ())):
            self._leave(conn, room)

    def _join(self, conn: Connection, room: str) -> None:
        members = self.rooms.get(room)
        if members is None:
            members = self.rooms[room] = set()
        members.add(conn)
        conn.rooms.add(room)

    def _leave(self, conn: Connection, room: str) -> None:
        conn.rooms.discard(room)
        members = self.rooms.get(room)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.rooms[room]
                self.room_seq.pop(room, None)

    # -- delivery ------------------------------------------------------------------------
    def send(self, conn: Connection, payload: bytes) -> None:
        """Queue one encoded reply or event for one connection."""
        self._push((conn,), text_frame(payload))

    def to_room(self, room: str, payload: bytes) -> None:
        members = self.rooms.get(room)
        if members:
            self._push(members, text_frame(payload))

    def to_user(self, user_key: str, payload: bytes) -> None:
        conns = self.users.get(user_key)
        if conns:
            self._push(conns, text_frame(payload))

    def to_all(self, payload: bytes) -> None:
        frame = text_frame(payload)
        for conns in self.users.values():
            self._push(conns, frame)

    def room_message(self, room: str, seq: int, payload: bytes) -> None:
        """Deliver a room's message in seq order: a message past a gap waits while the
        missing ones are read from the store (the store is the truth)."""
        members = self.rooms.get(room)
        if not members:
            return
        filling = self._filling.get(room)
        if filling is not None:
            filling[seq] = payload
            return
        last = self.room_seq.get(room)
        if last is None or seq == last + 1:
            self.room_seq[room] = seq
            self._push(members, text_frame(payload))
            self.metrics.deliveries.inc(len(members))
        elif seq > last + 1:
            self._filling[room] = {seq: payload}
            self._spawn(self._fill_gap(room, last))

    async def _fill_gap(self, room: str, last: int) -> None:
        try:
            pending = self._filling[room]
            missing = await self._fetch_since(room, last, max(pending) - last)
            for message in missing:
                pending.setdefault(message.seq, encode(MessageEvent(message=message)))
        except Exception:
            log.exception("could not read the messages of %s after seq %d", room, last)
        finally:
            pending = self._filling.pop(room, {})
            for seq in sorted(pending):
                self.room_message(room, seq, pending[seq])

    def _push(self, conns: Iterable[Connection], frame: bytes) -> None:
        dirty = self._dirty
        for conn in conns:
            if not conn.closing:
                conn.pending.append(frame)
                if not conn.dirty:
                    conn.dirty = True
                    dirty.append(conn)
        if dirty and not self._flush_scheduled:
            self._flush_scheduled = True
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            wait = self._flush_after - time.perf_counter()
            if wait > 0.0005:
                self._loop.call_later(wait, self._flush)
            else:
                self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        started = time.perf_counter()
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.dirty = False
            self.flush(conn)
        # Pace the flushes: under load, leave at least as long again before the next one,
        # so that flushing (a system call per connection) takes at most FLUSH_SHARE of
        # the loop and each write carries all the frames that came meanwhile.
        self._flush_after = started + (time.perf_counter() - started) / FLUSH_SHARE

    def flush(self, conn: Connection) -> None:
        """Write what is queued for `conn` now, or drop it if it is too far behind."""
        pending = conn.pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        transport = conn.transport
        if transport.is_closing():
            return
        # Still holding more than the limit from earlier passes: the client is not
        # reading. (One pass's own frames may exceed it: a big page of history.)
        if transport.get_write_buffer_size() > self.max_outgoing:
            self.drop_slow(conn)
            return
        transport.write(data)

    def drop_slow(self, conn: Connection) -> None:
        """Cut a client that does not read. Its backlog is thrown away at once: under
        overload, memory goes to the clients that keep up."""
        log.warning(
            "drop conn=%s user=%s: %d bytes unsent (client not reading)",
            conn.id,
            conn.username,
            conn.transport.get_write_buffer_size(),
        )
        self.metrics.queue_drops.inc()
        conn.closing = True
        conn.pending.clear()
        conn.transport.abort()

    # -- admission control ---------------------------------------------------------------
    def start_watch(self) -> None:
        """Watch the event loop's lag while there are connections (see `_watch`)."""
        if not self._watching:
            self._watching = True
            self._loop = asyncio.get_running_loop()
            self._loop.call_later(WATCH_INTERVAL, self._watch, time.monotonic() + WATCH_INTERVAL)

    def commit_started(self) -> int:
        """A send starts waiting for its commit; give the token to `commit_done`."""
        token = next(self._commit_ids)
        self._commits[token] = time.monotonic()
        return token

    def commit_done(self, token: int) -> None:
        self._commits.pop(token, None)

    def commit_wait(self) -> float:
        """How long the oldest send still waiting for its commit has waited."""
        for started in self._commits.values():
            return time.monotonic() - started
        return 0.0

    def _watch(self, due: float) -> None:
        """Admission control, every WATCH_INTERVAL. The server is overloaded when a
        request waits too long: when the loop runs late (how late this timer fires is
        how long a loop pass takes) or when sends wait for their commit (the single
        database writer is behind). Past SHED_LAG, new sends are refused, cheaply and
        with retry_after, for at least SHED_HOLD and until both waits are under half
        of it, so that the latency of what is accepted stays bounded instead of
        growing with the backlog. One late pass (a collection, a busy machine) is
        not overload: it takes SHED_AFTER watches in a row."""
        now = time.monotonic()
        self.lag = max(0.0, now - due)
        pressure = max(self.lag, self.commit_wait())
        self._strained = self._strained + 1 if pressure > SHED_LAG else 0
        if self.overloaded:
            if pressure < SHED_LAG / 2 and now - self._overloaded_since >= SHED_HOLD:
                self.overloaded = False
                log.warning("load back to normal")
        elif self._strained >= SHED_AFTER:
            self.overloaded = True
            self._overloaded_since = now
            self.metrics.overloads.inc()
            log.warning(
                "overloaded (loop %.0f ms late, commits waiting %.0f ms): refusing new sends",
                self.lag * 1000,
                pressure * 1000,
            )
        if self.connections and self._loop is not None:
            self._loop.call_later(WATCH_INTERVAL, self._watch, now + WATCH_INTERVAL)
        else:
            self._watching = False
            self.overloaded = False

    # -- heartbeat -----------------------------------------------------------------------
    def start_heartbeat(self, interval: float) -> None:
        """Ping each connection silent for `interval` seconds and drop it (no close frame)
        if it has not answered half an interval later. One timer sweeps them all every
        quarter interval: a timer per connection (aiohttp's heartbeat) costs about 2 KiB
        of memory each."""
        if interval <= 0:
            return
        self._heartbeat = interval
        if not self._sweeping:
            self._sweeping = True
            self._loop = asyncio.get_running_loop()
            self._loop.call_later(interval / 4, self._sweep)

    def _sweep(self) -> None:
        interval = self._heartbeat
        now = time.monotonic()
        silent: list[Connection] = []
        unanswered: list[Connection] = []
        for conn in self.connections:
            if conn.closing:
                continue
            if conn.ping_at > conn.heard:
                if now - conn.ping_at >= interval / 2:
                    unanswered.append(conn)
            elif now - conn.heard >= interval:
                conn.ping_at = now
                silent.append(conn)
        for conn in unanswered:
            log.info("drop conn=%s user=%s: no pong to the heartbeat", conn.id, conn.username)
            conn.closing = True
            conn.pending.clear()
            conn.transport.abort()
        if silent:
            self._push(silent, PING_FRAME)
        if self.connections and self._loop is not None:
            self._loop.call_later(interval / 4, self._sweep)
        else:
            self._sweeping = False

    # -- closing -------------------------------------------------------------------------
    def close(self, conn: Connection, code: int, reason: str) -> None:
        """Send what is queued, then a close frame with `reason`; never waits."""
        if conn.closing:
            return
        self.flush(conn)
        conn.closing = True
        self._spawn(self._close(conn, code, reason))

    async def aclose(self, conn: Connection, code: int, reason: str) -> None:
        """Like `close`, from the connection's own task: waits for the close handshake."""
        if conn.closing:
            return
        self.flush(conn)
        conn.closing = True
        await self._close(conn, code, reason)

    async def _close(self, conn: Connection, code: int, reason: str) -> None:
        try:
            await conn.ws.close(code=code, message=reason.encode()[:120])
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            conn.transport.abort()

    def close_user(self, user_key: str, code: int, reason: str, *, keep: str | None = None) -> int:
        closed = 0
        for conn in list(self.users.get(user_key, ())):
            if conn.id != keep:
                self.close(conn, code, reason)
                closed += 1
        return closed

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_closed(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for spawned closes and gap fills to finish."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
