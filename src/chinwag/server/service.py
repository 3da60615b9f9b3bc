"""Routes each request to its use case, and maps every failure to one wire error."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chinwag.core.errors import ChatError
from chinwag.protocol import requests as rq
from chinwag.protocol.codec import ProtocolError, request_type
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.replies import Error, Reply
from chinwag.server import accounts, conversations, messaging, moderation, rooms
from chinwag.server.context import Context
from chinwag.server.hub import Connection
from chinwag.store.conversations import Refused
from chinwag.store.records import Banned, CannotWrite, NoSuchRecord, OverBudget, SessionEnded

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
    rq.ModerationList: moderation.sanctions,
    rq.React: conversations.react,
    rq.Pin: conversations.pin,
    rq.Unpin: conversations.unpin,
    rq.Pins: conversations.pins,
    rq.Thread: conversations.thread,
    rq.Threads: conversations.threads,
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
        if ctx.unstored.pending and conn.token_hash in ctx.unstored.pending:
            await accounts.store_waiting_session(ctx, conn)
        reply = await HANDLERS[type(req)](ctx, conn, req)
        reply.id = req.id
    except Exception as exc:
        if isinstance(exc, SessionEnded | Banned) and conn.user_key is not None:
            # The session ended under a live connection: apply the change that ended it,
            # which closes this connection with its own code and reason (a password
            # change, a ban, a kick) before this generic refusal, which is then dropped.
            await ctx.feed.settle()
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
    exc = _domain_error(exc, op)
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


#: The retry_after of a request refused because the database cannot be written.
CANNOT_WRITE_RETRY_AFTER = 10.0
#: What a user is told when a budget the database counts is spent.
_OVER_BUDGET = {
    "registrations": "too many accounts were registered from your address lately",
    "rooms": "you have created as many rooms today as one account may",
}


def _wait_words(seconds: float) -> str:
    """A wait as people say it, rounded up: "40 s", "3 minutes", "2 hours"."""
    if seconds <= 90:
        return f"{max(1, math.ceil(seconds))} s"
    if seconds <= 90 * 60:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


#: Why the database cannot be written, as the user is told.
_CANNOT_WRITE = {"full": "its disk is full", "read_only": "its database is read-only"}


def _domain_error(exc: BaseException, op: str | None = None) -> BaseException:
    """The store's refusals that mean the same in every use case, as domain errors."""
    if isinstance(exc, CannotWrite):
        # Logged once per episode by the store, not here once per request.
        what = "messages" if op in ("send", "edit_message") else "anything"
        return ChatError(
            ErrorCode.UNAVAILABLE,
            f"the server cannot store {what} right now: {_CANNOT_WRITE[exc.reason]}",
            CANNOT_WRITE_RETRY_AFTER,
        )
    if isinstance(exc, SessionEnded):
        return ChatError(ErrorCode.INVALID_TOKEN, "this session has ended: log in again")
    if isinstance(exc, Banned):
        reason = f": {exc.reason}" if exc.reason else ""
        return ChatError(ErrorCode.BANNED, f"this account is banned{reason}")
    if isinstance(exc, OverBudget):
        when = _wait_words(exc.retry_after)
        message = f"{_OVER_BUDGET[exc.what]}: try again in {when}"
        return ChatError(ErrorCode.RATE_LIMITED, message, exc.retry_after)
    if isinstance(exc, NoSuchRecord):
        return ChatError(ErrorCode.NOT_FOUND, str(exc))
    if isinstance(exc, Refused):
        return ChatError(ErrorCode(exc.code), exc.message)
    return exc
