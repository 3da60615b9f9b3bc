"""Task helpers shared by the bus implementations."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def cancel_and_wait(*tasks: asyncio.Task[None] | None) -> None:
    """Cancel `tasks` and wait until they have finished.

    A cancellation that lands at the wrong moment inside redis-py's connection code can be
    swallowed (redis/redis-py#2551, #2028), leaving the task running, so tasks still
    running after a short grace period are cancelled again. A cancellation of the caller
    propagates as usual.
    """
    pending = {task for task in tasks if task is not None and not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.05)
    for finished in tasks:
        if finished is not None and not finished.cancelled() and finished.exception():
            log.error("task %s had failed", finished.get_name(), exc_info=finished.exception())
