"""Units of work on accounts and sessions (see `dialect.Database` for how they run)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Text, delete, exists, literal, select, update
from sqlalchemy.engine import Connection

from chinwag.core.models import UserRecord
from chinwag.core.validation import canonical
from chinwag.store.base import NoSuchRecord, UsernameTaken
from chinwag.store.sql.dialect import insert_ignore, lock_table
from chinwag.store.sql.tables import sessions, users


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
    }
    # INSERT ... SELECT: with admin=None, the statement itself decides "first account";
    # on PostgreSQL a table lock keeps two concurrent first accounts from both seeing none.
    if admin is None:
        lock_table(conn, users)
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
    return user_record(row)


def get_user(conn: Connection, username: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.key == canonical(username))).first()
    return None if row is None else user_record(row)


def list_users(conn: Connection) -> list[UserRecord]:
    return [user_record(row) for row in conn.execute(select(users).order_by(users.c.key))]


def update_user(conn: Connection, username: str, values: dict[str, Any]) -> UserRecord:
    key = canonical(username)
    if values:
        stmt = update(users).where(users.c.key == key).values(values).returning(*users.c)
        row = conn.execute(stmt).first()
    else:
        row = conn.execute(select(users).where(users.c.key == key)).first()
    if row is None:
        raise NoSuchRecord(f"no user {username!r}")
    return user_record(row)


def create_session(conn: Connection, token_hash: str, username: str, now: int) -> None:
    row_source = select(
        literal(token_hash, Text), users.c.key, literal(now, BigInteger), literal(now, BigInteger)
    ).where(users.c.key == canonical(username))
    stmt = (
        sessions.insert()
        .from_select(["token_hash", "user_key", "created_ts", "last_used"], row_source)
        .returning(sessions.c.user_key)
    )
    if conn.execute(stmt).first() is None:
        raise NoSuchRecord(f"no user {username!r}")


def session_user(conn: Connection, token_hash: str, now: int, max_idle: int) -> UserRecord | None:
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
    return user_record(conn.execute(select(users).where(users.c.key == touched)).one())


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def delete_sessions(conn: Connection, username: str, keep: str | None) -> None:
    stmt = delete(sessions).where(sessions.c.user_key == canonical(username))
    if keep is not None:
        stmt = stmt.where(sessions.c.token_hash != keep)
    conn.execute(stmt)
