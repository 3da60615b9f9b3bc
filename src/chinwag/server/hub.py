"""The local notifier: a facade over the parts that tell this node's connections what
happened. Each part does one job, in its own module:

- `registry`: who is where (connections, users logged in, room members here);
- `outgoing`: framing once, queueing per connection, flushing once per loop pass, and
  dropping a client that does not read;
- `sequencer`: each room's messages in seq order, gaps filled from the store;
- `admission`: refusing new sends while the loop or the database writer is behind;
- `heartbeat`: pinging silent connections and cutting those that never answer.

The rest of the server talks to the `Hub` only; it composes the parts and closes
connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from chinwag.core.models import UserRecord
from chinwag.protocol.types import Message
from chinwag.server.admission import SHED_AFTER, SHED_HOLD, SHED_LAG, WATCH_INTERVAL, Admission
from chinwag.server.connection import Connection
from chinwag.server.heartbeat import Heartbeat
from chinwag.server.outgoing import FLUSH_SHARE, PING_FRAME, Outgoing, text_frame
from chinwag.server.registry import Registry
from chinwag.server.sequencer import Sequencer

if TYPE_CHECKING:
    from chinwag.server.metrics import Metrics

__all__ = [
    "FLUSH_SHARE",
    "PING_FRAME",
    "SHED_AFTER",
    "SHED_HOLD",
    "SHED_LAG",
    "WATCH_INTERVAL",
    "Connection",
    "Hub",
    "text_frame",
]


class Hub:
    def __init__(
        self,
        metrics: Metrics,
        *,
        max_outgoing: int,
        fetch_since: Callable[[str, int, int], Awaitable[list[Message]]],
    ) -> None:
        self.metrics = metrics
        self.registry = Registry(on_room_emptied=self._room_emptied)
        self.outgoing = Outgoing(metrics, max_outgoing)
        self.sequencer = Sequencer(fetch_since, self._deliver, metrics)
        self.admission = Admission(metrics, active=lambda: bool(self.connections))
        self.heartbeat = Heartbeat(self.registry.connections, self.outgoing)
        # The registry's containers, shared (never rebound), for the rest of the server.
        self.connections: set[Connection] = self.registry.connections
        #: user key -> that user's logged-in connections on this node
        self.users: dict[str, set[Connection]] = self.registry.users
        #: user key -> the user's record, shared by their connections
        self.records: dict[str, UserRecord] = self.registry.records
        #: room id -> connections of its members on this node
        self.rooms: dict[str, set[Connection]] = self.registry.rooms
        #: room id -> last seq delivered here, for gap detection
        self.room_seq: dict[str, int] = self.sequencer.last
        self._push = self.outgoing.push
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def max_outgoing(self) -> int:
        return self.outgoing.max_outgoing

    @max_outgoing.setter
    def max_outgoing(self, value: int) -> None:
        self.outgoing.max_outgoing = value

    # -- registry --------------------------------------------------------------------------
    def add(self, conn: Connection) -> None:
        self.registry.add(conn)
        self.metrics.connections.set(len(self.connections))

    def remove(self, conn: Connection) -> None:
        self.registry.remove(conn)
        conn.pending.clear()
        self.metrics.connections.set(len(self.connections))

    def attach(
        self, conn: Connection, user: UserRecord, user_key: str, rooms: Iterable[str]
    ) -> bool:
        """Log `conn` in as `user`, in `rooms`. True if it is the user's first here."""
        return self.registry.attach(conn, user, user_key, rooms)

    def detach(self, conn: Connection) -> bool:
        """Log `conn` out. True if it was the user's last connection here."""
        return self.registry.detach(conn)

    def is_online(self, user_key: str) -> bool:
        return user_key in self.users

    def subscribe(self, user_key: str, room: str) -> None:
        self.registry.subscribe(user_key, room)

    def unsubscribe(self, user_key: str, room: str) -> None:
        self.registry.unsubscribe(user_key, room)

    def _room_emptied(self, room: str) -> None:
        self.sequencer.forget(room)

    # -- delivery --------------------------------------------------------------------------
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
        if room in self.rooms:
            self.sequencer.message(room, seq, payload)

    def _deliver(self, room: str, payload: bytes) -> None:
        members = self.rooms.get(room)
        if members:
            self._push(members, text_frame(payload))
            self.metrics.deliveries.inc(len(members))

    def flush(self, conn: Connection) -> None:
        """Write what is queued for `conn` now, or drop it if it is too far behind."""
        self.outgoing.flush(conn)

    def drop_slow(self, conn: Connection) -> None:
        self.outgoing.drop_slow(conn)

    # -- admission control -----------------------------------------------------------------
    @property
    def overloaded(self) -> bool:
        """True while new sends are refused (see `admission`)."""
        return self.admission.overloaded

    @overloaded.setter
    def overloaded(self, value: bool) -> None:
        self.admission.overloaded = value

    @property
    def lag(self) -> float:
        """How late the loop ran at the last watch, in seconds."""
        return self.admission.lag

    def start_watch(self) -> None:
        """Watch the event loop's lag while there are connections."""
        self.admission.start()

    def commit_started(self) -> int:
        """A send starts waiting for its commit; give the token to `commit_done`."""
        return self.admission.commit_started()

    def commit_done(self, token: int) -> None:
        self.admission.commit_done(token)

    def commit_wait(self) -> float:
        """How long the oldest send still waiting for its commit has waited."""
        return self.admission.commit_wait()

    # -- heartbeat -------------------------------------------------------------------------
    def start_heartbeat(self, interval: float) -> None:
        """Ping connections silent for `interval` s; cut those that never answer."""
        self.heartbeat.start(interval)

    # -- closing ---------------------------------------------------------------------------
    def close(self, conn: Connection, code: int, reason: str) -> None:
        """Send what is queued, then a close frame with `reason`; never waits."""
        if conn.closing:
            return
        self.flush(conn)
        conn.closing = True
        self.spawn(self._close(conn, code, reason))

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

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` as a task that `wait_closed` waits for (closes, connection ends)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_closed(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for spawned tasks and gap fills to finish."""
        tasks = {*self._tasks, *self.sequencer.tasks()}
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
