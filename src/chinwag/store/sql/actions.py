"""Units of work done on someone's behalf: joining, leaving, inviting, creating and
changing rooms, opening DMs.

Each runs in one transaction that first checks, with `users.authorize`, that the actor's
session is live and the account not banned, then what the action needs (membership,
room bans, roles: the pure checks of `chinwag.core.permissions`), then acts: the
membership, the system message that says so, and the change-stream entries that tell
every node, all committed together or not at all. The result (`Acted`) lists the
changes and messages in the order the caller announces them.

Locks are taken in one order everywhere, so that concurrent transactions cannot
deadlock on PostgreSQL: sessions, then members, then the room's row (its member count
and message seq), then the change stream's counter, last.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from chinwag.core import notices, permissions
from chinwag.core.errors import ChatError, forbidden, not_found
from chinwag.core.models import RoomRecord, UserRecord
from chinwag.core.validation import canonical, dm_room_id
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.types import RoomKind
from chinwag.store.records import Acted, Actor, Budget
from chinwag.store.sql import budgets, changes, rooms
from chinwag.store.sql.messages import append_system
from chinwag.store.sql.users import authorize, get_user


def visible_room(conn: Connection, room_id: str, me: UserRecord) -> RoomRecord:
    """A room the user may know of: public ones, and the others only to members, so
    that the names of private rooms and DMs are not disclosed."""
    room = rooms.get_room(conn, room_id)
    if room is None or (
        room.kind != "public" and rooms.get_member(conn, room_id, me.username) is None
    ):
        raise not_found(f"no room {room_id!r}")
    return room


def _room(conn: Connection, room_id: str) -> RoomRecord:
    room = rooms.get_room(conn, room_id)
    assert room is not None  # read in this transaction, which has just written it
    return room


def join_room(conn: Connection, actor: Actor, room_id: str, now: int) -> Acted:
    me = authorize(conn, actor)
    room = visible_room(conn, room_id, me)
    if rooms.get_member(conn, room.id, me.username) is not None:
        return Acted(room=room)
    permissions.check_join(room, banned=rooms.is_room_banned(conn, room.id, me.username))
    rooms.insert_member(conn, room.id, canonical(me.username), "member", now)
    said = append_system(conn, room.id, me.username, notices.joined(me.username), now)
    drafts = [changes.draft("joined", me.username, room=room.id, actor=me.username, how="joined")]
    return Acted(
        steps=(*changes.log(conn, drafts, now), said), room=_room(conn, room.id), created=True
    )


def leave_room(conn: Connection, actor: Actor, room_id: str, now: int) -> Acted:
    me = authorize(conn, actor)
    room = visible_room(conn, room_id, me)
    permissions.check_leave(room)
    permissions.require_member(room.id, rooms.get_member(conn, room.id, me.username))
    rooms.delete_member(conn, room.id, canonical(me.username))
    said = append_system(conn, room.id, me.username, notices.left(me.username), now)
    drafts = [changes.draft("left", me.username, room=room.id, actor=me.username, how="left")]
    return Acted(steps=(said, *changes.log(conn, drafts, now)), room=_room(conn, room.id))


def invite(conn: Connection, actor: Actor, room_id: str, username: str, now: int) -> Acted:
    me = authorize(conn, actor)
    room = visible_room(conn, room_id, me)
    target = get_user(conn, username)
    if target is None:
        raise not_found(f"no user {username!r}")
    permissions.check_invite(
        room,
        rooms.get_member(conn, room.id, me.username),
        banned=rooms.is_room_banned(conn, room.id, target.username),
        inviter_banned=rooms.is_room_banned(conn, room.id, me.username),
    )
    if rooms.get_member(conn, room.id, target.username) is not None:
        raise ChatError(ErrorCode.CONFLICT, f"{target.username} is already in {room.name}")
    rooms.insert_member(conn, room.id, canonical(target.username), "member", now)
    said = append_system(
        conn, room.id, me.username, notices.added(me.username, target.username), now
    )
    drafts = [
        changes.draft("joined", target.username, room=room.id, actor=me.username, how="invited")
    ]
    return Acted(
        steps=(*changes.log(conn, drafts, now), said), room=_room(conn, room.id), created=True
    )


def open_room(
    conn: Connection,
    actor: Actor,
    slug: str,
    name: str,
    kind: RoomKind,
    topic: str,
    now: int,
    budget: Budget | None = None,
) -> Acted:
    """Create a room owned by the actor (its id picked by `rooms.new_room`); a public
    one not while the actor is muted server-wide; none past the actor's `budget` of
    rooms created (its key is ignored: the actor's own rooms are counted)."""
    me = authorize(conn, actor)
    permissions.check_create_room(now, me, private=kind == "private")
    if budget is not None:
        mine = Budget(canonical(me.username), budget.count, budget.window_ms)
        rooms.lock_user(conn, mine.key)  # the actor's concurrent creations count in turn
        budgets.check_named(conn, "rooms", mine, now)
    room, joined = rooms.new_room(conn, slug, name, kind, me.username, topic, now)
    said = append_system(conn, room.id, me.username, notices.created(me.username, name), now)
    logged = changes.log(conn, [joined], now)
    return Acted(steps=(*logged, said), room=_room(conn, room.id), created=True)


def open_direct(conn: Connection, actor: Actor, username: str, now: int) -> Acted:
    """Get or create the actor's DM with `username`; both are members."""
    me = authorize(conn, actor)
    other = get_user(conn, username)
    if other is None:
        raise not_found(f"no user {username!r}")
    if canonical(other.username) == canonical(me.username):
        raise forbidden("a direct message needs someone else")
    room_id = dm_room_id(me.username, other.username)
    room, created, drafts = rooms.ensure_dm(conn, room_id, me.username, other.username, now)
    return Acted(steps=tuple(changes.log(conn, drafts, now)), room=room, created=created)


def change_room(
    conn: Connection, actor: Actor, room_id: str, name: str | None, topic: str | None, now: int
) -> Acted:
    """Rename a room and/or change its topic: its owner (while a member, not banned
    from it) or an admin; not while muted there or server-wide."""
    me = authorize(conn, actor)
    room = visible_room(conn, room_id, me)
    permissions.check_update_room(
        now,
        me,
        room,
        member=rooms.get_member(conn, room.id, me.username),
        banned=rooms.is_room_banned(conn, room.id, me.username),
    )
    values = {k: v for k, v in (("name", name), ("topic", topic)) if v is not None}
    text = notices.room_changed(me.username, name=name, topic=topic)
    if not values or text is None:
        return Acted(room=room)
    rooms.update_room(conn, room.id, values)
    said = append_system(conn, room.id, me.username, text, now)
    return Acted(steps=(said,), room=_room(conn, room.id))
