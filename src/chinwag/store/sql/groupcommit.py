"""Group commit of sends: one transaction for all the sends waiting to be written.

While a batch is being committed, new sends queue up; the next transaction takes them
all. Under load this turns N transactions into one (the way Synapse persists events in
batches), without delaying a lone send: a send that finds nothing in progress is
written at once, alone.
"""

from __future__ import annotations

import asyncio
import logging

from chinwag.store.records import Posted, StoreError
from chinwag.store.sql.dialect import Database, is_retryable
from chinwag.store.sql.messages import Append, Outcome, append_batch

log = logging.getLogger(__name__)

#: The most sends in one transaction.
MAX_BATCH = 256
#: How often a batch that failed on a concurrent conflict is run again.
RETRIES = 5

#: A send's future: its outcome, and the change stream's position at its commit.
Waiting = asyncio.Future[tuple[Outcome, int]]


class GroupCommit:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[Append, Waiting]] = []
        self._task: asyncio.Task[None] | None = None
        #: Canonical -> registered username, filled by `append_batch`.
        self._names: dict[str, str] = {}

    async def append(self, send: Append) -> Posted:
        future: asyncio.Future[tuple[Outcome, int]] = asyncio.get_running_loop().create_future()
        self._pending.append((send, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="chinwag-group-commit")
        # If the caller is cancelled, its send may still be committed (as with any
        # write in flight); a retry with the same client_msg_id finds it.
        outcome, changes_at = await future
        if isinstance(outcome, StoreError):
            raise outcome
        return Posted(outcome[0], outcome[1], changes_at, outcome[2])

    async def drain(self) -> None:
        """Wait until every queued send is committed (or failed)."""
        while self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._commit(batch)
        finally:
            self._task = None

    async def _commit(
        self, batch: list[tuple[Append, asyncio.Future[tuple[Outcome, int]]]]
    ) -> None:
        batch = [(send, future) for send, future in batch if not future.done()]
        if not batch:
            return
        sends = [send for send, _ in batch]
        for attempt in range(RETRIES + 1):
            try:
                outcomes, changes_at = await self._db.write(append_batch, sends, self._names)
                break
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as exc:
                if attempt < RETRIES and is_retryable(exc):
                    log.debug("retrying a batch of %d sends after %r", len(batch), exc)
                    continue
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result((outcome, changes_at))
