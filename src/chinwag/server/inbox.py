"""A connection's requests: handled one at a time, in the order they came, while the
connection loop goes on reading frames (so pings, pongs and the heartbeat never wait
for a request, however long it takes).

A request that finds none running starts a worker task with it; one that comes while a
request runs waits in the connection's backlog, and the worker takes it next. The
worker ends when the backlog is empty: an idle connection holds no task and no queue.
Replies leave in request order; a frame that is not a valid request waits its turn too,
as its error reply.

The backlog is bounded (MAX_BACKLOG requests, MAX_BACKLOG_BYTES of frames): a request
past the bound is answered at once, ahead of those waiting, with `rate_limited`,
`retry_after` and its id. It is never dropped in silence, and the reader never blocks.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from chinwag.core.errors import ChatError
from chinwag.protocol.codec import ProtocolError, decode_request, encode, request_type
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.requests import Request
from chinwag.server.connection import Connection
from chinwag.server.context import Context
from chinwag.server.service import error_reply, handle

log = logging.getLogger("chinwag.ws")

#: Most requests and frame bytes a connection may have waiting behind the one running.
#: Above the flood burst, so that a client opening many rooms at once (a history page
#: each) is not refused; the bytes bound keeps big frames from adding up.
MAX_BACKLOG = 256
MAX_BACKLOG_BYTES = 1 << 20
#: The retry_after of a request refused because the backlog is full.
BACKLOG_RETRY_AFTER = 1.0


def submit(ctx: Context, conn: Connection, data: str) -> None:
    """Take one text frame from the client: decode it, then handle it now or after the
    requests before it. Never waits."""
    item: Request | bytes
    try:
        item = decode_request(data)
    except ProtocolError as exc:  # answered in its turn, with what could be read of it
        item = encode(error_reply(ctx, conn, exc, exc.request_id, None))
    if conn.worker is None:
        if isinstance(item, bytes):
            ctx.hub.send(conn, item)
        else:
            conn.worker = asyncio.get_running_loop().create_task(_work(ctx, conn, item))
        return
    backlog = conn.backlog
    if backlog is None:
        backlog = conn.backlog = deque()
    size = len(data)
    if len(backlog) < MAX_BACKLOG and conn.backlog_bytes + size <= MAX_BACKLOG_BYTES:
        backlog.append((item, size))
        conn.backlog_bytes += size
    elif isinstance(item, bytes):
        ctx.hub.send(conn, item)  # an error already
    else:
        refusal = ChatError(
            ErrorCode.RATE_LIMITED,
            f"too many requests waiting on this connection: wait for their replies "
            f"(at most {MAX_BACKLOG} behind the one running)",
            BACKLOG_RETRY_AFTER,
        )
        reply = error_reply(ctx, conn, refusal, item.id, request_type(item))
        ctx.hub.send(conn, encode(reply))


async def _work(ctx: Context, conn: Connection, req: Request) -> None:
    """Handle `req`, then the backlog, one at a time; end when it is empty."""
    item: Request | bytes = req
    try:
        while True:
            if isinstance(item, bytes):
                ctx.hub.send(conn, item)
            else:
                ctx.hub.send(conn, encode(await handle(ctx, conn, item)))
            backlog = conn.backlog
            if not backlog:
                return
            item, size = backlog.popleft()
            conn.backlog_bytes -= size
    except Exception:  # `handle` answers every failure itself: this is a bug
        log.exception("request worker failed conn=%s user=%s", conn.id, conn.username)
    finally:
        conn.worker = None
        conn.backlog = None
        conn.backlog_bytes = 0


async def drain(conn: Connection) -> None:
    """Wait until every request read so far has been handled and answered."""
    worker = conn.worker
    if worker is not None:
        await asyncio.wait((worker,))


async def finish(conn: Connection) -> None:
    """The client is gone: drop the requests waiting, let the one running end (what it
    committed stays committed; its reply goes nowhere)."""
    backlog = conn.backlog
    if backlog:
        log.info("conn=%s: %d requests dropped unhandled (client gone)", conn.id, len(backlog))
        backlog.clear()
        conn.backlog_bytes = 0
    await drain(conn)
