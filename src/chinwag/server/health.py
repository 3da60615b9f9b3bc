"""What /healthz checks: the database can be read and written, and Redis answers.

Each check is bounded by `health_timeout`. The checks run one at a time, and at most
every `health_interval` seconds: requests in between get the last result, so a load
balancer polling hard costs the database one probe per interval, and a database that
hangs holds one probe, not a queue of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from chinwag.core.validation import GENERAL
from chinwag.server.throttle import LoginThrottle
from chinwag.store.base import Store
from chinwag.store.records import CannotWrite

log = logging.getLogger("chinwag.health")

#: "ok"; "unreachable": it cannot even be read; "full", "read_only": it refuses writes
#: (or refused one lately, see `Store.probe_write`); "write_failed": a write failed
#: otherwise, or took longer than the timeout.
DatabaseState = Literal["ok", "unreachable", "full", "read_only", "write_failed"]
#: "ok"; "local": one node alone, no Redis; "unreachable": Redis did not answer in time.
BusState = Literal["ok", "local", "unreachable"]


@dataclass(frozen=True, slots=True)
class Health:
    database: DatabaseState
    bus: BusState
    #: When it was found (monotonic).
    at: float = field(default_factory=time.monotonic)


class HealthChecks:
    def __init__(
        self,
        store: Store,
        logins: LoginThrottle,
        node_id: str,
        *,
        timeout: float = 2.0,
        interval: float = 1.0,
    ) -> None:
        self.store = store
        self.logins = logins
        self.node_id = node_id
        self.timeout = timeout
        self.interval = interval
        self._last: Health | None = None
        self._running: asyncio.Task[Health] | None = None
        #: The store's write probe, which may outlive the check that gave up on it.
        self._probe: asyncio.Task[None] | None = None

    async def check(self) -> Health:
        last = self._last
        if last is not None and time.monotonic() - last.at < self.interval:
            return last
        if self._running is None:
            self._running = asyncio.create_task(self._check(), name="chinwag-health")
            self._running.add_done_callback(self._done)
        # Shielded: a client that goes away does not cut the probe short for the others.
        return await asyncio.shield(self._running)

    def _done(self, task: asyncio.Task[Health]) -> None:
        self._running = None
        if not task.cancelled() and task.exception() is None:
            self._last = task.result()

    async def _check(self) -> Health:
        database, bus = await asyncio.gather(self._database(), self._bus())
        return Health(database, bus)

    async def _database(self) -> DatabaseState:
        try:
            async with asyncio.timeout(self.timeout):
                await self.store.get_room(GENERAL)
        except Exception as exc:
            log.warning("health check: the database cannot be read: %r", exc)
            return "unreachable"
        probe = self._probe
        if probe is None or probe.done():
            # A probe still running from an earlier check is waited for again rather
            # than joined by another: a stuck database holds one probe, not a queue.
            now = time.time_ns() // 1_000_000
            probe = self._probe = asyncio.create_task(self.store.probe_write(self.node_id, now=now))
            probe.add_done_callback(_retrieve)
        try:
            async with asyncio.timeout(self.timeout):
                await asyncio.shield(probe)
        except CannotWrite as exc:
            return exc.reason  # logged by the store, once per episode
        except Exception as exc:
            log.warning("health check: the database cannot be written: %r", exc)
            return "write_failed"
        return "ok"

    async def close(self) -> None:
        """Stop a check or probe still running (the node is stopping)."""
        tasks = [t for t in (self._running, self._probe) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _bus(self) -> BusState:
        answers = await self.logins.redis_answers(self.timeout)
        if answers is None:
            return "local"
        return "ok" if answers else "unreachable"


def _retrieve(task: asyncio.Task[None]) -> None:
    """Take the outcome of a probe nobody waits for any more, so that asyncio does not
    report it as never retrieved (the next check reads the state afresh)."""
    if not task.cancelled():
        task.exception()
