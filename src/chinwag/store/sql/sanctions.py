"""Reading the mutes and bans in force: the lists moderators read, and a user's own mutes.

A mute is in force while its `until` is ahead of `now` (an expired one is left out); a
ban until it is lifted. A room's mutes are those of its members and those parked when
a muted member left (`room_mutes`: they come back with the member). Lists are newest
first (by when the sanction was set; those set before it was recorded come last).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, null, select
from sqlalchemy.engine import Connection

from chinwag.core import permissions
from chinwag.core.errors import forbidden, not_found
from chinwag.core.models import SanctionRecord
from chinwag.core.validation import canonical
from chinwag.store.records import Actor, Sanctions
from chinwag.store.sql import rooms
from chinwag.store.sql.actions import visible_room
from chinwag.store.sql.tables import members, room_bans, room_mutes, users
from chinwag.store.sql.users import authorize

#: The most mutes, and the most bans, one list holds.
LIMIT = 500

_by = users.alias("by_user")


def _select(table: Any, user_key: Any, by: Any, reason: Any, since: Any, until: Any) -> Select[Any]:
    """Rows of (user, display name, by, by's username, by's display name, reason, since,
    until) of `table`, whose sanctioned user is `user_key` and setter `by`."""
    return (
        select(
            users.c.username,
            users.c.display_name,
            by,
            _by.c.username,
            _by.c.display_name,
            reason,
            since,
            until if until is not None else null(),
        )
        .select_from(_with_user(table, user_key).outerjoin(_by, _by.c.key == by))
        .order_by(func.coalesce(since, 0).desc(), users.c.key)
    )


def _with_user(table: Any, user_key: Any) -> Any:
    """`table` joined to the sanctioned user's account (the server's own are on it)."""
    return table if table is users else table.join(users, users.c.key == user_key)


def _record(row: Any, room: str | None) -> SanctionRecord:
    return SanctionRecord(
        room=room,
        user=row[0],
        display_name=row[1],
        by=row[3] if row[3] is not None else row[2],
        by_display_name=row[4],
        reason=row[5],
        since=row[6] or None,
        until=row[7] or None,
    )


def _newest(records: list[SanctionRecord], limit: int) -> list[SanctionRecord]:
    records.sort(key=lambda r: (-(r.since or 0), canonical(r.user)))
    return records[:limit]


def _server_mutes(where: ColumnElement[bool]) -> Select[Any]:
    u = users.c
    return _select(users, u.key, u.mute_by, u.mute_reason, u.mute_ts, u.muted_until).where(where)


def _member_mutes(where: ColumnElement[bool]) -> Select[Any]:
    m = members.c
    return (
        _select(members, m.user_key, m.mute_by, m.mute_reason, m.mute_ts, m.muted_until)
        .add_columns(m.room_id)
        .where(where)
    )


def server_sanctions(
    conn: Connection, now: int, limit: int = LIMIT
) -> tuple[list[SanctionRecord], list[SanctionRecord]]:
    u = users.c
    mutes = conn.execute(_server_mutes(u.muted_until > now).limit(limit))
    bans = conn.execute(
        _select(users, u.key, u.ban_by, u.ban_reason, u.ban_ts, None).where(u.banned).limit(limit)
    )
    return [_record(row, None) for row in mutes], [_record(row, None) for row in bans]


def room_sanctions(
    conn: Connection, room_id: str, now: int, limit: int = LIMIT
) -> tuple[list[SanctionRecord], list[SanctionRecord]]:
    m, p, b = members.c, room_mutes.c, room_bans.c
    in_force = (m.room_id == room_id) & (m.muted_until > now)
    present = conn.execute(_member_mutes(in_force).limit(limit))
    parked = conn.execute(
        _select(room_mutes, p.user_key, p.mute_by, p.mute_reason, p.mute_ts, p.until)
        .where(p.room_id == room_id, p.until > now)
        .limit(limit)
    )
    bans = conn.execute(
        _select(room_bans, b.user_key, b.ban_by, b.reason, b.ts, None)
        .where(b.room_id == room_id)
        .limit(limit)
    )
    mutes = [_record(row, room_id) for row in (*present, *parked)]
    return _newest(mutes, limit), [_record(row, room_id) for row in bans]


def sanctions(
    conn: Connection, actor: Actor | None, room_id: str | None, now: int, limit: int = LIMIT
) -> Sanctions:
    """The mutes and bans in force in a room (`room_id`) or server-wide (None): for the
    room's owner (a member, not banned from it) and admins, server-wide for admins;
    `actor` None is the command line."""
    me = authorize(conn, actor) if actor is not None else None
    if room_id is None:
        if me is not None and not me.admin:
            raise forbidden("only server admins can list the server's mutes and bans")
        return Sanctions(None, *server_sanctions(conn, now, limit))
    if me is not None:
        room = visible_room(conn, room_id, me)
        if room.kind == "dm":
            raise forbidden("direct messages have no moderators")
        member = rooms.get_member(conn, room.id, me.username)
        banned = rooms.is_room_banned(conn, room.id, me.username)
        if not permissions.is_room_moderator(me, room, member=member, banned=banned):
            raise forbidden("only the room's owner or an admin can list its mutes and bans")
    else:
        found = rooms.get_room(conn, room_id)
        if found is None:
            raise not_found(f"no room {room_id!r}")
        room = found
    return Sanctions(room.id, *room_sanctions(conn, room.id, now, limit))


def mutes_of(conn: Connection, username: str, now: int) -> list[SanctionRecord]:
    """The mutes in force of `username`: server-wide, and in each room they are in."""
    key = canonical(username)
    server = conn.execute(_server_mutes((users.c.key == key) & (users.c.muted_until > now)))
    in_rooms = conn.execute(
        _member_mutes((members.c.user_key == key) & (members.c.muted_until > now))
    )
    return [
        *(_record(row, None) for row in server),
        *(_record(row, row[8]) for row in in_rooms),
    ]
