"""Sessions opened while the database could not store them (its disk full, or
read-only): kept by this node until they can be stored.

A right password logs in even then, and the session lives here meanwhile: its
connection reads as any other, and a `resume` of its token on this node logs in again.
As soon as the database takes writes (the next request on such a connection, or a retry
every `RETRY` seconds), each session is stored, unless its account changed since the
login (`Store.store_session`: banned, another password, sessions ended by a kick, ban
or password change): then it is dropped, and its connections, closed by the change
stream, cannot resume it. So nothing outlives what the database decides. Until it is
stored, a session is known to this node only: another node, or this one restarted,
answers a `resume` of it with `invalid_token`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from chinwag.store.base import Store
from chinwag.store.records import CannotWrite

log = logging.getLogger("chinwag.accounts")

#: Seconds between tries to store the sessions waiting.
RETRY = 2.0


@dataclass(frozen=True, slots=True)
class Unstored:
    digest: str
    username: str
    #: The password hash the login was checked against.
    password_hash: str
    #: How far this node had applied the change stream when it logged in.
    since: int
    #: When it logged in (ms).
    created: int
    #: Its address, as the login throttle counts it.
    address: str


class UnstoredSessions:
    def __init__(self, store: Store, *, limit: int, known_days: int) -> None:
        self._store = store
        self.limit = limit
        self.known_days = known_days
        self.pending: dict[str, Unstored] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, session: Unstored) -> bool:
        """Keep `session` until it can be stored; False when `limit` are waiting."""
        if len(self.pending) >= self.limit:
            return False
        self.pending[session.digest] = session
        if self._task is None:
            self._task = asyncio.create_task(self._retry(), name="chinwag-unstored-sessions")
        return True

    def get(self, digest: str | None) -> Unstored | None:
        return self.pending.get(digest) if digest is not None and self.pending else None

    def drop(self, digest: str) -> None:
        self.pending.pop(digest, None)

    async def store(self, digest: str) -> bool:
        """Store the session waiting under `digest`: True once it is stored, False if its
        account changed since (it is dropped); raises `CannotWrite` if the database
        still refuses (it goes on waiting)."""
        session = self.pending.get(digest)
        if session is None:
            return False
        now = time.time_ns() // 1_000_000
        stored = await self._store.store_session(
            session.digest,
            session.username,
            created=session.created,
            now=now,
            password_hash=session.password_hash,
            since=session.since,
            address=session.address,
            known_since=now - self.known_days * 86_400_000,
        )
        self.pending.pop(digest, None)
        if stored:
            log.info("stored the session of %s opened while it could not be", session.username)
        else:
            log.info("dropped the session of %s: the account changed since", session.username)
        return stored

    async def _retry(self) -> None:
        try:
            while self.pending:
                await asyncio.sleep(RETRY)
                for digest in list(self.pending):
                    try:
                        await self.store(digest)
                    except CannotWrite:
                        break  # still refused: all of them wait for the next try
                    except Exception as exc:
                        log.warning("could not store a session that waits: %r", exc)
                        break
        finally:
            self._task = None

    async def close(self) -> None:
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
