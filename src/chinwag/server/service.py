"""Routes each request to its use case, and maps every failure to one wire error."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chinwag.core.errors import ChatError
from chinwag.protocol import requests as rq
from chinwag.protocol.codec import ProtocolError, request_type
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.replies import Error, Reply
from chinwag.server import accounts, messaging, moderation, rooms
from chinwag.server.context import Context
from chinwag.server.hub import Connection

log = logging.getLogger("chinwag.service")

Handler = Callable[[Context, Connection, Any], Awaitable[Reply]]

HANDLERS: dict[type[rq.Request], Handler] = {
    rq.Register: accounts.register,
    rq.Login: accounts.login,
    rq.Resume: accounts.resume,
    rq.Logout: accounts.logout,
    rq.Ping: accounts.ping,
    rq.Users: accounts.users,
    rq.UpdateProfile: accounts.update_profile,
    rq.ChangePassword: accounts.change_password,
    rq.Rooms: rooms.rooms,
    rq.CreateRoom: rooms.create_room,
    rq.UpdateRoom: rooms.update_room,
    rq.Join: rooms.join,
    rq.Leave: rooms.leave,
    rq.Invite: rooms.invite,
    rq.OpenDm: rooms.open_dm,
    rq.Members: rooms.members,
    rq.Send: messaging.send,
    rq.History: messaging.history,
    rq.Sync: messaging.sync,
    rq.Typing: messaging.typing,
    rq.DeleteMessage: messaging.delete_message,
    rq.MarkRead: messaging.mark_read,
    rq.Search: messaging.search,
    rq.EditMessage: messaging.edit_message,
    rq.Kick: moderation.kick,
    rq.Ban: moderation.ban,
    rq.Unban: moderation.unban,
    rq.Mute: moderation.mute,
    rq.Notice: moderation.notice,
}
assert set(HANDLERS) == set(rq.REQUEST_TYPES), "every request type needs a handler"


async def handle(ctx: Context, conn: Connection, req: rq.Request) -> Reply:
    """Run one request and return its reply (an `ok` or an `error`), never raising."""
    op = request_type(req)
    started = time.perf_counter()
    ctx.inflight += 1
    try:
        if ctx.stopping:
            raise ChatError(ErrorCode.UNAVAILABLE, "the server is shutting down: retry shortly")
        if conn.user_key is None and op not in rq.PRE_AUTH_TYPES:
            raise ChatError(ErrorCode.NOT_AUTHENTICATED, "log in first")
        reply = await HANDLERS[type(req)](ctx, conn, req)
        reply.id = req.id
    except Exception as exc:
        reply = error_reply(ctx, conn, exc, req.id, op)
    finally:
        ctx.inflight -= 1
    ctx.metrics.request_seconds.labels(op).observe(time.perf_counter() - started)
    return reply


def error_reply(
    ctx: Context, conn: Connection, exc: BaseException, request_id: str | None, op: str | None
) -> Error:
    """The one place where exceptions become wire errors. Unexpected ones are logged in
    full here and reach the client only as `internal_error`."""
    if isinstance(exc, ChatError):
        error = Error(
            id=request_id, code=exc.code, message=exc.message, retry_after=exc.retry_after
        )
    elif isinstance(exc, ProtocolError):
        error = Error(id=exc.request_id, code=exc.code, message=exc.message)
    else:
        log.exception("internal error conn=%s user=%s op=%s", conn.id, conn.username, op)
        error = Error(
            id=request_id,
            code=ErrorCode.INTERNAL_ERROR,
            message="the server could not do that; it has been logged",
        )
    ctx.metrics.errors.labels(error.code).inc()
    log.info(
        "error conn=%s user=%s op=%s code=%s: %s",
        conn.id,
        conn.username,
        op,
        error.code,
        error.message,
    )
    return error
