"""Units of work on rooms, membership, room bans and room mutes."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import bindparam, case, delete, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from chinwag.core.models import MemberRecord, RoomRecord
from chinwag.core.validation import canonical
from chinwag.protocol.types import RoomKind, RoomRole
from chinwag.store.base import NoSuchRecord, StoreError
from chinwag.store.sql.dialect import insert_ignore, upsert
from chinwag.store.sql.tables import members, room_bans, room_mutes, rooms, users


def room_record(row: Any) -> RoomRecord:
    return RoomRecord(
        id=row.id,
        name=row.name,
        kind=cast(RoomKind, row.kind),
        topic=row.topic,
        owner=row.owner,
        last_seq=row.last_seq,
        member_count=row.member_count,
        created_ts=row.created_ts,
        dm_users=[row.dm_user_a, row.dm_user_b] if row.dm_user_a is not None else [],
        last_change=row.last_change,
    )


def member_record(row: Any) -> MemberRecord:
    """A member from a row of `_MEMBER_COLUMNS` (by position: faster than by name)."""
    return MemberRecord(room=row[0], user=row[1], role=row[2], muted_until=row[3], joined_ts=row[4])


_MEMBER_COLUMNS = (
    members.c.room_id,
    users.c.username,
    members.c.role,
    members.c.muted_until,
    members.c.joined_ts,
)
_MEMBERS = members.join(users, users.c.key == members.c.user_key)
_GET_MEMBER = (
    select(*_MEMBER_COLUMNS)
    .select_from(_MEMBERS)
    .where(members.c.room_id == bindparam("room"), members.c.user_key == bindparam("key"))
)


def _new_room(room_id: str, name: str, kind: RoomKind, now: int, **more: Any) -> dict[str, Any]:
    values = {
        "id": room_id,
        "name": name,
        "kind": kind,
        "topic": "",
        "owner": None,
        "last_seq": 0,
        "member_count": 0,
        "created_ts": now,
        "dm_user_a": None,
        "dm_user_b": None,
    }
    values.update(more)
    return values


def _select_room(conn: Connection, room_id: str) -> Any:
    return conn.execute(select(rooms).where(rooms.c.id == room_id)).first()


def _count_members(conn: Connection, room_id: str, delta: int) -> Any:
    stmt = (
        update(rooms)
        .where(rooms.c.id == room_id)
        .values(member_count=rooms.c.member_count + delta)
        .returning(*rooms.c)
    )
    return conn.execute(stmt).one()


def _insert_member(conn: Connection, room_id: str, key: str, role: RoomRole, now: int) -> bool:
    """Insert a membership unless it exists; True if inserted. The room and the user
    must exist (IntegrityError otherwise)."""
    stmt = insert_ignore(conn.dialect.name, members, ("room_id", "user_key")).values(
        room_id=room_id, user_key=key, role=role, muted_until=0, joined_ts=now
    )
    return conn.execute(stmt.returning(members.c.user_key)).first() is not None


def ensure_room(conn: Connection, room_id: str, name: str, kind: RoomKind, now: int) -> RoomRecord:
    values = _new_room(room_id, name, kind, now)
    conn.execute(insert_ignore(conn.dialect.name, rooms, ("id",)).values(values))
    return room_record(_select_room(conn, room_id))


def create_room(
    conn: Connection, slug: str, name: str, kind: RoomKind, owner: str, topic: str, now: int
) -> RoomRecord:
    key = canonical(owner)
    owner_name = conn.scalar(select(users.c.username).where(users.c.key == key))
    if owner_name is None:
        raise NoSuchRecord(f"no user {owner!r}")
    similar = or_(rooms.c.id == slug, rooms.c.id.startswith(f"{slug}-", autoescape=True))
    taken = set(conn.scalars(select(rooms.c.id).where(similar)))
    values = _new_room(slug, name, kind, now, topic=topic, owner=owner_name, member_count=1)
    insert = insert_ignore(conn.dialect.name, rooms, ("id",))
    n = 1
    while True:
        candidate = slug if n == 1 else f"{slug}-{n}"
        n += 1
        if candidate in taken:
            continue
        values["id"] = candidate
        # Ignored only if a concurrent transaction took the id after our look.
        row = conn.execute(insert.values(values).returning(*rooms.c)).first()
        if row is not None:
            break
    _insert_member(conn, candidate, key, "owner", now)
    return room_record(row)


def open_dm(
    conn: Connection, room_id: str, user_a: str, user_b: str, now: int
) -> tuple[RoomRecord, bool]:
    keys = sorted({canonical(user_a), canonical(user_b)})
    found = conn.execute(select(users.c.key, users.c.username).where(users.c.key.in_(keys)))
    names = {row.key: row.username for row in found}
    for user in (user_a, user_b):
        if canonical(user) not in names:
            raise NoSuchRecord(f"no user {user!r}")
    pair = (names[keys[0]], names[keys[-1]])
    values = _new_room(room_id, f"{pair[0]}, {pair[1]}", "dm", now)
    values.update(dm_user_a=pair[0], dm_user_b=pair[1])
    stmt = insert_ignore(conn.dialect.name, rooms, ("id",)).values(values)
    created = conn.execute(stmt.returning(rooms.c.id)).first() is not None
    row = _select_room(conn, room_id)
    held = sorted({canonical(u) for u in (row.dm_user_a, row.dm_user_b) if u is not None})
    if row.kind != "dm" or held != keys:
        raise StoreError(f"room {room_id!r} exists and is not the DM of {pair[0]}, {pair[1]}")
    # Both are members, also when the room existed and one of them had been removed.
    added = sum(_insert_member(conn, room_id, key, "member", now) for key in keys)
    if added:
        row = _count_members(conn, room_id, added)
    return room_record(row), created


def get_room(conn: Connection, room_id: str) -> RoomRecord | None:
    row = _select_room(conn, room_id)
    return None if row is None else room_record(row)


def update_room(conn: Connection, room_id: str, values: dict[str, Any]) -> RoomRecord:
    if values:
        stmt = update(rooms).where(rooms.c.id == room_id).values(values).returning(*rooms.c)
        row = conn.execute(stmt).first()
    else:
        row = _select_room(conn, room_id)
    if row is None:
        raise NoSuchRecord(f"no room {room_id!r}")
    return room_record(row)


def rooms_of(conn: Connection, username: str) -> list[RoomRecord]:
    stmt = (
        select(rooms)
        .join(members, members.c.room_id == rooms.c.id)
        .where(members.c.user_key == canonical(username))
        .order_by(rooms.c.id)
    )
    return [room_record(row) for row in conn.execute(stmt)]


def public_rooms(conn: Connection) -> list[RoomRecord]:
    stmt = select(rooms).where(rooms.c.kind == "public").order_by(rooms.c.id)
    return [room_record(row) for row in conn.execute(stmt)]


def add_member(conn: Connection, room_id: str, username: str, role: RoomRole, now: int) -> bool:
    try:
        added = _insert_member(conn, room_id, canonical(username), role, now)
    except IntegrityError:  # a foreign key: no such room or user
        raise NoSuchRecord(f"no room {room_id!r} or no user {username!r}") from None
    if added:
        _count_members(conn, room_id, 1)
        _restore_mute(conn, room_id, canonical(username))
    return added


def _restore_mute(conn: Connection, room_id: str, key: str) -> None:
    """Take back the mute parked when the user left this room, if any."""
    where = (room_mutes.c.room_id == room_id) & (room_mutes.c.user_key == key)
    until = conn.execute(delete(room_mutes).where(where).returning(room_mutes.c.until)).scalar()
    if until:
        conn.execute(
            update(members)
            .where(members.c.room_id == room_id, members.c.user_key == key)
            .values(muted_until=until)
        )


def remove_member(conn: Connection, room_id: str, username: str) -> bool:
    key = canonical(username)
    stmt = (
        delete(members)
        .where(members.c.room_id == room_id, members.c.user_key == key)
        .returning(members.c.muted_until)
    )
    row = conn.execute(stmt).first()
    if row is None:
        return False
    _count_members(conn, room_id, -1)
    if row[0]:  # park the mute: leaving and rejoining must not lift it
        park = upsert(conn.dialect.name, room_mutes, ("room_id", "user_key"), ("until",))
        conn.execute(park.values(room_id=room_id, user_key=key, until=row[0]))
    return True


def get_member(conn: Connection, room_id: str, username: str) -> MemberRecord | None:
    row = conn.execute(_GET_MEMBER, {"room": room_id, "key": canonical(username)}).first()
    return None if row is None else member_record(row)


def list_members(conn: Connection, room_id: str) -> list[MemberRecord]:
    stmt = (
        select(*_MEMBER_COLUMNS)
        .select_from(_MEMBERS)
        .where(members.c.room_id == room_id)
        .order_by(case((members.c.role == "owner", 0), else_=1), members.c.user_key)
    )
    return [member_record(row) for row in conn.execute(stmt)]


def member_usernames(conn: Connection, room_id: str) -> list[str]:
    stmt = (
        select(users.c.username)
        .select_from(_MEMBERS)
        .where(members.c.room_id == room_id)
        .order_by(members.c.user_key)
    )
    return list(conn.scalars(stmt))


def set_member_muted(conn: Connection, room_id: str, username: str, until: int) -> None:
    stmt = (
        update(members)
        .where(members.c.room_id == room_id, members.c.user_key == canonical(username))
        .values(muted_until=until)
        .returning(members.c.user_key)
    )
    if conn.execute(stmt).first() is None:
        raise NoSuchRecord(f"{username!r} is not a member of {room_id!r}")


def mark_read(conn: Connection, room_id: str, username: str, seq: int) -> int | None:
    """Move the member's read marker forward to `seq` (never back, never past the room's
    last seq). The new marker if it moved, None if not; NoSuchRecord if not a member."""
    key = canonical(username)
    last = select(rooms.c.last_seq).where(rooms.c.id == room_id).scalar_subquery()
    target = case((last < seq, last), else_=seq)
    stmt = (
        update(members)
        .where(
            members.c.room_id == room_id,
            members.c.user_key == key,
            members.c.read_seq < target,
        )
        .values(read_seq=target)
        .returning(members.c.read_seq)
    )
    moved = conn.execute(stmt).scalar()
    if moved is None and get_member(conn, room_id, username) is None:
        raise NoSuchRecord(f"{username!r} is not a member of {room_id!r}")
    return moved


def read_marks(conn: Connection, username: str) -> dict[str, int]:
    stmt = select(members.c.room_id, members.c.read_seq).where(
        members.c.user_key == canonical(username), members.c.read_seq > 0
    )
    return {row[0]: row[1] for row in conn.execute(stmt)}


def set_room_ban(
    conn: Connection, room_id: str, username: str, banned: bool, reason: str, now: int
) -> None:
    key = canonical(username)
    if not banned:
        conn.execute(
            delete(room_bans).where(room_bans.c.room_id == room_id, room_bans.c.user_key == key)
        )
        return
    stmt = upsert(conn.dialect.name, room_bans, ("room_id", "user_key"), ("reason", "ts"))
    try:
        conn.execute(stmt.values(room_id=room_id, user_key=key, reason=reason, ts=now))
    except IntegrityError:  # a foreign key: no such room or user
        raise NoSuchRecord(f"no room {room_id!r} or no user {username!r}") from None


def is_room_banned(conn: Connection, room_id: str, username: str) -> bool:
    stmt = select(room_bans.c.ts).where(
        room_bans.c.room_id == room_id, room_bans.c.user_key == canonical(username)
    )
    return conn.execute(stmt).first() is not None
