"""Admission control: refuse new sends, cheaply and with retry_after, while the server
is behind, so that the latency of what it accepts stays bounded.

The server is behind when a request waits too long: when the event loop runs late (how
late a timer fires is how long a loop pass takes) or when sends wait for their commit
(the single database writer is behind). `observe` decides from those two waits alone,
so it is tested without a loop; `start` runs it every WATCH_INTERVAL on the loop.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chinwag.server.metrics import Metrics

log = logging.getLogger("chinwag.hub")

#: How often the event loop's lag is measured, and the lag past which the server
#: refuses new sends until it has caught up.
WATCH_INTERVAL = 0.02
SHED_LAG = 0.15
#: How many watches in a row must see that lag before the server sheds load, and the
#: least time it then refuses new sends for.
SHED_AFTER = 3
SHED_HOLD = 0.25


class Admission:
    def __init__(self, metrics: Metrics, active: Callable[[], bool]) -> None:
        self.metrics = metrics
        #: Whether to keep watching (the watch stops while there are no connections).
        self._active = active
        #: True while the server refuses new sends.
        self.overloaded = False
        #: How late the watch timer last fired, in seconds: how long a loop pass takes.
        self.lag = 0.0
        #: Sends waiting for their commit: token -> when they started (oldest first).
        self._commits: dict[int, float] = {}
        self._commit_ids = itertools.count()
        self._overloaded_since = 0.0
        self._strained = 0
        self._watching = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- commits ---------------------------------------------------------------------------
    def commit_started(self, now: float | None = None) -> int:
        """A send starts waiting for its commit; give the token to `commit_done`."""
        token = next(self._commit_ids)
        self._commits[token] = time.monotonic() if now is None else now
        return token

    def commit_done(self, token: int) -> None:
        self._commits.pop(token, None)

    def commit_wait(self, now: float | None = None) -> float:
        """How long the oldest send still waiting for its commit has waited."""
        for started in self._commits.values():
            return (time.monotonic() if now is None else now) - started
        return 0.0

    # -- the decision ----------------------------------------------------------------------
    def observe(self, now: float, lag: float) -> None:
        """One watch, at monotonic time `now`, the loop `lag` seconds late. Past SHED_LAG,
        new sends are refused for at least SHED_HOLD and until both waits are under half
        of it. One late pass (a collection, a busy machine) is not overload: it takes
        SHED_AFTER watches in a row."""
        self.lag = lag
        pressure = max(lag, self.commit_wait(now))
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
                lag * 1000,
                pressure * 1000,
            )

    # -- the watch on the loop -------------------------------------------------------------
    def start(self) -> None:
        """Watch the event loop while `active()` says so."""
        if not self._watching:
            self._watching = True
            self._loop = asyncio.get_running_loop()
            self._loop.call_later(WATCH_INTERVAL, self._watch, time.monotonic() + WATCH_INTERVAL)

    def _watch(self, due: float) -> None:
        now = time.monotonic()
        self.observe(now, max(0.0, now - due))
        if self._active() and self._loop is not None:
            self._loop.call_later(WATCH_INTERVAL, self._watch, now + WATCH_INTERVAL)
        else:
            self._watching = False
            self.overloaded = False
