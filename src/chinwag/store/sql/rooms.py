"""Units of work on rooms, membership, room bans and room mutes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import and_, bindparam, case, delete, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from chinwag.core.models import Change, MemberRecord, RoomRecord
from chinwag.core.validation import canonical, private_room_id, random_token
from chinwag.protocol.types import RoomKind, RoomRole
from chinwag.store.records import NoSuchRecord, StoreError
from chinwag.store.sql import changes
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
    room, joined = new_room(conn, slug, name, kind, owner, topic, now)
    changes.log(conn, [joined], now)
    return room


def new_room(
    conn: Connection, slug: str, name: str, kind: RoomKind, owner: str, topic: str, now: int
) -> tuple[RoomRecord, Change]:
    """Create a room and make its owner its first member; the room and the owner's
    `joined` change, to log. Its id (see `_new_ids`) tells nothing of private rooms."""
    key = canonical(owner)
    owner_name = conn.scalar(select(users.c.username).where(users.c.key == key))
    if owner_name is None:
        raise NoSuchRecord(f"no user {owner!r}")
    values = _new_room(slug, name, kind, now, topic=topic, owner=owner_name, member_count=1)
    values["creator_key"] = key
    insert = insert_ignore(conn.dialect.name, rooms, ("id",))
    for candidate in _new_ids(conn, slug, kind):
        values["id"] = candidate
        # Ignored only if a concurrent transaction took the id after our look.
        row = conn.execute(insert.values(values).returning(*rooms.c)).first()
        if row is not None:
            break
    else:
        raise StoreError(f"no free id for a room named {name!r}")
    _insert_member(conn, candidate, key, "owner", now)
    return room_record(row), changes.draft("joined", owner_name, room=candidate, how="created")


def lock_user(conn: Connection, key: str) -> None:
    """Hold the account's row until the transaction ends (PostgreSQL; SQLite's writes
    are serialised already), so that what it counts of its own cannot change meanwhile."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(users.c.key).where(users.c.key == key).with_for_update())


#: How many ids `_new_ids` offers before giving up (each is taken only by a race).
ID_TRIES = 64


def _new_ids(conn: Connection, slug: str, kind: RoomKind) -> Iterator[str]:
    """Ids for a new room, to try in turn. A private room's is random (`p:` and a
    token): nothing of its name. A public room's is `slug`, or `slug-2`, `slug-3`, ...
    counting only public rooms, which everyone can list: so the id someone gets says
    nothing about private rooms. The one exception are private rooms made before ids
    were random, whose ids are slugs: where the count lands on one of those, a random
    suffix is used instead."""
    if kind != "public":
        for _ in range(ID_TRIES):
            yield private_room_id()
        return
    similar = or_(rooms.c.id == slug, rooms.c.id.startswith(f"{slug}-", autoescape=True))
    held = {
        row.id: row.kind for row in conn.execute(select(rooms.c.id, rooms.c.kind).where(similar))
    }
    n = 1
    for _ in range(ID_TRIES):
        candidate = slug if n == 1 else f"{slug}-{n}"
        n += 1
        while held.get(candidate) == "public":
            candidate = f"{slug}-{n}"
            n += 1
        yield candidate if candidate not in held else f"{slug}-{random_token(6)}"


def open_dm(
    conn: Connection, room_id: str, user_a: str, user_b: str, now: int
) -> tuple[RoomRecord, bool]:
    room, created, drafts = ensure_dm(conn, room_id, user_a, user_b, now)
    changes.log(conn, drafts, now)
    return room, created


def ensure_dm(
    conn: Connection, room_id: str, user_a: str, user_b: str, now: int
) -> tuple[RoomRecord, bool, list[Change]]:
    """Get or create the DM with this id, and make both users members (also when the
    room existed and one of them had been removed). The room, whether it was created,
    and the `joined` changes to log."""
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
    drafts = [
        changes.draft("joined", names[key], room=room_id, how="dm")
        for key in keys
        if _insert_member(conn, room_id, key, "member", now)
    ]
    if drafts:
        row = _count_members(conn, room_id, len(drafts))
    return room_record(row), created, drafts


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


def rooms_of(
    conn: Connection,
    username: str,
    after: str | None = None,
    limit: int | None = None,
    only: list[str] | None = None,
) -> list[RoomRecord]:
    """The user's rooms by id: those after `after`, at most `limit`, only those in
    `only` if given."""
    stmt = (
        select(rooms)
        .join(members, members.c.room_id == rooms.c.id)
        .where(members.c.user_key == canonical(username))
        .order_by(rooms.c.id)
    )
    if after is not None:
        stmt = stmt.where(rooms.c.id > after)
    if only is not None:
        stmt = stmt.where(rooms.c.id.in_(only))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [room_record(row) for row in conn.execute(stmt)]


def public_rooms(
    conn: Connection,
    after: str | None = None,
    limit: int | None = None,
    not_member: str | None = None,
) -> list[RoomRecord]:
    """Public rooms by id: after `after`, at most `limit`, leaving out those the user
    `not_member` is in."""
    stmt = select(rooms).where(rooms.c.kind == "public").order_by(rooms.c.id)
    if after is not None:
        stmt = stmt.where(rooms.c.id > after)
    if not_member is not None:
        mine = select(members.c.room_id).where(members.c.user_key == canonical(not_member))
        stmt = stmt.where(rooms.c.id.not_in(mine))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [room_record(row) for row in conn.execute(stmt)]


def add_member(conn: Connection, room_id: str, username: str, role: RoomRole, now: int) -> bool:
    added = insert_member(conn, room_id, canonical(username), role, now)
    if added:
        name = registered_name(conn, canonical(username))
        changes.log(conn, [changes.draft("joined", name, room=room_id, how="joined")], now)
    return added


def registered_name(conn: Connection, key: str) -> str:
    name = conn.scalar(select(users.c.username).where(users.c.key == key))
    if name is None:
        raise NoSuchRecord(f"no user {key!r}")
    return str(name)


def insert_member(conn: Connection, room_id: str, key: str, role: RoomRole, now: int) -> bool:
    """Make `key` a member (False if already one), keeping the room's member count and
    taking back a mute parked when they left. Logs no change."""
    try:
        added = _insert_member(conn, room_id, key, role, now)
    except IntegrityError:  # a foreign key: no such room or user
        raise NoSuchRecord(f"no room {room_id!r} or no user {key!r}") from None
    if added:
        _count_members(conn, room_id, 1)
        _restore_mute(conn, room_id, key)
    return added


#: What a mute is: until when, and who set it, why and when (see `tables.members`).
_MUTE = ("muted_until", "mute_by", "mute_reason", "mute_ts")
_PARKED = (room_mutes.c.until, room_mutes.c.mute_by, room_mutes.c.mute_reason, room_mutes.c.mute_ts)


def _restore_mute(conn: Connection, room_id: str, key: str) -> None:
    """Take back the mute parked when the user left this room, if any."""
    where = (room_mutes.c.room_id == room_id) & (room_mutes.c.user_key == key)
    row = conn.execute(delete(room_mutes).where(where).returning(*_PARKED)).first()
    if row is not None and row[0]:
        conn.execute(
            update(members)
            .where(members.c.room_id == room_id, members.c.user_key == key)
            .values(dict(zip(_MUTE, row, strict=True)))
        )


def remove_member(conn: Connection, room_id: str, username: str) -> bool:
    key = canonical(username)
    removed = delete_member(conn, room_id, key)
    if removed:
        name = registered_name(conn, key)
        changes.log(conn, [changes.draft("left", name, room=room_id, how="left")], None)
    return removed


def delete_member(conn: Connection, room_id: str, key: str) -> bool:
    """Remove a member (False if not one), keeping the room's member count and parking
    an unexpired mute. Logs no change."""
    stmt = (
        delete(members)
        .where(members.c.room_id == room_id, members.c.user_key == key)
        .returning(*(members.c[name] for name in _MUTE))
    )
    row = conn.execute(stmt).first()
    if row is None:
        return False
    _count_members(conn, room_id, -1)
    if row[0]:  # park the mute: leaving and rejoining must not lift it
        names = ("until", *_MUTE[1:])
        park = upsert(conn.dialect.name, room_mutes, ("room_id", "user_key"), names)
        values = dict(zip(names, row, strict=True))
        conn.execute(park.values(room_id=room_id, user_key=key, **values))
    return True


def get_member(conn: Connection, room_id: str, username: str) -> MemberRecord | None:
    row = conn.execute(_GET_MEMBER, {"room": room_id, "key": canonical(username)}).first()
    return None if row is None else member_record(row)


_owner_first = case((members.c.role == "owner", 0), else_=1)


def list_members(
    conn: Connection,
    room_id: str,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> list[MemberRecord]:
    """A room's members, owner first, then by username; after the member whose (rank,
    key) is `after` (rank 0 for the owner, 1 for the others), at most `limit`."""
    stmt = (
        select(*_MEMBER_COLUMNS)
        .select_from(_MEMBERS)
        .where(members.c.room_id == room_id)
        .order_by(_owner_first, members.c.user_key)
    )
    if after is not None:
        rank, key = after
        later = and_(_owner_first == rank, members.c.user_key > key)
        stmt = stmt.where(or_(_owner_first > rank, later))
    if limit is not None:
        stmt = stmt.limit(limit)
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
    set_mute(conn, room_id, username, {"muted_until": until})


def set_mute(conn: Connection, room_id: str, username: str, values: dict[str, Any]) -> None:
    """Set a member's mute in the room (`values` of `_MUTE`), or lift it (`muted_until`
    0), also when it is parked because they left; NoSuchRecord if there is no member to
    mute."""
    key = canonical(username)
    stmt = (
        update(members)
        .where(members.c.room_id == room_id, members.c.user_key == key)
        .values(values)
        .returning(members.c.user_key)
    )
    updated = conn.execute(stmt).first() is not None
    if not values["muted_until"]:
        where = (room_mutes.c.room_id == room_id) & (room_mutes.c.user_key == key)
        conn.execute(delete(room_mutes).where(where))
    elif not updated:
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


def read_marks(conn: Connection, username: str, only: list[str] | None = None) -> dict[str, int]:
    stmt = select(members.c.room_id, members.c.read_seq).where(
        members.c.user_key == canonical(username), members.c.read_seq > 0
    )
    if only is not None:
        stmt = stmt.where(members.c.room_id.in_(only))
    return {row[0]: row[1] for row in conn.execute(stmt)}


def set_room_ban(
    conn: Connection,
    room_id: str,
    username: str,
    banned: bool,
    reason: str,
    now: int,
    *,
    by: str | None = None,
) -> None:
    """Ban the user from the room (`by`: the key of who did it), or lift the ban."""
    key = canonical(username)
    if not banned:
        conn.execute(
            delete(room_bans).where(room_bans.c.room_id == room_id, room_bans.c.user_key == key)
        )
        return
    names = ("reason", "ts", "ban_by")
    stmt = upsert(conn.dialect.name, room_bans, ("room_id", "user_key"), names)
    try:
        conn.execute(stmt.values(room_id=room_id, user_key=key, reason=reason, ts=now, ban_by=by))
    except IntegrityError:  # a foreign key: no such room or user
        raise NoSuchRecord(f"no room {room_id!r} or no user {username!r}") from None


def is_room_banned(conn: Connection, room_id: str, username: str) -> bool:
    stmt = select(room_bans.c.ts).where(
        room_bans.c.room_id == room_id, room_bans.c.user_key == canonical(username)
    )
    return conn.execute(stmt).first() is not None
