"""The connection loop at /ws: frame -> decode -> service -> reply.

The loop only reads: it answers pings, stamps every frame for the heartbeat and hands
each request to the connection's inbox, where requests are handled one at a time in
order by a worker task. So a request that waits (for a busy database, say) never keeps
a pong unread, and the heartbeat never cuts a client that is answering.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

from aiohttp import WSMsgType, hdrs, web

from chinwag import __version__
from chinwag.core.ratelimit import TokenBucket, throttle_address
from chinwag.core.remote import client_address
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import Hello
from chinwag.protocol.version import PROTOCOL_VERSION
from chinwag.server import accounts, inbox
from chinwag.server.context import Context
from chinwag.server.doors import Refusal
from chinwag.server.hub import Connection

log = logging.getLogger("chinwag.ws")

_ids = itertools.count(1)


def hello(ctx: Context) -> bytes:
    return encode(
        Hello(
            server="chinwag",
            version=__version__,
            protocol=PROTOCOL_VERSION,
            registration=ctx.config.registration,
            max_body=ctx.config.max_body,
            max_frame=ctx.config.max_frame,
        )
    )


async def websocket(request: web.Request, ctx: Context) -> web.StreamResponse:
    config = ctx.config
    doors = ctx.doors
    try:
        doors.check_origin(request.headers.get(hdrs.ORIGIN), request.host)
    except Refusal as refused:
        return web.Response(status=403, text=refused.reason)
    # The hub runs the heartbeat (one timer for all connections), so pings and pongs
    # come up to this loop.
    ws = web.WebSocketResponse(max_msg_size=config.max_frame, autoping=False, compress=False)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:  # the client left during the handshake
        return ws
    remote = client_address(
        request.remote, request.headers.get("X-Forwarded-For"), ctx.trusted_proxies
    )
    counted = throttle_address(remote)  # an IPv6 address counts by its /64
    try:
        doors.enter(counted)
    except Refusal as refused:
        await ws.close(code=refused.code, message=refused.reason.encode())
        return ws
    try:
        return await _serve(ctx, ws, transport, remote)
    finally:
        doors.leave(counted)


async def _serve(
    ctx: Context, ws: web.WebSocketResponse, transport: asyncio.Transport, remote: str
) -> web.WebSocketResponse:
    config = ctx.config
    now = time.monotonic()
    conn = Connection(
        f"{ctx.node_id}-{next(_ids)}",
        ws,
        transport,
        remote,
        TokenBucket(config.rate_limit, config.rate_burst, now),
        TokenBucket(config.flood_limit, config.flood_burst, now),
    )
    hub = ctx.hub
    hub.add(conn)
    accounts.arm_login_deadline(ctx, conn)
    hub.start_heartbeat(config.heartbeat)
    hub.start_watch()
    ctx.metrics.connects.inc()
    log.info("connect conn=%s addr=%s", conn.id, conn.remote)
    reason = "closed by client"
    try:
        hub.send(conn, hello(ctx))
        async for msg in ws:
            conn.heard = now = time.monotonic()
            if msg.type == WSMsgType.TEXT:
                if conn.flood.take(now):
                    reason = "flooding"
                    # Every request read before the flood is answered, then the close.
                    await inbox.drain(conn)
                    await hub.aclose(conn, CloseCode.FLOOD, "too many requests: flood limit")
                    break
                inbox.submit(ctx, conn, msg.data)
            elif msg.type == WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type == WSMsgType.BINARY:
                reason = "binary frame"
                await inbox.drain(conn)
                await hub.aclose(conn, CloseCode.UNSUPPORTED_DATA, "send JSON in text frames")
                break
            elif msg.type == WSMsgType.ERROR:
                reason = f"error: {ws.exception()}"
                break
    except (ConnectionError, asyncio.CancelledError) as exc:
        reason = f"dropped: {type(exc).__name__}"
        if isinstance(exc, asyncio.CancelledError):
            raise
    finally:
        await _end(ctx, conn, reason)
    return ws


async def _end(ctx: Context, conn: Connection, reason: str) -> None:
    """The connection's end, in a task of its own that a cancelled handler (or server
    shutdown) cannot cut short: the request running finishes, then the logout."""
    await asyncio.shield(ctx.hub.spawn(_ending(ctx, conn, reason)))


async def _ending(ctx: Context, conn: Connection, reason: str) -> None:
    conn.closing = True  # nothing more is queued for it
    if conn.deadline is not None:
        conn.deadline.cancel()
        conn.deadline = None
    await inbox.finish(conn)
    username = conn.username  # (a login may have been running)
    try:
        await accounts.log_out(ctx, conn)
    except Exception:
        log.exception("error while ending conn=%s", conn.id)
    finally:
        ctx.hub.remove(conn)
        code = conn.ws.close_code
        log.info(
            "disconnect conn=%s user=%s code=%s after=%.1fs (%s)",
            conn.id,
            username or "-",
            code,
            time.monotonic() - conn.connected_at,
            reason,
        )
