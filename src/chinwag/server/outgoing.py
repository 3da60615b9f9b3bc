"""Outgoing frames: framed once, queued per connection, written once per loop pass.

Each event is encoded once and framed once; the same bytes are appended to every
recipient's outgoing list, and each list is written to its socket once per event-loop
pass, so under load many frames leave in one system call. Flushes are paced so that
they take at most half the loop's time: the busier the server, the more frames each
write carries (a lone message still leaves at once). A connection whose unsent
bytes pass `max_outgoing` is dropped: a client that stops reading never slows the rest
(see websockets' "broadcast" topic: a broadcast never awaits a peer).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from chinwag.server.connection import Connection

if TYPE_CHECKING:
    from chinwag.server.metrics import Metrics

log = logging.getLogger("chinwag.hub")

#: The most of the event loop's time that flushing outgoing frames may take under load.
FLUSH_SHARE = 0.5

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


class Outgoing:
    def __init__(self, metrics: Metrics, max_outgoing: int) -> None:
        self.metrics = metrics
        #: Unsent bytes past which a connection is dropped as not reading.
        self.max_outgoing = max_outgoing
        self._dirty: list[Connection] = []
        self._flush_scheduled = False
        #: perf_counter() before which the next flush waits (see `_flush`).
        self._flush_after = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    def push(self, conns: Iterable[Connection], frame: bytes) -> None:
        """Queue one complete frame for each of `conns` (the same bytes for all); they
        are written at the next flush. Never waits."""
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
        self.cut(conn)

    @staticmethod
    def cut(conn: Connection) -> None:
        """End a connection at once, with no close frame; what is queued is dropped."""
        conn.closing = True
        conn.pending.clear()
        conn.transport.abort()
