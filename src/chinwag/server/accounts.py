"""Use cases of accounts and sessions: register, log in, resume, log out, profiles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import NoReturn

from chinwag.core.errors import ChatError
from chinwag.core.models import UserRecord
from chinwag.core.ratelimit import throttle_address
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
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode, ErrorCode
from chinwag.protocol.events import ServerNotice, UserUpdated
from chinwag.protocol.replies import AuthOk, Ok, UserOk, UsersOk
from chinwag.server.auth import new_token, token_hash
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.server.unstored import Unstored
from chinwag.store.records import Actor, Banned, Budget, CannotWrite, NameTaken, UsernameTaken

log = logging.getLogger("chinwag.accounts")

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: retry_after of a login refused because the account has `max_per_user` connections.
USER_CAP_RETRY = 30.0


def _not_logged_in(conn: Connection) -> None:
    if conn.user_key is not None:
        raise ChatError(ErrorCode.ALREADY_AUTHENTICATED, "already logged in: log out first")


def _banned(reason: str) -> ChatError:
    return ChatError(ErrorCode.BANNED, f"this account is banned{': ' + reason if reason else ''}")


def _check_not_banned(user: UserRecord) -> None:
    if user.banned:
        raise _banned(user.ban_reason)


async def create_account(
    ctx: Context,
    username: str,
    password: str,
    *,
    admin: bool | None = None,
    registrations: Budget | None = None,
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
            registrations=registrations,
        )
    except (UsernameTaken, NameTaken):
        raise ChatError(
            ErrorCode.USERNAME_TAKEN,
            f"the name {username!r} is taken: someone else goes by it, or by a name that"
            " looks the same",
        ) from None
    acted = await ctx.store.join_room(Actor(user.username), GENERAL, now=now)
    await ctx.announce(acted)
    return user


#: How often a login re-reads its account when the change stream moved meanwhile.
SETTLE_TRIES = 5


def _address(conn: Connection) -> str:
    """The connection's address as the login throttle and the known addresses count it."""
    return throttle_address(conn.remote)


def _known_since(ctx: Context) -> int:
    """Addresses last used before this (ms) are no longer known to an account."""
    return now_ms() - ctx.config.known_address_days * DAY_MS


async def _log_in(
    ctx: Context, conn: Connection, user: UserRecord, token: str, *, stored: bool = True
) -> AuthOk:
    """Register `conn` as logged in, then read the account and its rooms: from then on
    every change of the stream reaches this connection, and everything before was read.
    A session ended (a ban, a kick, a password change) between the check of the
    password and now is seen here, and the login refused. A session that could not be
    `stored` (the database refuses writes) is for this connection only."""
    digest = token_hash(token)
    key = canonical(user.username)
    crowded = ctx.doors.check_user(key)
    if crowded is not None:
        raise ChatError(ErrorCode.RATE_LIMITED, crowded, USER_CAP_RETRY)
    conn.token_hash = digest
    first = ctx.hub.attach(conn, user, key, ())
    try:
        for _ in range(SETTLE_TRIES):
            seen = ctx.feed.cursor
            state = await ctx.store.session_state(digest, user.username)
            if ctx.feed.cursor == seen:
                break  # no change was applied while reading: nothing was missed
        if state is None or (stored and not state.live):
            if state is not None and state.user.banned:
                _check_not_banned(state.user)
            raise ChatError(ErrorCode.INVALID_TOKEN, "this session has ended: log in again")
        _check_not_banned(state.user)
        rooms = state.rooms
        if GENERAL not in rooms and stored:
            try:
                acted = await ctx.store.join_room(
                    Actor(user.username, digest), GENERAL, now=now_ms()
                )
            except CannotWrite:
                pass  # joined at a later login, once the database takes writes again
            else:
                await ctx.announce(acted)
                rooms = [*rooms, GENERAL]
    except BaseException:
        ctx.hub.detach(conn)
        raise
    ctx.hub.attach(conn, state.user, key, rooms)
    ctx.doors.logged_in(key)
    if conn.deadline is not None:
        conn.deadline.cancel()
        conn.deadline = None
    ctx.metrics.online_users.set(len(ctx.hub.users))
    log.info("login conn=%s user=%s addr=%s", conn.id, user.username, conn.remote)
    if first:
        ctx.notifier.presence(user.username, online=True)
    ctx.feed.mutes.logged_in(conn, state.user.username)
    return AuthOk(id=None, user=state.user.public(online=True), token=token)


async def register(ctx: Context, conn: Connection, req: rq.Register) -> AuthOk:
    _not_logged_in(conn)
    ctx.spend(conn)
    if not ctx.config.registration:
        raise ChatError(
            ErrorCode.REGISTRATION_CLOSED, "registration is closed on this server: ask an admin"
        )
    budget = None
    if ctx.config.registrations_per_hour:
        budget = Budget(_address(conn), ctx.config.registrations_per_hour, HOUR_MS)
        # before the password is hashed (the costly part); the transaction checks again
        await ctx.store.check_budget("registrations", budget, now=now_ms())
    user = await create_account(ctx, req.username, req.password, registrations=budget)
    token = new_token()
    await ctx.store.create_session(
        token_hash(token),
        user.username,
        now=now_ms(),
        address=_address(conn),
        known_since=_known_since(ctx),
    )
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
    """The account, if `password` is right; throttled (see `LoginRules`): an address the
    account is known to use meets only its own failures for it, any other address also
    the address's failures and the account's from such addresses."""
    account = canonical(username)
    address = _address(conn)
    known = await ctx.store.known_address(account, address, since=_known_since(ctx))
    # A few checks at a time per key, the others waiting their turn: the owner's own
    # address has a lane of its own, strangers queue per address and per account.
    keys = (f"pair:{account}@{address}",) if known else (f"address:{address}", f"account:{account}")
    gates = ctx.login_gates
    if gates.crowded(*keys):
        _throttled(ctx, 1.0)
    async with contextlib.AsyncExitStack() as held:
        for key in keys:
            await held.enter_async_context(gates.hold(key))
        # Counted as a failure before the password is checked, so that attempts made
        # meanwhile, on this node or another, see it; taken back if it was right.
        attempt = await ctx.logins.attempt(account, address, known=known)
        if attempt.wait > 0:
            _throttled(ctx, attempt.wait)
        try:
            user = await ctx.store.get_user(username)
            right = await ctx.hasher.verify(user.password_hash if user else None, password)
        except BaseException:
            await asyncio.shield(ctx.logins.abandoned(attempt))
            raise
        if not right or user is None:
            await ctx.logins.failed(attempt)
            ctx.metrics.logins.labels("failed").inc()
            log.info("login failed conn=%s user=%s addr=%s", conn.id, username, conn.remote)
            raise ChatError(ErrorCode.AUTH_FAILED, "wrong username or password")
        await ctx.logins.succeeded(attempt)
    if ctx.hasher.needs_rehash(user.password_hash):
        with contextlib.suppress(CannotWrite):  # else rehashed at a later login
            user = await ctx.store.update_user(
                user.username, password_hash=await ctx.hasher.hash(password)
            )
    return user


#: What a connection logged in while the database refuses writes is told.
_NOT_STORED = {
    "full": "its disk is full",
    "read_only": "its database is read-only",
}


async def login(ctx: Context, conn: Connection, req: rq.Login) -> AuthOk:
    _not_logged_in(conn)
    ctx.spend(conn)
    user = await _check_password(ctx, conn, req.username, req.password)
    _check_not_banned(user)
    token = new_token()
    now = now_ms()
    try:
        await ctx.store.create_session(
            token_hash(token),
            user.username,
            now=now,
            address=_address(conn),
            known_since=_known_since(ctx),
        )
    except Banned as exc:  # banned since the password was checked
        raise _banned(exc.reason) from None
    except CannotWrite as exc:
        return await _log_in_unstored(ctx, conn, user, token, now, exc)
    ctx.metrics.logins.labels("ok").inc()
    return await _log_in(ctx, conn, user, token)


async def _log_in_unstored(
    ctx: Context, conn: Connection, user: UserRecord, token: str, now: int, exc: CannotWrite
) -> AuthOk:
    """The password is right and everything a login reads can be read, but the session
    cannot be stored: this node keeps it until it can (see `UnstoredSessions`)."""
    session = Unstored(
        digest=token_hash(token),
        username=user.username,
        password_hash=user.password_hash,
        since=ctx.feed.cursor,
        created=now,
        address=_address(conn),
    )
    if not ctx.unstored.add(session):
        raise exc  # too many waiting already: unavailable, saying why
    try:
        reply = await _log_in(ctx, conn, user, token, stored=False)
    except BaseException:
        ctx.unstored.drop(session.digest)
        raise
    ctx.metrics.logins.labels("unstored").inc()
    notice = ServerNotice(
        text=(
            f"The server cannot store anything right now ({_NOT_STORED[exc.reason]}). "
            "You are logged in, and stay logged in here when you reconnect; messages "
            "cannot be sent until the server can store them again."
        )
    )
    # After the reply, which the connection's worker sends as soon as this returns.
    asyncio.get_running_loop().call_soon(ctx.hub.send, conn, encode(notice))
    return reply


async def store_waiting_session(ctx: Context, conn: Connection) -> None:
    """Before a request on a connection whose session waits to be stored: store it now
    if the database takes writes again, so that the request finds it."""
    if conn.token_hash is not None:
        with contextlib.suppress(CannotWrite):
            await ctx.unstored.store(conn.token_hash)


async def resume(ctx: Context, conn: Connection, req: rq.Resume) -> AuthOk:
    _not_logged_in(conn)
    digest = token_hash(req.token)
    waiting = ctx.unstored.get(digest)
    if waiting is not None:
        try:
            stored = await ctx.unstored.store(digest)
        except CannotWrite:
            user = await ctx.store.get_user(waiting.username)
            if user is not None:
                _check_not_banned(user)
                ctx.metrics.logins.labels("resumed").inc()
                return await _log_in(ctx, conn, user, req.token, stored=False)
            stored = False
        if not stored:
            ctx.metrics.logins.labels("bad_token").inc()
            raise ChatError(ErrorCode.INVALID_TOKEN, "this session has ended: log in again")
    now = now_ms()
    max_idle = ctx.config.session_days * DAY_MS
    try:
        user = await ctx.store.session_user(
            digest,
            now=now,
            max_idle=max_idle,
            address=_address(conn),
            known_since=_known_since(ctx),
        )
    except CannotWrite:
        # A full or read-only database cannot mark the session used: a live session
        # still logs in (it is marked at its next resume).
        user = await ctx.store.session_user(digest, now=now, max_idle=max_idle, touch=False)
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
    key = conn.user_key
    last = ctx.hub.detach(conn)
    if key is not None:
        ctx.doors.logged_out(key)
    ctx.metrics.online_users.set(len(ctx.hub.users))
    if last:
        ctx.notifier.presence(username, online=False)
        ctx.forget_rates()


async def logout(ctx: Context, conn: Connection, req: rq.Logout) -> Ok:
    digest = conn.token_hash
    if digest is not None and ctx.unstored.get(digest) is not None:
        ctx.unstored.drop(digest)  # never stored: nothing to delete
    elif digest is not None:
        await ctx.store.delete_session(digest)
    log.info("logout conn=%s user=%s", conn.id, conn.username)
    await log_out(ctx, conn)
    arm_login_deadline(ctx, conn)  # not logged in again: the same deadline as a new one
    return Ok(id=None)


def arm_login_deadline(ctx: Context, conn: Connection) -> None:
    """Close `conn` with 1008 unless it has logged in within `login_timeout` s."""
    timeout = ctx.config.login_timeout
    if timeout <= 0:
        return
    if conn.deadline is not None:
        conn.deadline.cancel()
    conn.deadline = asyncio.get_running_loop().call_later(timeout, _past_deadline, ctx, conn)


def _past_deadline(ctx: Context, conn: Connection) -> None:
    conn.deadline = None
    if conn.user_key is None and not conn.closing:
        ctx.doors.count("login_timeout", conn.remote)
        ctx.hub.close(
            conn,
            CloseCode.POLICY_VIOLATION,
            f"log in within {ctx.config.login_timeout:g} s of connecting",
        )


async def ping(ctx: Context, conn: Connection, req: rq.Ping) -> Ok:
    return Ok(id=None)


async def users(ctx: Context, conn: Connection, req: rq.Users) -> UsersOk:
    """A page of accounts by username; `next` is the last one's canonical name."""
    online = ctx.notifier.bus.online_users()
    found = await ctx.store.list_users(
        after=req.cursor, limit=req.limit + 1, reader=ctx.reader(conn)
    )
    page = found[: req.limit]
    return UsersOk(
        id=None,
        users=[u.public(online=u.username in online) for u in page],
        next=canonical(page[-1].username) if len(found) > req.limit else None,
    )


async def update_profile(ctx: Context, conn: Connection, req: rq.UpdateProfile) -> UserOk:
    display_name = check_display_name(req.display_name) if req.display_name is not None else None
    color = check_color(req.color) if req.color is not None else None
    try:
        acted = await ctx.store.update_profile(
            ctx.actor(conn), display_name=display_name, color=color, now=now_ms()
        )
    except NameTaken as exc:
        raise ChatError(
            ErrorCode.CONFLICT,
            f"the name {exc.name!r} is taken: someone else goes by it, or by a name that"
            " looks the same",
        ) from None
    await ctx.announce(acted)
    assert acted.user is not None
    public = acted.user.public(online=True)
    ctx.notifier.to_all(UserUpdated(user=public))
    return UserOk(id=None, user=public)


async def change_password(ctx: Context, conn: Connection, req: rq.ChangePassword) -> Ok:
    me = ctx.user(conn)
    check_password(req.new)
    await _check_password(ctx, conn, me.username, req.old)
    acted = await ctx.store.change_password(ctx.actor(conn), await ctx.hasher.hash(req.new))
    await ctx.announce(acted)
    return Ok(id=None)
