"""Use cases of accounts and sessions: register, log in, resume, log out, profiles."""

from __future__ import annotations

import logging
import time
from typing import NoReturn

from chinwag.core.errors import ChatError
from chinwag.core.models import UserRecord
from chinwag.core.validation import (
    GENERAL,
    canonical,
    check_color,
    check_display_name,
    check_password,
    check_username,
    default_color,
)
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import CloseCode, ErrorCode
from chinwag.protocol.events import UserUpdated
from chinwag.protocol.replies import AuthOk, Ok, UserOk, UsersOk
from chinwag.server.auth import new_token, token_hash
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.server.rooms import add_to_room, get_room
from chinwag.store.base import UsernameTaken

log = logging.getLogger("chinwag.accounts")

DAY_MS = 86_400_000


def _not_logged_in(conn: Connection) -> None:
    if conn.user_key is not None:
        raise ChatError(ErrorCode.ALREADY_AUTHENTICATED, "already logged in: log out first")


def _check_not_banned(user: UserRecord) -> None:
    if user.banned:
        reason = f": {user.ban_reason}" if user.ban_reason else ""
        raise ChatError(ErrorCode.BANNED, f"this account is banned{reason}")


async def create_account(
    ctx: Context, username: str, password: str, *, admin: bool | None = None
) -> UserRecord:
    """Validate, hash and store a new account, and put it in general. Shared by
    `register` and the admin command line."""
    check_username(username)
    check_password(password)
    password_hash = await ctx.hasher.hash(password)
    now = now_ms()
    try:
        user = await ctx.store.create_user(
            username,
            password_hash,
            display_name=username,
            color=default_color(username),
            now=now,
            admin=admin,
        )
    except UsernameTaken:
        raise ChatError(ErrorCode.USERNAME_TAKEN, f"the name {username!r} is taken") from None
    general = await get_room(ctx, GENERAL)
    await add_to_room(ctx, general, user.username, user.username, f"{user.username} joined")
    return user


async def _log_in(ctx: Context, conn: Connection, user: UserRecord, token: str) -> AuthOk:
    now = now_ms()
    digest = token_hash(token)
    rooms = [room.id for room in await ctx.store.rooms_of(user.username)]
    if GENERAL not in rooms:
        await ctx.store.add_member(GENERAL, user.username, role="member", now=now)
        rooms.append(GENERAL)
    first = ctx.hub.attach(conn, user, canonical(user.username), rooms)
    conn.token_hash = digest
    ctx.metrics.online_users.set(len(ctx.hub.users))
    log.info("login conn=%s user=%s addr=%s", conn.id, user.username, conn.remote)
    if first:
        await ctx.notifier.presence(user.username, online=True)
    return AuthOk(id=None, user=user.public(online=True), token=token)


async def register(ctx: Context, conn: Connection, req: rq.Register) -> AuthOk:
    _not_logged_in(conn)
    ctx.spend(conn)
    if not ctx.config.registration:
        raise ChatError(
            ErrorCode.REGISTRATION_CLOSED, "registration is closed on this server: ask an admin"
        )
    user = await create_account(ctx, req.username, req.password)
    token = new_token()
    await ctx.store.create_session(token_hash(token), user.username, now=now_ms())
    ctx.metrics.logins.labels("registered").inc()
    return await _log_in(ctx, conn, user, token)


def _throttled(ctx: Context, wait: float) -> NoReturn:
    ctx.metrics.logins.labels("throttled").inc()
    raise ChatError(
        ErrorCode.THROTTLED, f"too many failed attempts: try again in {wait:.0f} s", wait
    )


async def _check_password(
    ctx: Context, conn: Connection, username: str, password: str
) -> UserRecord:
    """The account, if `password` is right; throttled per account and per address."""
    account = canonical(username)
    gates = ctx.login_gates
    keys = (f"address:{conn.remote}", f"account:{account}")
    if gates.crowded(*keys):
        _throttled(ctx, 1.0)
    # A few checks at a time per address and per account: each failure is counted
    # before the next guess is let in, however many connections send them at once.
    async with gates.hold(keys[0]), gates.hold(keys[1]):
        wait = ctx.logins.retry_after(account, conn.remote, time.monotonic())
        if wait > 0:
            _throttled(ctx, wait)
        user = await ctx.store.get_user(username)
        if not await ctx.hasher.verify(user.password_hash if user else None, password) or not user:
            ctx.logins.failure(account, conn.remote, time.monotonic())
            ctx.metrics.logins.labels("failed").inc()
            log.info("login failed conn=%s user=%s addr=%s", conn.id, username, conn.remote)
            raise ChatError(ErrorCode.AUTH_FAILED, "wrong username or password")
        ctx.logins.success(account, conn.remote)
    if ctx.hasher.needs_rehash(user.password_hash):
        user = await ctx.store.update_user(
            user.username, password_hash=await ctx.hasher.hash(password)
        )
    return user


async def login(ctx: Context, conn: Connection, req: rq.Login) -> AuthOk:
    _not_logged_in(conn)
    ctx.spend(conn)
    user = await _check_password(ctx, conn, req.username, req.password)
    _check_not_banned(user)
    token = new_token()
    await ctx.store.create_session(token_hash(token), user.username, now=now_ms())
    ctx.metrics.logins.labels("ok").inc()
    return await _log_in(ctx, conn, user, token)


async def resume(ctx: Context, conn: Connection, req: rq.Resume) -> AuthOk:
    _not_logged_in(conn)
    user = await ctx.store.session_user(
        token_hash(req.token), now=now_ms(), max_idle=ctx.config.session_days * DAY_MS
    )
    if user is None:
        ctx.metrics.logins.labels("bad_token").inc()
        raise ChatError(ErrorCode.INVALID_TOKEN, "this session has ended: log in again")
    _check_not_banned(user)
    ctx.metrics.logins.labels("resumed").inc()
    return await _log_in(ctx, conn, user, req.token)


async def log_out(ctx: Context, conn: Connection) -> None:
    """Forget `conn`'s login (on logout or disconnect); presence goes offline with the
    user's last connection."""
    username = conn.username
    if username is None:
        return
    last = ctx.hub.detach(conn)
    ctx.metrics.online_users.set(len(ctx.hub.users))
    if last:
        await ctx.notifier.presence(username, online=False)


async def logout(ctx: Context, conn: Connection, req: rq.Logout) -> Ok:
    if conn.token_hash is not None:
        await ctx.store.delete_session(conn.token_hash)
    log.info("logout conn=%s user=%s", conn.id, conn.username)
    await log_out(ctx, conn)
    return Ok(id=None)


async def ping(ctx: Context, conn: Connection, req: rq.Ping) -> Ok:
    return Ok(id=None)


async def users(ctx: Context, conn: Connection, req: rq.Users) -> UsersOk:
    online = await ctx.notifier.bus.online_users()
    records = await ctx.store.list_users()
    return UsersOk(id=None, users=[u.public(online=u.username in online) for u in records])


async def update_profile(ctx: Context, conn: Connection, req: rq.UpdateProfile) -> UserOk:
    me = ctx.user(conn)
    display_name = check_display_name(req.display_name) if req.display_name is not None else None
    color = check_color(req.color) if req.color is not None else None
    user = await ctx.store.update_user(me.username, display_name=display_name, color=color)
    await ctx.notifier.user_changed(user.username)
    public = user.public(online=True)
    await ctx.notifier.to_all(UserUpdated(user=public))
    return UserOk(id=None, user=public)


async def change_password(ctx: Context, conn: Connection, req: rq.ChangePassword) -> Ok:
    me = ctx.user(conn)
    check_password(req.new)
    user = await _check_password(ctx, conn, me.username, req.old)
    await ctx.store.update_user(user.username, password_hash=await ctx.hasher.hash(req.new))
    await ctx.store.delete_sessions(user.username, keep=conn.token_hash)
    await ctx.notifier.disconnect(
        user.username, CloseCode.SESSION_REVOKED, "password changed", keep=conn.id
    )
    return Ok(id=None)
