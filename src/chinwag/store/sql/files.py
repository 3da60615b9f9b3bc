"""Units of work on files: uploads, blobs, attachments, quotas and the sweep.

Who may read a file is one query (`readable`): its uploader, or a member of a room where
a message carrying it was posted and not deleted. An upload's quota and the server's cap
are checked in the transaction that records it: on PostgreSQL the uploader's row and the
`file_bytes` counter are locked, so two uploads at once cannot both squeeze under a limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.engine import Connection

from chinwag.core.validation import canonical
from chinwag.protocol.types import Attachment
from chinwag.store.records import Actor, NoSuchFile, StoreError
from chinwag.store.sql.dialect import Database, insert_ignore
from chinwag.store.sql.tables import attachments, blobs, files, members, positions, users
from chinwag.store.sql.users import authorize
from chinwag.store.uploads import (
    Blob,
    FileRecord,
    FileUsage,
    QuotaExceeded,
    StorageFull,
    Swept,
    attachment,
)

DAY_MS = 86_400_000

_COLUMNS = (
    files.c.id,
    users.c.username,
    files.c.name,
    files.c.ts,
    files.c.attached,
    *(blobs.c[n] for n in ("sha256", "size", "content_type", "width", "height", "preview")),
    blobs.c.stored,
)
_JOINED = files.join(blobs, blobs.c.sha256 == files.c.sha256).join(
    users, users.c.key == files.c.user_key
)


def _record(row: Any) -> FileRecord:
    return FileRecord(
        id=row[0],
        owner=row[1],
        name=row[2],
        ts=row[3],
        attached=bool(row[4]),
        blob=Blob(
            sha256=row[5],
            size=row[6],
            content_type=row[7],
            width=row[8],
            height=row[9],
            preview=bool(row[10]),
            stored=row[11],
        ),
    )


# -- sends -------------------------------------------------------------------------------
_UPLOADS = (
    select(files.c.user_key, *_COLUMNS)
    .select_from(_JOINED)
    .where(files.c.id.in_(bindparam("ids", expanding=True)))
)


def uploads(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Attachment]]:
    """The uploads of these ids that exist: id -> (uploader's key, attachment)."""
    if not ids:
        return {}
    return {
        row[1]: (row[0], attachment(_record(row[1:])))
        for row in conn.execute(_UPLOADS, {"ids": list(ids)})
    }


def carried(
    found: dict[str, tuple[str, Attachment]], key: str, ids: Sequence[str]
) -> list[Attachment] | StoreError:
    """The attachments of a send by the user `key`, or `NoSuchFile` for the first id that
    is not one of their uploads (someone else's is not told apart from none)."""
    out = []
    for file_id in ids:
        upload = found.get(file_id)
        if upload is None or upload[0] != key:
            return NoSuchFile(file_id)
        out.append(upload[1])
    return out


def attach(conn: Connection, links: list[dict[str, Any]]) -> None:
    """Record which messages carry which files (rows of `attachments`)."""
    conn.execute(attachments.insert(), links)
    ids = sorted({link["file_id"] for link in links})
    conn.execute(update(files).where(files.c.id.in_(ids)).values(attached=True))


# -- uploads -----------------------------------------------------------------------------
def usage_since(conn: Connection, key: str, since: int) -> tuple[int, int | None]:
    """Bytes the user uploaded at or after `since`, and when the oldest of those was."""
    row = conn.execute(
        select(func.coalesce(func.sum(files.c.size), 0), func.min(files.c.ts)).where(
            files.c.user_key == key, files.c.ts >= since
        )
    ).one()
    return int(row[0]), row[1]


def _take_bytes(conn: Connection, n: int, cap: int) -> None:
    """Count `n` more bytes in the file store, or raise `StorageFull` (cap 0: none)."""
    where = positions.c.name == "file_bytes"
    held = conn.execute(select(positions.c.pos).where(where).with_for_update()).scalar()
    if held is None:
        conn.execute(positions.insert().values(name="file_bytes", pos=0))
        held = 0
    if cap and held + n > cap:
        raise StorageFull(cap)
    conn.execute(update(positions).where(where).values(pos=positions.c.pos + n))


def _give_bytes(conn: Connection, n: int) -> None:
    if n:
        where = positions.c.name == "file_bytes"
        conn.execute(update(positions).where(where).values(pos=positions.c.pos - n))


def add_file(
    conn: Connection,
    actor: Actor,
    file_id: str,
    name: str,
    blob: Blob,
    daily_quota: int,
    cap: int,
    now: int,
) -> tuple[FileRecord, bool]:
    me = authorize(conn, actor)
    key = canonical(me.username)
    # Lock the uploader's row (PostgreSQL): their uploads are counted one at a time.
    conn.execute(select(users.c.key).where(users.c.key == key).with_for_update())
    if daily_quota:
        used, oldest = usage_since(conn, key, now - DAY_MS)
        if used + blob.size > daily_quota:
            wait = max(1.0, ((oldest or now) + DAY_MS - now) / 1000)
            raise QuotaExceeded(used, daily_quota, wait)
    found = conn.execute(
        update(blobs).where(blobs.c.sha256 == blob.sha256).values(used_ts=now)
    ).rowcount
    new = not found
    if new:
        _take_bytes(conn, blob.stored, cap)
        stmt = insert_ignore(conn.dialect.name, blobs, ("sha256",))
        conn.execute(
            stmt,
            {
                "sha256": blob.sha256,
                "size": blob.size,
                "content_type": blob.content_type,
                "width": blob.width,
                "height": blob.height,
                "preview": blob.preview,
                "stored": blob.stored,
                "used_ts": now,
            },
        )
    conn.execute(
        files.insert().values(
            id=file_id,
            user_key=key,
            sha256=blob.sha256,
            name=name,
            size=blob.size,
            ts=now,
            attached=False,
        )
    )
    record = conn.execute(select(*_COLUMNS).select_from(_JOINED).where(files.c.id == file_id))
    return _record(record.one()), new


def readable(conn: Connection, file_id: str, username: str) -> FileRecord | None:
    key = canonical(username)
    in_a_carrying_room = exists().where(
        attachments.c.file_id == files.c.id,
        members.c.room_id == attachments.c.room_id,
        members.c.user_key == key,
    )
    stmt = (
        select(*_COLUMNS)
        .select_from(_JOINED)
        .where(files.c.id == file_id, or_(files.c.user_key == key, in_a_carrying_room))
    )
    row = conn.execute(stmt).first()
    return None if row is None else _record(row)


def files_of(conn: Connection, username: str, limit: int) -> list[FileRecord]:
    stmt = (
        select(*_COLUMNS)
        .select_from(_JOINED)
        .where(files.c.user_key == canonical(username))
        .order_by(files.c.ts.desc(), files.c.id)
        .limit(limit)
    )
    return [_record(row) for row in conn.execute(stmt)]


def files_usage(conn: Connection, now: int) -> list[FileUsage]:
    recent = func.sum(files.c.size).filter(files.c.ts >= now - DAY_MS)
    stmt = (
        select(users.c.username, func.count(), func.sum(files.c.size), recent)
        .select_from(files.join(users, users.c.key == files.c.user_key))
        .group_by(users.c.key, users.c.username)
        .order_by(users.c.key)
    )
    return [
        FileUsage(row[0], row[1], int(row[2] or 0), int(row[3] or 0)) for row in conn.execute(stmt)
    ]


def _drop_blobs(conn: Connection, unused_before: int | None, only: str | None = None) -> list[Blob]:
    """Delete the blobs no upload refers to (last uploaded before `unused_before`, or
    `only` that one) and give back their bytes; the blobs deleted."""
    unreferenced = ~exists().where(files.c.sha256 == blobs.c.sha256)
    stmt = select(
        *(
            blobs.c[n]
            for n in ("sha256", "size", "content_type", "width", "height", "preview", "stored")
        )
    )
    stmt = stmt.where(unreferenced)
    if only is not None:
        stmt = stmt.where(blobs.c.sha256 == only)
    if unused_before is not None:
        stmt = stmt.where(blobs.c.used_ts < unused_before)
    gone = [
        Blob(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6])
        for r in conn.execute(stmt.with_for_update())
    ]
    if gone:
        shas = [b.sha256 for b in gone]
        conn.execute(delete(blobs).where(blobs.c.sha256.in_(shas), unreferenced))
        _give_bytes(conn, sum(b.stored for b in gone))
    return gone


def delete_file(conn: Connection, file_id: str) -> Swept | None:
    sha = conn.execute(select(files.c.sha256).where(files.c.id == file_id)).scalar()
    if sha is None:
        return None
    conn.execute(delete(attachments).where(attachments.c.file_id == file_id))
    conn.execute(delete(files).where(files.c.id == file_id))
    return Swept(1, _drop_blobs(conn, None, only=sha))


def sweep(conn: Connection, unattached_before: int, unused_before: int) -> Swept:
    carried_now = exists().where(attachments.c.file_id == files.c.id)
    stale = or_(
        and_(files.c.attached, ~carried_now),
        and_(~files.c.attached, files.c.ts < unattached_before),
    )
    removed = conn.execute(delete(files).where(stale)).rowcount
    return Swept(removed, _drop_blobs(conn, unused_before))


class SqlUploads:
    """The `Uploads` part of `SqlStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_file(
        self,
        actor_username: str,
        session: str | None,
        file_id: str,
        name: str,
        blob: Blob,
        *,
        daily_quota: int,
        cap: int,
        now: int,
    ) -> tuple[FileRecord, bool]:
        actor = Actor(actor_username, session)
        return await self.db.write(add_file, actor, file_id, name, blob, daily_quota, cap, now)

    async def upload_usage(self, username: str, *, since: int) -> int:
        used, _ = await self.db.read(usage_since, canonical(username), since)
        return used

    async def readable_file(self, file_id: str, username: str) -> FileRecord | None:
        return await self.db.read(readable, file_id, username)

    async def files_usage(self, *, now: int) -> list[FileUsage]:
        return await self.db.read(files_usage, now)

    async def files_of(self, username: str, *, limit: int = 1000) -> list[FileRecord]:
        return await self.db.read(files_of, username, limit)

    async def delete_file(self, file_id: str, *, now: int) -> Swept | None:
        return await self.db.write(delete_file, file_id)

    async def sweep_files(self, *, unattached_before: int, unused_before: int) -> Swept:
        return await self.db.write(sweep, unattached_before, unused_before)
