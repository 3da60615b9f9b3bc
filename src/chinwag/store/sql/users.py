"""Units of work on accounts and sessions (see `dialect.Database` for how they run)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Text, delete, exists, literal, select, update
from sqlalchemy.engine import Connection

from chinwag.core.models import Change, UserRecord
from chinwag.core.validation import canonical, name_key
from chinwag.store.records import (
    Actor,
    Banned,
    Budget,
    NameTaken,
    NoSuchRecord,
    SessionEnded,
    SessionState,
    UsernameTaken,
)
from chinwag.store.sql import budgets, changes
from chinwag.store.sql.dialect import insert_ignore, lock_table, upsert
from chinwag.store.sql.tables import changes as stream
from chinwag.store.sql.tables import login_addresses, members, names, sessions, users

#: Fields of an account that server nodes hold in memory: changing one logs a `user`
#: change, so that every node reloads the record.
WATCHED = frozenset({"display_name", "color", "admin", "banned", "ban_reason", "muted_until"})


def user_record(row: Any) -> UserRecord:
    return UserRecord(
        username=row.username,
        display_name=row.display_name,
        color=row.color,
        password_hash=row.password_hash,
        admin=bool(row.admin),
        banned=bool(row.banned),
        ban_reason=row.ban_reason,
        muted_until=row.muted_until,
        created_ts=row.created_ts,
    )


def create_user(
    conn: Connection,
    username: str,
    password_hash: str,
    display_name: str,
    color: str,
    now: int,
    admin: bool | None,
    registrations: Budget | None = None,
) -> UserRecord:
    values: dict[str, Any] = {
        "key": canonical(username),
        "username": username,
        "display_name": display_name,
        "color": color,
        "password_hash": password_hash,
        "banned": False,
        "ban_reason": "",
        "muted_until": 0,
        "created_ts": now,
        "admin": admin,
        "registered_from": registrations.key if registrations is not None else None,
    }
    # INSERT ... SELECT: with admin=None, the statement itself decides "first account";
    # on PostgreSQL a table lock keeps two concurrent first accounts from both seeing none.
    if admin is None or registrations is not None:
        lock_table(conn, users)
    if registrations is not None:
        # under the lock: concurrent registrations from one address are counted in turn
        budgets.check(
            conn,
            "registrations",
            users.c.registered_from,
            users.c.created_ts,
            registrations,
            now,
        )
    row_source = select(
        *(
            ~exists(select(users.c.key))
            if admin is None and name == "admin"
            else literal(value, users.c[name].type)
            for name, value in values.items()
        )
    )
    stmt = (
        insert_ignore(conn.dialect.name, users, ("key",))
        .from_select(list(values), row_source)
        .returning(*users.c)
    )
    row = conn.execute(stmt).first()
    if row is None:
        raise UsernameTaken(username)
    taken = claim_names(conn, row.key, {row.key, name_key(display_name)})
    if taken == row.key:
        raise UsernameTaken(username)
    if taken is not None:
        raise NameTaken(display_name)
    return user_record(row)


def claim_names(conn: Connection, key: str, wanted: set[str]) -> str | None:
    """Make `wanted` the name keys of the account `key` (see `tables.names`); the first
    key that another account holds, if any, after which the caller must roll back.
    New keys are inserted before stale ones are deleted, so that two accounts trading
    names at once both fail at once rather than wait for each other."""
    held = set(conn.scalars(select(names.c.key).where(names.c.user_key == key)))
    claim = insert_ignore(conn.dialect.name, names, ("key",))
    for name in sorted(wanted - held):
        stmt = claim.values(key=name, user_key=key).returning(names.c.key)
        if conn.execute(stmt).first() is None:
            return name
    if held - wanted:
        conn.execute(delete(names).where(names.c.key.in_(sorted(held - wanted))))
    return None


def get_user(conn: Connection, username: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.key == canonical(username))).first()
    return None if row is None else user_record(row)


def list_users(
    conn: Connection, after: str | None = None, limit: int | None = None
) -> list[UserRecord]:
    stmt = select(users).order_by(users.c.key)
    if after is not None:
        stmt = stmt.where(users.c.key > canonical(after))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [user_record(row) for row in conn.execute(stmt)]


def update_user(conn: Connection, username: str, values: dict[str, Any]) -> UserRecord:
    user, drafts = change_user(conn, username, values)
    changes.log(conn, drafts, None)
    return user


def change_user(
    conn: Connection, username: str, values: dict[str, Any]
) -> tuple[UserRecord, list[Change]]:
    """Set `values` on the account; the record, and the `user` change to log if a field
    that nodes hold changed. A display name another account's name keys hold is
    `NameTaken`."""
    key = canonical(username)
    if values:
        stmt = update(users).where(users.c.key == key).values(values).returning(*users.c)
        row = conn.execute(stmt).first()
    else:
        row = conn.execute(select(users).where(users.c.key == key)).first()
    if row is None:
        raise NoSuchRecord(f"no user {username!r}")
    user = user_record(row)
    # After the UPDATE, which locks the account's row against its other writers.
    wanted = {row.key, name_key(user.display_name)}
    if "display_name" in values and claim_names(conn, row.key, wanted) is not None:
        raise NameTaken(user.display_name)
    drafts = [changes.draft("user", user.username)] if WATCHED & values.keys() else []
    return user, drafts


def authorize(conn: Connection, actor: Actor) -> UserRecord:
    """The actor's account, once this transaction has checked that their session is
    still live and the account not banned (`SessionEnded`, `Banned`). On PostgreSQL the
    session's row is locked against deletion until the transaction ends, so that a ban,
    kick or password change cannot commit between this check and the action."""
    key = canonical(actor.username)
    if actor.session is not None:
        stmt = (
            select(sessions.c.user_key)
            .where(sessions.c.token_hash == actor.session, sessions.c.user_key == key)
            .with_for_update(key_share=True)
        )
        if conn.execute(stmt).first() is None:
            raise SessionEnded(f"no live session of {actor.username!r}")
    row = conn.execute(select(users).where(users.c.key == key)).first()
    if row is None:
        raise SessionEnded(f"no user {actor.username!r}")
    user = user_record(row)
    if user.banned and actor.session is not None:
        raise Banned(user.ban_reason)
    return user


def check_reader(conn: Connection, actor: Actor) -> UserRecord:
    """The actor's account, if their session is live and the account not banned
    (`SessionEnded`, `Banned`): `authorize` for reads, which lock nothing."""
    key = canonical(actor.username)
    row = conn.execute(select(users).where(users.c.key == key)).first()
    if row is None:
        raise SessionEnded(f"no user {actor.username!r}")
    if actor.session is not None:
        live = select(sessions.c.user_key).where(
            sessions.c.token_hash == actor.session, sessions.c.user_key == key
        )
        if conn.execute(live).first() is None:
            raise SessionEnded(f"no live session of {actor.username!r}")
    user = user_record(row)
    if user.banned and actor.session is not None:
        raise Banned(user.ban_reason)
    return user


def session_state(conn: Connection, token_hash: str, username: str) -> SessionState | None:
    """The account of `username`, whether the session `token_hash` of it is live, and the
    rooms the account is in: one read, for a login to check after it has registered
    its connection."""
    key = canonical(username)
    row = conn.execute(select(users).where(users.c.key == key)).first()
    if row is None:
        return None
    live = (
        conn.execute(
            select(sessions.c.user_key).where(
                sessions.c.token_hash == token_hash, sessions.c.user_key == key
            )
        ).first()
        is not None
    )
    rooms = list(
        conn.scalars(
            select(members.c.room_id).where(members.c.user_key == key).order_by(members.c.room_id)
        )
    )
    return SessionState(user=user_record(row), live=live, rooms=rooms)


def create_session(
    conn: Connection,
    token_hash: str,
    username: str,
    now: int,
    address: str | None = None,
    known_since: int = 0,
) -> None:
    """A session for the account, unless it is banned (`Banned`): the ban and the session
    are decided in one place, so a ban that commits first refuses the session, and one
    that commits later deletes it. The account is then known to use `address`."""
    key = canonical(username)
    row_source = select(
        literal(token_hash, Text), users.c.key, literal(now, BigInteger), literal(now, BigInteger)
    ).where(users.c.key == key, users.c.banned.is_(False))
    stmt = (
        sessions.insert()
        .from_select(["token_hash", "user_key", "created_ts", "last_used"], row_source)
        .returning(sessions.c.user_key)
    )
    if conn.execute(stmt).first() is None:
        reason = conn.execute(select(users.c.ban_reason).where(users.c.key == key)).first()
        if reason is None:
            raise NoSuchRecord(f"no user {username!r}")
        raise Banned(reason[0])
    if address is not None:
        remember_address(conn, key, address, now, known_since)


def store_session(
    conn: Connection,
    token_hash: str,
    username: str,
    created: int,
    now: int,
    password_hash: str,
    since: int,
    address: str | None,
    known_since: int,
) -> bool:
    """Store a session opened at `created` while the database could not store it, as
    `create_session` would have, unless the account changed since: banned, its password
    not `password_hash` any more, or its sessions ended by a change of the stream after
    position `since` (a kick, a ban, a password change or reset). Whether it is stored
    (also when it was already)."""
    key = canonical(username)
    ended = (
        select(stream.c.pos)
        .where(
            stream.c.kind == "ended",
            stream.c.username == users.c.username,
            stream.c.pos > since,
        )
        .exists()
    )
    row_source = select(
        literal(token_hash, Text),
        users.c.key,
        literal(created, BigInteger),
        literal(now, BigInteger),
    ).where(
        users.c.key == key,
        users.c.banned.is_(False),
        users.c.password_hash == password_hash,
        ~ended,
    )
    stmt = (
        insert_ignore(conn.dialect.name, sessions, ("token_hash",))
        .from_select(["token_hash", "user_key", "created_ts", "last_used"], row_source)
        .returning(sessions.c.user_key)
    )
    if conn.execute(stmt).first() is None:
        mine = sessions.c.token_hash == token_hash
        return conn.execute(select(sessions.c.user_key).where(mine)).first() is not None
    if address is not None:
        remember_address(conn, key, address, now, known_since)
    return True


def session_user(
    conn: Connection,
    token_hash: str,
    now: int,
    max_idle: int,
    address: str | None = None,
    known_since: int = 0,
) -> UserRecord | None:
    mine = sessions.c.token_hash == token_hash
    touched = conn.execute(
        update(sessions)
        .where(mine, sessions.c.last_used >= now - max_idle)
        .values(last_used=now)
        .returning(sessions.c.user_key)
    ).scalar()
    if touched is None:  # unknown, or idle too long: then it goes
        conn.execute(delete(sessions).where(mine))
        return None
    if address is not None:
        remember_address(conn, touched, address, now, known_since)
    return user_record(conn.execute(select(users).where(users.c.key == touched)).one())


def live_session_user(
    conn: Connection, token_hash: str, now: int, max_idle: int
) -> UserRecord | None:
    """`session_user` as a read alone: for a database that cannot be written."""
    row = conn.execute(
        select(users)
        .join(sessions, sessions.c.user_key == users.c.key)
        .where(sessions.c.token_hash == token_hash, sessions.c.last_used >= now - max_idle)
    ).first()
    return None if row is None else user_record(row)


def remember_address(conn: Connection, key: str, address: str, now: int, since: int) -> None:
    """The account `key` used `address` at `now`; it forgets those it last used before
    `since`."""
    conn.execute(
        upsert(conn.dialect.name, login_addresses, ("user_key", "address"), ("last_ts",)).values(
            user_key=key, address=address, last_ts=now
        )
    )
    conn.execute(
        delete(login_addresses).where(
            login_addresses.c.user_key == key, login_addresses.c.last_ts < since
        )
    )


def known_address(conn: Connection, username: str, address: str, since: int) -> bool:
    row = conn.execute(
        select(login_addresses.c.last_ts).where(
            login_addresses.c.user_key == canonical(username),
            login_addresses.c.address == address,
            login_addresses.c.last_ts >= since,
        )
    ).first()
    return row is not None


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def delete_sessions(conn: Connection, username: str, keep: str | None) -> None:
    changes.log(conn, end_sessions(conn, username, keep, how="revoked"), None)


def end_sessions(
    conn: Connection,
    username: str,
    keep: str | None,
    *,
    how: str,
    actor: str | None = None,
    reason: str = "",
) -> list[Change]:
    """Delete every session of the account but `keep`; the `ended` change to log, which
    closes the account's connections on every node (but those of `keep`)."""
    key = canonical(username)
    stmt = delete(sessions).where(sessions.c.user_key == key)
    if keep is not None:
        stmt = stmt.where(sessions.c.token_hash != keep)
    conn.execute(stmt)
    name = conn.scalar(select(users.c.username).where(users.c.key == key))
    if name is None:
        return []
    return [changes.draft("ended", name, actor=actor, how=how, reason=reason, keep=keep)]
