"""The connection loop at /ws: frame -> decode -> service -> reply."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

from aiohttp import WSMsgType, web

from chinwag import __version__
from chinwag.core.ratelimit import TokenBucket
from chinwag.core.remote import client_address
from chinwag.protocol.codec import ProtocolError, decode_request, encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import Hello
from chinwag.protocol.version import PROTOCOL_VERSION
from chinwag.server import accounts
from chinwag.server.context import Context
from chinwag.server.hub import Connection
from chinwag.server.service import error_reply, handle

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
    # The hub runs the heartbeat (one timer for all connections), so pings and pongs
    # come up to this loop.
    ws = web.WebSocketResponse(max_msg_size=config.max_frame, autoping=False, compress=False)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:  # the client left during the handshake
        return ws
    now = time.monotonic()
    conn = Connection(
        f"{ctx.node_id}-{next(_ids)}",
        ws,
        transport,
        client_address(request.remote, request.headers.get("X-Forwarded-For"), ctx.trusted_proxies),
        TokenBucket(config.rate_limit, config.rate_burst, now),
        TokenBucket(config.flood_limit, config.flood_burst, now),
    )
    hub = ctx.hub
    hub.add(conn)
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
                    await hub.aclose(conn, CloseCode.FLOOD, "too many requests: flood limit")
                    break
                await _request(ctx, conn, msg.data)
            elif msg.type == WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type == WSMsgType.BINARY:
                reason = "binary frame"
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


async def _request(ctx: Context, conn: Connection, data: str) -> None:
    try:
        req = decode_request(data)
    except ProtocolError as exc:
        ctx.hub.send(conn, encode(error_reply(ctx, conn, exc, exc.request_id, None)))
        return
    reply = await handle(ctx, conn, req)
    ctx.hub.send(conn, encode(reply))


async def _end(ctx: Context, conn: Connection, reason: str) -> None:
    username = conn.username
    try:
        await asyncio.shield(accounts.log_out(ctx, conn))
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
