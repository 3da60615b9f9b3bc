"""The heartbeat: one timer pings the connections that have been silent for an interval
and cuts those that have not answered half an interval later.

Any frame from the client counts as an answer (the connection loop stamps
`Connection.heard` on each one, and reads them even while a request runs). One timer
sweeps every connection each quarter interval: a timer per connection (aiohttp's own
heartbeat) costs about 2 KiB of memory each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection

from chinwag.server.connection import Connection
from chinwag.server.outgoing import PING_FRAME, Outgoing

log = logging.getLogger("chinwag.hub")


class Heartbeat:
    def __init__(self, connections: Collection[Connection], outgoing: Outgoing) -> None:
        self.connections = connections
        self.outgoing = outgoing
        #: Seconds of silence before a ping; 0 while the heartbeat is off.
        self.interval = 0.0
        self._sweeping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, interval: float) -> None:
        """Sweep every `interval / 4` seconds while there are connections (0: off)."""
        if interval <= 0:
            return
        self.interval = interval
        if not self._sweeping:
            self._sweeping = True
            self._loop = asyncio.get_running_loop()
            self._loop.call_later(interval / 4, self._sweep)

    def due(self, now: float) -> tuple[list[Connection], list[Connection]]:
        """(silent, unanswered) at monotonic time `now`: the connections to ping now
        (stamped as pinged), and those pinged at least half an interval ago and silent
        since, to cut."""
        interval = self.interval
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
        return silent, unanswered

    def _sweep(self) -> None:
        silent, unanswered = self.due(time.monotonic())
        for conn in unanswered:
            log.info("drop conn=%s user=%s: no pong to the heartbeat", conn.id, conn.username)
            self.outgoing.cut(conn)
        if silent:
            self.outgoing.push(silent, PING_FRAME)
        if self.connections and self._loop is not None:
            self._loop.call_later(self.interval / 4, self._sweep)
        else:
            self._sweeping = False
