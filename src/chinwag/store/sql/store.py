"""`SqlStore`: the `Store` interface on SQLAlchemy Core, for SQLite and PostgreSQL.

Each method is one unit of work from `users`, `rooms` or `messages`, run by the
`Database` of the dialect (see `dialect`); sends go through `GroupCommit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chinwag.core.models import MemberRecord, RoomRecord, UserRecord
from chinwag.core.validation import canonical
from chinwag.protocol.types import Message, MessageKind, RoomKind, RoomRole
from chinwag.store.sql import messages, rooms, users
from chinwag.store.sql.dialect import Database
from chinwag.store.sql.groupcommit import GroupCommit
from chinwag.store.sql.messages import Append

if TYPE_CHECKING:
    from chinwag.store.base import Store


class SqlStore:
    """The store on one database, whose connections and threads `close()` releases.

    Build it with `chinwag.store.sql.open_store`, which migrates the database first.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sends = GroupCommit(db)

    async def close(self) -> None:
        await self._sends.drain()
        await self.db.close()

    # -- users ---------------------------------------------------------------------------
    async def create_user(
        self,
        username: str,
        password_hash: str,
        *,
        display_name: str,
        color: str,
        now: int,
        admin: bool | None = None,
    ) -> UserRecord:
        return await self.db.write(
            users.create_user, username, password_hash, display_name, color, now, admin
        )

    async def get_user(self, username: str) -> UserRecord | None:
        return await self.db.read(users.get_user, username)

    async def list_users(self) -> list[UserRecord]:
        return await self.db.read(users.list_users)

    async def update_user(
        self,
        username: str,
        *,
        display_name: str | None = None,
        color: str | None = None,
        password_hash: str | None = None,
        admin: bool | None = None,
        banned: bool | None = None,
        ban_reason: str | None = None,
        muted_until: int | None = None,
    ) -> UserRecord:
        changes: dict[str, Any] = {
            "display_name": display_name,
            "color": color,
            "password_hash": password_hash,
            "admin": admin,
            "banned": banned,
            "ban_reason": ban_reason,
            "muted_until": muted_until,
        }
        values = {k: v for k, v in changes.items() if v is not None}
        if not values:
            return await self.db.read(users.update_user, username, values)
        return await self.db.write(users.update_user, username, values)

    # -- sessions ------------------------------------------------------------------------
    async def create_session(self, token_hash: str, username: str, *, now: int) -> None:
        await self.db.write(users.create_session, token_hash, username, now)

    async def session_user(self, token_hash: str, *, now: int, max_idle: int) -> UserRecord | None:
        return await self.db.write(users.session_user, token_hash, now, max_idle)

    async def delete_session(self, token_hash: str) -> None:
        await self.db.write(users.delete_session, token_hash)

    async def delete_sessions(self, username: str, *, keep: str | None = None) -> None:
        await self.db.write(users.delete_sessions, username, keep)

    # -- rooms ---------------------------------------------------------------------------
    async def ensure_room(self, room_id: str, name: str, kind: RoomKind, *, now: int) -> RoomRecord:
        return await self.db.write(rooms.ensure_room, room_id, name, kind, now)

    async def create_room(
        self, slug: str, name: str, kind: RoomKind, *, owner: str, topic: str, now: int
    ) -> RoomRecord:
        return await self.db.write(rooms.create_room, slug, name, kind, owner, topic, now)

    async def open_dm(
        self, room_id: str, user_a: str, user_b: str, *, now: int
    ) -> tuple[RoomRecord, bool]:
        return await self.db.write(rooms.open_dm, room_id, user_a, user_b, now)

    async def get_room(self, room_id: str) -> RoomRecord | None:
        return await self.db.read(rooms.get_room, room_id)

    async def update_room(
        self, room_id: str, *, name: str | None = None, topic: str | None = None
    ) -> RoomRecord:
        values = {k: v for k, v in (("name", name), ("topic", topic)) if v is not None}
        if not values:
            return await self.db.read(rooms.update_room, room_id, values)
        return await self.db.write(rooms.update_room, room_id, values)

    async def rooms_of(self, username: str) -> list[RoomRecord]:
        return await self.db.read(rooms.rooms_of, username)

    async def public_rooms(self) -> list[RoomRecord]:
        return await self.db.read(rooms.public_rooms)

    # -- membership ----------------------------------------------------------------------
    async def add_member(self, room_id: str, username: str, *, role: RoomRole, now: int) -> bool:
        return await self.db.write(rooms.add_member, room_id, username, role, now)

    async def remove_member(self, room_id: str, username: str) -> bool:
        return await self.db.write(rooms.remove_member, room_id, username)

    async def get_member(self, room_id: str, username: str) -> MemberRecord | None:
        return await self.db.read(rooms.get_member, room_id, username)

    async def list_members(self, room_id: str) -> list[MemberRecord]:
        return await self.db.read(rooms.list_members, room_id)

    async def member_usernames(self, room_id: str) -> list[str]:
        return await self.db.read(rooms.member_usernames, room_id)

    async def set_member_muted(self, room_id: str, username: str, until: int) -> None:
        await self.db.write(rooms.set_member_muted, room_id, username, until)

    async def mark_read(self, room_id: str, username: str, seq: int) -> int | None:
        return await self.db.write(rooms.mark_read, room_id, username, seq)

    async def read_marks(self, username: str) -> dict[str, int]:
        return await self.db.read(rooms.read_marks, username)

    async def set_room_ban(
        self, room_id: str, username: str, *, banned: bool, reason: str = "", now: int = 0
    ) -> None:
        await self.db.write(rooms.set_room_ban, room_id, username, banned, reason, now)

    async def is_room_banned(self, room_id: str, username: str) -> bool:
        return await self.db.read(rooms.is_room_banned, room_id, username)

    # -- messages ------------------------------------------------------------------------
    async def append_message(
        self,
        room_id: str,
        sender: str,
        body: str,
        *,
        client_msg_id: str | None,
        now: int,
        kind: MessageKind = "text",
        member_only: bool = False,
    ) -> tuple[Message, bool]:
        send = Append(
            room_id, canonical(sender), sender, body, client_msg_id, now, kind, member_only
        )
        return await self._sends.append(send)

    async def messages_since(self, room_id: str, seq: int, limit: int) -> list[Message]:
        if limit <= 0:
            return []
        return await self.db.read(messages.messages_since, room_id, seq, limit)

    async def history_before(self, room_id: str, before: int | None, limit: int) -> list[Message]:
        if limit <= 0:
            return []
        return await self.db.read(messages.history_before, room_id, before, limit)

    async def search(
        self, username: str, query: str, *, room_id: str | None = None, limit: int = 50
    ) -> list[Message]:
        if limit <= 0 or not query:
            return []
        return await self.db.read(messages.search, canonical(username), query, room_id, limit)

    async def changes_since(
        self, room_id: str, upto: int, after: int, limit: int
    ) -> tuple[list[Message], int]:
        return await self.db.read(messages.changes_since, room_id, upto, after, limit)

    async def get_message(self, room_id: str, seq: int) -> Message | None:
        return await self.db.read(messages.get_message, room_id, seq)

    async def delete_message(self, room_id: str, seq: int) -> bool:
        return await self.db.write(messages.delete_message, room_id, seq)

    async def edit_message(self, room_id: str, seq: int, body: str, *, now: int) -> Message | None:
        return await self.db.write(messages.edit_message, room_id, seq, body, now)


if TYPE_CHECKING:

    def _implements_store(store: SqlStore) -> Store:
        return store
