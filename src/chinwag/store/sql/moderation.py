"""Units of work of moderation and of one's own account, each decided in its transaction.

Who may moderate whom is checked (`chinwag.core.permissions.check_moderation`) against
the records as this transaction reads them, and the action, its system message and its
change-stream entries commit together. See `actions` for the order locks are taken in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chinwag.core import notices, permissions
from chinwag.core.errors import ChatError, forbidden, not_found
from chinwag.core.models import Change, RoomRecord, UserRecord
from chinwag.core.validation import GENERAL, canonical
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.types import Message
from chinwag.store.records import Acted, Actor, Moderation
from chinwag.store.sql import changes, rooms, tables
from chinwag.store.sql.actions import visible_room
from chinwag.store.sql.messages import append_system
from chinwag.store.sql.users import authorize, change_user, end_sessions, get_user


def moderate(
    conn: Connection,
    actor: Actor | None,
    action: Moderation,
    username: str,
    room_id: str | None,
    reason: str,
    seconds: int,
    now: int,
) -> Acted:
    """Kick, ban, unban or mute `username` server-wide (`room_id` None: admins only) or
    in a room (its owner or an admin). A mute lasts `seconds` (0: unmute). `actor` None
    is the command line, which only lifts bans and mutes. Lifting what is not there is
    refused with `no_change`, before anything is written or announced."""
    me = None
    if actor is not None:
        me = authorize(conn, actor)
    elif action not in ("unban", "mute") or seconds:
        raise forbidden("the command line only lifts bans and mutes")
    target = get_user(conn, username)
    if target is None:
        raise not_found(f"no user {username!r}")
    if me is not None:
        room = visible_room(conn, room_id, me) if room_id is not None else None
    else:
        room = rooms.get_room(conn, room_id) if room_id is not None else None
        if room_id is not None and room is None:
            raise not_found(f"no room {room_id!r}")
    if me is not None and room is None:
        permissions.check_moderation(me, target, None)
    elif me is not None and room is not None:
        permissions.check_moderation(
            me,
            target,
            room,
            member=rooms.get_member(conn, room.id, me.username),
            banned=rooms.is_room_banned(conn, room.id, me.username),
            now_ms=now,
        )
    if room is not None and room.id == GENERAL and action in ("kick", "ban"):
        raise forbidden(f"everyone is in general: {action} them from the server instead")
    _refuse_no_change(conn, action, target, room, seconds, now)
    # A system message needs an account as its sender: the command line's are the
    # target's own ("bob was unmuted by the server's operator").
    who = me.username if me is not None else None
    whom = target.username
    by = canonical(who) if who is not None else None
    drafts: list[Change] = []
    texts: dict[Moderation, str] = {
        "kick": notices.kicked(who or "", whom, reason),
        "ban": notices.banned(who or "", whom, reason),
        "unban": notices.unbanned(who, whom),
        "mute": notices.muted(who, whom, seconds, reason),
    }
    until = now + seconds * 1000 if seconds else 0
    sender = who or whom
    if action == "mute":
        how = "muted" if seconds else "unmuted"
        scope = room.id if room is not None else None
        drafts.append(changes.draft("muted", whom, room=scope, actor=who, how=how))
    if room is None:
        if action == "kick":
            drafts += end_sessions(conn, whom, None, how="kicked", actor=who, reason=reason)
        elif action == "ban":
            values = {"banned": True, "ban_reason": reason, "ban_by": by, "ban_ts": now}
            drafts += change_user(conn, whom, values)[1]
            drafts += end_sessions(conn, whom, None, how="banned", actor=who, reason=reason)
        elif action == "unban":
            values = {"banned": False, "ban_reason": "", "ban_by": None, "ban_ts": None}
            drafts += change_user(conn, whom, values)[1]
        else:
            drafts += change_user(conn, whom, _mute_values(until, by, reason, now))[1]
        said = append_system(conn, GENERAL, sender, texts[action], now)
        return Acted(steps=(said, *changes.log(conn, drafts, now)))
    member = rooms.get_member(conn, room.id, whom) is not None
    if (action == "kick" or (action == "mute" and seconds)) and not member:
        raise ChatError(ErrorCode.NOT_MEMBER, f"{target.display_name} is not in {room.name}")
    if action == "ban":
        rooms.set_room_ban(conn, room.id, whom, True, reason, now, by=by)
    elif action == "unban":
        rooms.set_room_ban(conn, room.id, whom, False, "", now)
    elif action == "mute":
        rooms.set_mute(conn, room.id, whom, _mute_values(until, by, reason, now))
    if action in ("kick", "ban") and member:
        rooms.delete_member(conn, room.id, canonical(whom))
        how = "kicked" if action == "kick" else "banned"
        drafts.append(changes.draft("left", whom, room=room.id, actor=who, how=how, reason=reason))
    said = append_system(conn, room.id, sender, texts[action], now)
    steps: tuple[Change | Message, ...] = (said, *changes.log(conn, drafts, now))
    return Acted(steps=steps, room=rooms.get_room(conn, room.id))


def _mute_values(until: int, by: str | None, reason: str, now: int) -> dict[str, Any]:
    if not until:
        return {"muted_until": 0, "mute_by": None, "mute_reason": "", "mute_ts": None}
    return {"muted_until": until, "mute_by": by, "mute_reason": reason, "mute_ts": now}


def _refuse_no_change(
    conn: Connection,
    action: Moderation,
    target: UserRecord,
    room: RoomRecord | None,
    seconds: int,
    now: int,
) -> None:
    """Lifting a ban or a mute that is not there (in this scope) changes nothing: say so
    rather than announce it. The row read is locked until the transaction ends (on
    PostgreSQL), so that of two lifts at once, the second sees the first's and is
    refused."""
    if action == "unban":
        what, state = "ban", "banned"
    elif action == "mute" and not seconds:
        what, state = "mute", "muted"
    else:
        return
    if not _lifting(conn, what, target, room, now):
        raise _no_change(f"{target.display_name} is not {state} {_where(room)}")


def _lifting(
    conn: Connection, what: str, target: UserRecord, room: RoomRecord | None, now: int
) -> bool:
    """Whether `target` is banned (`what` "ban") or muted at `now` in `room` (None:
    server-wide), read with a row lock."""
    key = canonical(target.username)
    if room is None:
        column = tables.users.c.banned if what == "ban" else tables.users.c.muted_until > now
        found = conn.execute(
            select(column).where(tables.users.c.key == key).with_for_update()
        ).scalar()
        return bool(found)
    if what == "ban":
        bans = tables.room_bans.c
        where = (bans.room_id == room.id) & (bans.user_key == key)
        return conn.execute(select(bans.ts).where(where).with_for_update()).first() is not None
    members, parked = tables.members.c, tables.room_mutes.c
    until = conn.execute(
        select(members.muted_until)
        .where(members.room_id == room.id, members.user_key == key)
        .with_for_update()
    ).scalar()
    if until is None:  # not in the room: a mute parked when they left
        until = conn.execute(
            select(parked.until)
            .where(parked.room_id == room.id, parked.user_key == key)
            .with_for_update()
        ).scalar()
    return bool(until and until > now)


def _no_change(message: str) -> ChatError:
    return ChatError(ErrorCode.NO_CHANGE, message)


def _where(room: RoomRecord | None) -> str:
    return "on this server" if room is None else "in this room"


def update_profile(conn: Connection, actor: Actor, values: dict[str, Any], now: int) -> Acted:
    """Change the actor's own display name (not while muted server-wide: everyone sees
    it; not to a name that passes for someone else's, `NameTaken`) or colour."""
    me = authorize(conn, actor)
    if values.get("display_name", me.display_name) != me.display_name:
        permissions.check_display_name_change(now, me)
    user, drafts = change_user(conn, me.username, values)
    return Acted(steps=tuple(changes.log(conn, drafts, None)), user=user)


def change_password(conn: Connection, actor: Actor, password_hash: str) -> Acted:
    """Set the actor's password and end their other sessions (not `actor.session`)."""
    me = authorize(conn, actor)
    user, _ = change_user(conn, me.username, {"password_hash": password_hash})
    drafts = end_sessions(
        conn, me.username, actor.session, how="revoked", reason="password changed"
    )
    return Acted(steps=tuple(changes.log(conn, drafts, None)), user=user)
