"""Writing a chinwag archive (docs/archive.md): the community's data as JSON Lines.

`export` reads the database in one read-only transaction (`snapshot`: a consistent
view while the server goes on writing) and writes one record per line, table by table,
each table from one query whose rows are fetched a page at a time as they are written
(`pages`), so that memory stays the same whatever the size of the database. Rows are
written in the order of their keys as bytes (`COLLATE "C"` on PostgreSQL, SQLite's own
order), so that the same data gives the same archive from either database. A message's
files and reactions are looked up a page at a time, for the messages that have some.

Left out on purpose: sessions (people log in again), the change stream and the nodes'
cursors (a server starts a new one), login addresses and the address an account
registered from (throttling only), the names index (made again from the users), mutes
that have expired, and the search index (the database builds it again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TypeVar

import msgspec
from alembic.runtime.migration import MigrationContext
from sqlalchemy import ColumnElement, Table, Text, select, tuple_
from sqlalchemy.engine import Connection, Row

from chinwag import __version__
from chinwag.protocol.types import Attachment, ThreadSummary
from chinwag.store.sql import archive_format as fmt
from chinwag.store.sql.dialect import Database, SqliteDatabase
from chinwag.store.sql.tables import (
    attachments,
    blobs,
    files,
    members,
    messages,
    reactions,
    room_bans,
    room_mutes,
    rooms,
    thread_reads,
    users,
)

#: Rows read per query.
PAGE = 1000

T = TypeVar("T")
_ATTACHMENTS = msgspec.json.Decoder(list[Attachment])
_SUMMARY = msgspec.json.Decoder(ThreadSummary)


async def snapshot(db: Database, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `work(conn, *args)` in one read-only transaction: every statement sees the
    database as it was when the first one ran, whatever is written meanwhile. SQLite
    (WAL): a deferred transaction on a thread of its own, which never blocks the
    writer; PostgreSQL: REPEATABLE READ, READ ONLY."""
    if isinstance(db, SqliteDatabase):

        def run() -> T:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("BEGIN")
                try:
                    return work(conn, *args, **kwargs)
                finally:
                    conn.rollback()

        return await asyncio.to_thread(run)
    engine = db.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            await conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            result: T = await conn.run_sync(work, *args, **kwargs)
            return result


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None: not a chinwag database yet)."""
    return MigrationContext.configure(conn).get_current_revision()


def ordered(conn: Connection, column: Any) -> Any:
    """`column` for ORDER BY and comparisons in byte order, the same on both databases."""
    if conn.dialect.name == "postgresql" and isinstance(column.type, Text):
        return column.collate("C")
    return column


def pages(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    where: ColumnElement[bool] | None = None,
    page: int = PAGE,
) -> Iterator[list[Row[Any]]]:
    """Every row of `table` (that matches `where`) in the order of its key columns
    `keys`, at most `page` rows at a time, from one query whose rows are fetched as they
    are read: a server-side cursor on PostgreSQL (which sorts the table once, as bytes),
    SQLite's own cursor on its primary key's index."""
    stmt = select(table).order_by(*(ordered(conn, table.c[k]) for k in keys))
    if where is not None:
        stmt = stmt.where(where)
    result = conn.execution_options(stream_results=True).execute(stmt)
    try:
        for rows in result.partitions(page):
            yield list(rows)
    finally:
        result.close()


class Writer:
    """Writes records to `out`, one per line, and counts them by type."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.counts: dict[str, int] = {}

    def write(self, record: fmt.Record) -> None:
        if not isinstance(record, fmt.Header | fmt.End):
            kind = fmt.KIND[type(record)]
            self.counts[kind] = self.counts.get(kind, 0) + 1
        self.out.write(fmt.ENCODER.encode(record))
        self.out.write(b"\n")


def export(
    conn: Connection,
    out: IO[bytes],
    *,
    now: int,
    password_hashes: bool = False,
    with_files: bool = False,
    page: int = PAGE,
) -> dict[str, int]:
    """Write the whole archive of the database to `out`; the records written by type
    (the end line's counts). Run it in a `snapshot`."""
    w = Writer(out)
    w.write(
        fmt.Header(
            format=fmt.FORMAT,
            schema=schema_revision(conn) or "",
            chinwag=__version__,
            created_ts=now,
            password_hashes=password_hashes,
            files=with_files,
        )
    )
    for rows in pages(conn, users, ["key"], page=page):
        for r in rows:
            w.write(_user(r, now, password_hashes))
    for rows in pages(conn, rooms, ["id"], page=page):
        for r in rows:
            w.write(_room(r))
    for rows in pages(conn, members, ["room_id", "user_key"], page=page):
        for r in rows:
            w.write(_member(r, now))
    for rows in pages(conn, room_bans, ["room_id", "user_key"], page=page):
        for r in rows:
            w.write(
                fmt.RoomBan(room=r.room_id, user=r.user_key, reason=r.reason, ts=r.ts, by=r.ban_by)
            )
    in_force = room_mutes.c.until > now
    for rows in pages(conn, room_mutes, ["room_id", "user_key"], in_force, page=page):
        for r in rows:
            w.write(
                fmt.RoomMute(
                    room=r.room_id,
                    user=r.user_key,
                    until=r.until,
                    by=r.mute_by,
                    reason=r.mute_reason,
                    ts=r.mute_ts,
                )
            )
    for rows in pages(conn, blobs, ["sha256"], page=page):
        for r in rows:
            w.write(
                fmt.Blob(
                    sha256=r.sha256,
                    size=r.size,
                    content_type=r.content_type,
                    width=r.width,
                    height=r.height,
                    preview=bool(r.preview),
                    stored=r.stored,
                    used_ts=r.used_ts,
                )
            )
    for rows in pages(conn, files, ["id"], page=page):
        for r in rows:
            w.write(
                fmt.File(
                    id=r.id,
                    user=r.user_key,
                    sha256=r.sha256,
                    name=r.name,
                    size=r.size,
                    ts=r.ts,
                    attached=bool(r.attached),
                )
            )
    for rows in pages(conn, messages, ["room_id", "seq"], page=page):
        carried = _carried(conn, rows)
        reacted = _reacted(conn, rows)
        for r in rows:
            key = (r.room_id, r.seq)
            w.write(_message(r, carried.get(key, []), reacted.get(key, [])))
    for rows in pages(conn, thread_reads, ["room_id", "root", "user_key"], page=page):
        for r in rows:
            w.write(fmt.ThreadRead(room=r.room_id, root=r.root, user=r.user_key, seq=r.seq))
    counts = dict(w.counts)
    w.write(fmt.End(counts=counts))
    return counts


def _in_force(until: int, now: int) -> bool:
    return until > now


def _user(r: Any, now: int, password_hashes: bool) -> fmt.User:
    muted = _in_force(r.muted_until, now)
    return fmt.User(
        username=r.username,
        display_name=r.display_name,
        color=r.color,
        admin=bool(r.admin),
        created_ts=r.created_ts,
        password_hash=(r.password_hash or None) if password_hashes else None,
        banned=bool(r.banned),
        ban_reason=r.ban_reason,
        ban_by=r.ban_by,
        ban_ts=r.ban_ts,
        muted_until=r.muted_until if muted else 0,
        mute_by=r.mute_by if muted else None,
        mute_reason=r.mute_reason if muted else "",
        mute_ts=r.mute_ts if muted else None,
    )


def _room(r: Any) -> fmt.Room:
    dm = (r.dm_user_a, r.dm_user_b) if r.dm_user_a is not None else None
    return fmt.Room(
        id=r.id,
        name=r.name,
        kind=r.kind,
        topic=r.topic,
        owner=r.owner,
        created_ts=r.created_ts,
        creator=r.creator_key,
        dm_users=dm,
        last_seq=r.last_seq,
        last_change=r.last_change,
        member_count=r.member_count,
    )


def _member(r: Any, now: int) -> fmt.Member:
    muted = _in_force(r.muted_until, now)
    return fmt.Member(
        room=r.room_id,
        user=r.user_key,
        role=r.role,
        joined_ts=r.joined_ts,
        read_seq=r.read_seq,
        muted_until=r.muted_until if muted else 0,
        mute_by=r.mute_by if muted else None,
        mute_reason=r.mute_reason if muted else "",
        mute_ts=r.mute_ts if muted else None,
    )


def _with(rows: list[Row[Any]], column: str) -> list[tuple[str, int]]:
    """The keys of the messages of a page whose `column` says they have some."""
    return [(r.room_id, r.seq) for r in rows if r._mapping[column] is not None]


def _carried(conn: Connection, rows: list[Row[Any]]) -> dict[tuple[str, int], list[str]]:
    """The file ids each message of a page carries (rows of `attachments`), in order;
    looked up for the messages that say they carry files (by the primary key)."""
    keys = _with(rows, "attachments")
    if not keys:
        return {}
    c = attachments.c
    stmt = (
        select(c.room_id, c.seq, c.file_id)
        .where(tuple_(c.room_id, c.seq).in_(keys))
        .order_by(c.position)
    )
    found: dict[tuple[str, int], list[str]] = {}
    for room_id, seq, file_id in conn.execute(stmt):
        found.setdefault((room_id, seq), []).append(file_id)
    return found


def _reacted(conn: Connection, rows: list[Row[Any]]) -> dict[tuple[str, int], list[Any]]:
    """The reactions to each message of a page (rows of `reactions`), oldest first;
    looked up for the messages that say they have some."""
    keys = _with(rows, "reactions")
    if not keys:
        return {}
    c = reactions.c
    stmt = (
        select(c.room_id, c.seq, c.emoji, c.user_key, c.username, c.change)
        .where(tuple_(c.room_id, c.seq).in_(keys))
        .order_by(c.change)
    )
    found: dict[tuple[str, int], list[Any]] = {}
    for room_id, seq, emoji, user, username, change in conn.execute(stmt):
        made = fmt.ReactionMade(emoji=emoji, user=user, username=username, change=change)
        found.setdefault((room_id, seq), []).append(made)
    return found


def _message(r: Any, carried: list[str], reacted: list[fmt.ReactionMade]) -> fmt.Message:
    return fmt.Message(
        room=r.room_id,
        seq=r.seq,
        sender=r.sender,
        ts=r.ts,
        kind=r.kind,
        body=r.body,
        client_msg_id=r.client_msg_id,
        deleted=bool(r.deleted),
        edited_ts=r.edited_ts,
        changed=r.changed,
        attachments=None if r.attachments is None else _ATTACHMENTS.decode(r.attachments),
        files=carried,
        reply_to=r.reply_to,
        thread=r.thread,
        in_room=None if r.in_room is None else bool(r.in_room),
        mentions_all=r.mentions_all,
        pinned_by=r.pinned_by,
        pinned_ts=r.pinned_ts,
        reactions=reacted,
        thread_summary=None if r.thread_summary is None else _SUMMARY.decode(r.thread_summary),
        thread_last=r.thread_last,
    )
