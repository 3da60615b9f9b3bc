"""Reading a chinwag archive (docs/archive.md) into an empty database.

`load` runs in one write transaction: the archive goes in whole or not at all. It reads
the archive a line at a time and inserts rows in batches, so memory holds one batch and
the keys of users, rooms, blobs and files (which later lines refer to), never the
messages. Every line is checked before it is stored (types by msgspec, names as the
server checks them, references, each room's seqs 1, 2, 3, ... up to its `last_seq`),
and a bad one stops the import with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec
from sqlalchemy import Table, delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from chinwag.core.conversations import reaction_list
from chinwag.core.errors import ChatError
from chinwag.core.validation import (
    canonical,
    check_color,
    check_display_name,
    check_room_name,
    check_topic,
    check_username,
    name_key,
)
from chinwag.store.sql import archive_format as fmt
from chinwag.store.sql.dialect import upsert
from chinwag.store.sql.tables import (
    attachments,
    blobs,
    files,
    members,
    messages,
    names,
    positions,
    reactions,
    room_bans,
    room_mutes,
    rooms,
    thread_reads,
    users,
)

#: Rows inserted per statement.
BATCH = 1000
#: Control characters but tab and newline (`check_body` drops them from every body).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


class ArchiveError(Exception):
    """The archive cannot be imported: why, with the line where it was found."""


class NotEmpty(ArchiveError):
    """The database already holds a community."""


def records(lines: Iterable[bytes]) -> Iterator[tuple[int, fmt.Record]]:
    """The records of an archive's lines, numbered from 1; `ArchiveError` at the
    first line that is not one."""
    for n, line in enumerate(lines, 1):
        try:
            yield n, fmt.DECODER.decode(line)
        except msgspec.ValidationError as exc:
            raise ArchiveError(f"line {n}: {exc}") from None
        except msgspec.DecodeError as exc:
            raise ArchiveError(f"line {n}: not a JSON object ({exc})") from None


def check_header(record: fmt.Record, known: frozenset[str]) -> fmt.Header:
    """The archive's first record, if this chinwag can import what it describes."""
    if not isinstance(record, fmt.Header):
        raise ArchiveError("line 1: an archive starts with its header line")
    if record.format not in fmt.READS:
        newer = "a newer" if record.format > fmt.FORMAT else "an older"
        raise ArchiveError(
            f"line 1: the archive is in format {record.format}, made by {newer} chinwag; "
            f"this one reads formats {', '.join(map(str, sorted(fmt.READS)))}"
        )
    if record.schema not in known:
        raise ArchiveError(
            f"line 1: the archive comes from a database at schema revision "
            f"{record.schema!r}, which this chinwag does not know: import it with the "
            "chinwag that made it, or a newer one"
        )
    return record


def check_empty(conn: Connection) -> None:
    """`NotEmpty` unless the database holds no account, message or file; a room
    without members or messages (`general`, which a server makes at start) is fine."""
    held = [
        f"{count} {what}"
        for what, table in (("accounts", users), ("messages", messages), ("files", files))
        if (count := conn.execute(select(func.count()).select_from(table)).scalar_one())
    ]
    if held:
        raise NotEmpty(
            f"the database is not empty ({', '.join(held)}): import into a new, empty "
            "database (a new SQLite file, or a new PostgreSQL database)"
        )


def _checked(check: Callable[[str], str], value: str, what: str, n: int) -> str:
    """`value` if the server's own `check` keeps it as it is; else why not."""
    try:
        cleaned = check(value)
    except ChatError as exc:
        raise ArchiveError(f"line {n}: {what} {value!r}: {exc.message}") from None
    if cleaned != value:
        raise ArchiveError(f"line {n}: {what} {value!r} is not as the server keeps it")
    return value


class Loader:
    """Stores the records of one archive, in order, over one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.counts: dict[str, int] = {}
        self.users: set[str] = set()
        self.name_keys: dict[str, str] = {}
        #: room id -> (last_seq, last_change); the last seq stored per room.
        self.rooms: dict[str, tuple[int, int]] = {}
        self.seqs: dict[str, int] = {}
        self.blobs: set[str] = set()
        self.files: set[str] = set()
        self.file_bytes = 0
        self.rank = 0
        self.ended = False
        self._table: Table | None = None
        self._rows: list[dict[str, Any]] = []
        self._extra: list[tuple[Table, dict[str, Any]]] = []
        self._first_line = self._last_line = 0

    # -- batching ------------------------------------------------------------------------
    def _add(self, n: int, table: Table, row: dict[str, Any]) -> None:
        if table is not self._table or len(self._rows) >= BATCH:
            self.flush()
            self._table, self._first_line = table, n
        self._rows.append(row)
        self._last_line = n

    def flush(self) -> None:
        if self._table is None or not self._rows:
            return
        try:
            self.conn.execute(self._table.insert(), self._rows)
            extra: dict[str, list[dict[str, Any]]] = {}
            tables: dict[str, Table] = {}
            for table, row in self._extra:
                extra.setdefault(table.name, []).append(row)
                tables[table.name] = table
            for name, rows in extra.items():
                self.conn.execute(tables[name].insert(), rows)
        except DBAPIError as exc:  # a unique key twice, a character PostgreSQL refuses
            raise ArchiveError(
                f"lines {self._first_line}-{self._last_line}: the database refused them: {exc.orig}"
            ) from None
        self._rows, self._extra = [], []

    # -- records -------------------------------------------------------------------------
    def take(self, n: int, record: fmt.Record) -> None:
        kind = fmt.KIND[type(record)]
        if self.ended:
            raise ArchiveError(f"line {n}: a {kind} line after the end line")
        rank = fmt.RANK[kind]
        if kind == "header" or rank < self.rank:
            raise ArchiveError(
                f"line {n}: a {kind} line out of place: records come in the order "
                f"{', '.join(fmt.ORDER)} (docs/archive.md)"
            )
        self.rank = rank
        if isinstance(record, fmt.End):
            self.end(n, record)
            return
        self.counts[kind] = self.counts.get(kind, 0) + 1
        getattr(self, f"_{kind}")(n, record)

    def _user_key(self, key: str, n: int, what: str) -> str:
        if key not in self.users:
            raise ArchiveError(f"line {n}: {what} {key!r} is not among the archive's users")
        return key

    def _room_id(self, room: str, n: int) -> tuple[int, int]:
        if room not in self.rooms:
            raise ArchiveError(f"line {n}: room {room!r} is not among the archive's rooms")
        return self.rooms[room]

    def _user(self, n: int, u: fmt.User) -> None:
        _checked(check_username, u.username, "username", n)
        _checked(check_display_name, u.display_name, "display name", n)
        _checked(check_color, u.color, "colour", n)
        key = canonical(u.username)
        if key in self.users:
            raise ArchiveError(f"line {n}: a second user {u.username!r}")
        wanted = sorted({key, name_key(u.display_name)})
        for name in wanted:
            if name in self.name_keys:
                raise ArchiveError(
                    f"line {n}: {u.username!r} goes by a name that passes for "
                    f"{self.name_keys[name]!r}'s"
                )
            self.name_keys[name] = u.username
        self.users.add(key)
        self._add(
            n,
            users,
            {
                "key": key,
                "username": u.username,
                "display_name": u.display_name,
                "color": u.color,
                "password_hash": u.password_hash or "",
                "admin": u.admin,
                "banned": u.banned,
                "ban_reason": u.ban_reason,
                "ban_by": u.ban_by,
                "ban_ts": u.ban_ts,
                "muted_until": u.muted_until,
                "mute_by": u.mute_by,
                "mute_reason": u.mute_reason,
                "mute_ts": u.mute_ts,
                "created_ts": u.created_ts,
                "registered_from": None,
            },
        )
        # After `_add`, which may flush the batch before: a name needs its user's row.
        self._extra.extend((names, {"key": name, "user_key": key}) for name in wanted)

    def _room(self, n: int, r: fmt.Room) -> None:
        _checked(check_room_name, r.name, "room name", n)
        _checked(check_topic, r.topic, "topic", n)
        if r.id in self.rooms:
            raise ArchiveError(f"line {n}: a second room {r.id!r}")
        if r.owner is not None:
            self._user_key(canonical(r.owner), n, "owner")
        if r.creator is not None:
            self._user_key(r.creator, n, "creator")
        if (r.kind == "dm") != (r.dm_users is not None):
            raise ArchiveError(f"line {n}: a DM, and only a DM, has dm_users")
        for who in r.dm_users or ():
            self._user_key(canonical(who), n, "DM user")
        self.rooms[r.id] = (r.last_seq, r.last_change)
        a, b = r.dm_users or (None, None)
        self._add(
            n,
            rooms,
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "topic": r.topic,
                "owner": r.owner,
                "last_seq": r.last_seq,
                "member_count": r.member_count,
                "created_ts": r.created_ts,
                "dm_user_a": a,
                "dm_user_b": b,
                "last_change": r.last_change,
                "creator_key": r.creator,
            },
        )

    def _member(self, n: int, m: fmt.Member) -> None:
        last_seq, _ = self._room_id(m.room, n)
        self._user_key(m.user, n, "member")
        if m.read_seq > last_seq:
            raise ArchiveError(f"line {n}: read_seq {m.read_seq} is past the room's last_seq")
        self._add(
            n,
            members,
            {
                "room_id": m.room,
                "user_key": m.user,
                "role": m.role,
                "muted_until": m.muted_until,
                "joined_ts": m.joined_ts,
                "read_seq": m.read_seq,
                "mute_by": m.mute_by,
                "mute_reason": m.mute_reason,
                "mute_ts": m.mute_ts,
            },
        )

    def _room_ban(self, n: int, b: fmt.RoomBan) -> None:
        self._room_id(b.room, n)
        self._user_key(b.user, n, "banned user")
        row = {"room_id": b.room, "user_key": b.user, "reason": b.reason, "ts": b.ts}
        self._add(n, room_bans, {**row, "ban_by": b.by})

    def _room_mute(self, n: int, m: fmt.RoomMute) -> None:
        self._room_id(m.room, n)
        self._user_key(m.user, n, "muted user")
        row = {"room_id": m.room, "user_key": m.user, "until": m.until}
        self._add(n, room_mutes, {**row, "mute_by": m.by, "mute_reason": m.reason, "mute_ts": m.ts})

    def _blob(self, n: int, b: fmt.Blob) -> None:
        if b.sha256 in self.blobs:
            raise ArchiveError(f"line {n}: a second blob {b.sha256}")
        self.blobs.add(b.sha256)
        self.file_bytes += b.stored
        self._add(n, blobs, msgspec.structs.asdict(b))

    def _file(self, n: int, f: fmt.File) -> None:
        self._user_key(f.user, n, "uploader")
        if f.sha256 not in self.blobs:
            raise ArchiveError(f"line {n}: file {f.id!r} refers to blob {f.sha256}, not in it")
        if f.id in self.files:
            raise ArchiveError(f"line {n}: a second file {f.id!r}")
        self.files.add(f.id)
        row = msgspec.structs.asdict(f)
        row["user_key"] = row.pop("user")
        self._add(n, files, row)

    def _message(self, n: int, m: fmt.Message) -> None:
        last_seq, last_change = self._room_id(m.room, n)
        self._user_key(canonical(m.sender), n, "sender")
        expected = self.seqs.get(m.room, 0) + 1
        if m.seq != expected:
            raise ArchiveError(
                f"line {n}: message {m.seq} of room {m.room!r} where {expected} was due "
                "(a room's messages are numbered 1, 2, 3, ... with no gap)"
            )
        if m.seq > last_seq:
            raise ArchiveError(f"line {n}: message {m.seq} is past the room's last_seq")
        if m.changed > last_change:
            raise ArchiveError(f"line {n}: change {m.changed} is past the room's last_change")
        if bad := _CONTROL.search(m.body):
            raise ArchiveError(
                f"line {n}: message {m.seq} of room {m.room!r} holds the control character "
                f"U+{ord(bad.group()):04X}, which the server never stores"
            )
        if m.deleted and (m.body or m.files or m.attachments is not None):
            raise ArchiveError(f"line {n}: a deleted message keeps no body and no files")
        for file_id in m.files:
            if file_id not in self.files:
                raise ArchiveError(f"line {n}: file {file_id!r} is not among the archive's")
        self._conversation(n, m)
        self.seqs[m.room] = m.seq
        encoded = None if m.attachments is None else fmt.ENCODER.encode(m.attachments).decode()
        self._add(
            n,
            messages,
            {
                "room_id": m.room,
                "seq": m.seq,
                "sender_key": canonical(m.sender),
                "sender": m.sender,
                "body": m.body,
                "ts": m.ts,
                "client_msg_id": m.client_msg_id,
                "kind": m.kind,
                "deleted": m.deleted,
                "edited_ts": m.edited_ts,
                "changed": m.changed,
                "attachments": encoded,
                "reply_to": m.reply_to,
                "thread": m.thread,
                "in_room": m.in_room,
                "mentions_all": m.mentions_all,
                "reactions": _listed(m.reactions),
                "pinned_by": m.pinned_by,
                "pinned_ts": m.pinned_ts,
                "thread_summary": (
                    None
                    if m.thread_summary is None
                    else fmt.ENCODER.encode(m.thread_summary).decode()
                ),
                "thread_last": m.thread_last,
            },
        )
        for position, file_id in enumerate(m.files):
            link = {"room_id": m.room, "seq": m.seq, "position": position, "file_id": file_id}
            self._extra.append((attachments, link))
        for r in m.reactions:
            made = {"room_id": m.room, "seq": m.seq, "user_key": r.user, "emoji": r.emoji}
            self._extra.append((reactions, {**made, "username": r.username, "change": r.change}))

    def _conversation(self, n: int, m: fmt.Message) -> None:
        """Check what a message says of replies, threads, reactions and pins."""
        _, last_change = self.rooms[m.room]
        for what, seq in (("a reply to", m.reply_to), ("in the thread of", m.thread)):
            if seq is not None and seq >= m.seq:
                raise ArchiveError(f"line {n}: message {m.seq} is {what} {seq}, not before it")
        if m.in_room is not None and m.thread is None:
            raise ArchiveError(f"line {n}: in_room is for a thread's replies")
        if (m.pinned_by is None) != (m.pinned_ts is None):
            raise ArchiveError(f"line {n}: a pin has both pinned_by and pinned_ts")
        if m.pinned_by is not None:
            self._user_key(canonical(m.pinned_by), n, "pinned_by")
        for r in m.reactions:
            self._user_key(r.user, n, "a reaction's user")
            if canonical(r.username) != r.user:
                raise ArchiveError(
                    f"line {n}: a reaction's username {r.username!r} is not {r.user!r}'s"
                )
            if r.change > last_change:
                raise ArchiveError(
                    f"line {n}: reaction change {r.change} is past the room's last_change"
                )

    def _thread_read(self, n: int, t: fmt.ThreadRead) -> None:
        last_seq, _ = self._room_id(t.room, n)
        self._user_key(t.user, n, "reader")
        if max(t.root, t.seq) > last_seq:
            raise ArchiveError(f"line {n}: a thread read past the room's last_seq")
        row = {"room_id": t.room, "root": t.root, "user_key": t.user, "seq": t.seq}
        self._add(n, thread_reads, row)

    def end(self, n: int, e: fmt.End) -> None:
        self.flush()
        for room, (last_seq, _) in self.rooms.items():
            if self.seqs.get(room, 0) != last_seq:
                raise ArchiveError(
                    f"room {room!r} has messages up to {self.seqs.get(room, 0)}, but its "
                    f"last_seq is {last_seq}: the archive is missing messages"
                )
        if e.counts != self.counts:
            raise ArchiveError(
                f"line {n}: the end line counts {e.counts}, but the archive holds {self.counts}"
            )
        stmt = upsert(self.conn.dialect.name, positions, ("name",), ("pos",))
        self.conn.execute(stmt, {"name": "file_bytes", "pos": self.file_bytes})
        self.ended = True


def _listed(made: list[fmt.ReactionMade]) -> str | None:
    """A message's `reactions` column from its reactions (as the store writes it when
    one is made: emoji by first use, each with its users in the order they reacted)."""
    listed = reaction_list((r.emoji, r.username) for r in sorted(made, key=lambda r: r.change))
    return fmt.ENCODER.encode(listed).decode() if listed else None


def load(conn: Connection, lines: Iterable[bytes], known: frozenset[str]) -> dict[str, int]:
    """Import the archive of `lines` into the empty database of `conn` (in its
    transaction); the records stored by type. `known`: the schema revisions this
    chinwag knows. Raises `ArchiveError` (`NotEmpty`) and leaves the transaction to be
    rolled back."""
    check_empty(conn)
    numbered = records(lines)
    first = next(numbered, None)
    if first is None:
        raise ArchiveError("the archive is empty: it has no header line")
    check_header(first[1], known)
    # The `general` a server made at start gives way to the archive's.
    conn.execute(delete(rooms))
    loader = Loader(conn)
    last = 1
    for n, record in numbered:
        loader.take(n, record)
        last = n
    if not loader.ended:
        raise ArchiveError(
            f"the archive stops at line {last} without its end line: it is incomplete "
            "(an export that did not finish, or a file cut short)"
        )
    return loader.counts
