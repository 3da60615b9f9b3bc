"""`SqlStore`: the `Store` interface on SQLAlchemy Core, for SQLite and PostgreSQL.

Each method is one unit of work from `users`, `rooms`, `messages`, `actions`,
`moderation` or `changes`, run by the `Database` of the dialect (see `dialect`); sends
go through `GroupCommit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy.engine import Connection

from chinwag.core.models import Change, MemberRecord, RoomRecord, SanctionRecord, UserRecord
from chinwag.core.validation import canonical
from chinwag.protocol.types import Message, MessageKind, RoomKind, RoomRole
from chinwag.store.conversations import NO_REFERENCE, Reference
from chinwag.store.records import (
    Acted,
    Actor,
    Budget,
    CannotWrite,
    Moderation,
    Posted,
    Sanctions,
    SearchFilters,
    SessionState,
)
from chinwag.store.sql import (
    actions,
    budgets,
    changes,
    edits,
    health,
    messages,
    moderation,
    rooms,
    sanctions,
    search,
    users,
)
from chinwag.store.sql.conversations import SqlConversations
from chinwag.store.sql.dialect import Database
from chinwag.store.sql.files import SqlUploads
from chinwag.store.sql.groupcommit import GroupCommit
from chinwag.store.sql.messages import Append

if TYPE_CHECKING:
    from chinwag.store.base import Store

T = TypeVar("T")


def _as(conn: Connection, reader: Actor | None, work: Callable[..., T], *args: Any) -> T:
    """Run `work` after checking, in the same unit of work, that `reader` (if any) still
    has a live session on an account that is not banned."""
    if reader is not None:
        users.check_reader(conn, reader)
    return work(conn, *args)


class SqlStore(SqlUploads, SqlConversations):
    """The store on one database, whose connections and threads `close()` releases.

    Build it with `chinwag.store.sql.open_store`, which migrates the database first.
    """

    def __init__(self, db: Database) -> None:
        super().__init__(db)
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
        registrations: Budget | None = None,
    ) -> UserRecord:
        return await self.db.write(
            users.create_user,
            username,
            password_hash,
            display_name,
            color,
            now,
            admin,
            registrations,
        )

    async def check_budget(
        self, what: Literal["registrations", "rooms"], budget: Budget, *, now: int
    ) -> None:
        await self.db.read(budgets.check_named, what, budget, now)

    async def get_user(self, username: str) -> UserRecord | None:
        return await self.db.read(users.get_user, username)

    async def list_users(
        self, *, after: str | None = None, limit: int | None = None, reader: Actor | None = None
    ) -> list[UserRecord]:
        return await self.db.read(_as, reader, users.list_users, after, limit)

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
    async def create_session(
        self,
        token_hash: str,
        username: str,
        *,
        now: int,
        address: str | None = None,
        known_since: int = 0,
    ) -> None:
        await self.db.write(users.create_session, token_hash, username, now, address, known_since)

    async def session_user(
        self,
        token_hash: str,
        *,
        now: int,
        max_idle: int,
        address: str | None = None,
        known_since: int = 0,
        touch: bool = True,
    ) -> UserRecord | None:
        if not touch:
            return await self.db.read(users.live_session_user, token_hash, now, max_idle)
        return await self.db.write(
            users.session_user, token_hash, now, max_idle, address, known_since
        )

    async def store_session(
        self,
        token_hash: str,
        username: str,
        *,
        created: int,
        now: int,
        password_hash: str,
        since: int,
        address: str | None = None,
        known_since: int = 0,
    ) -> bool:
        return await self.db.write(
            users.store_session,
            token_hash,
            username,
            created,
            now,
            password_hash,
            since,
            address,
            known_since,
        )

    async def known_address(self, username: str, address: str, *, since: int) -> bool:
        return await self.db.read(users.known_address, username, address, since)

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

    async def rooms_of(
        self,
        username: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        only: list[str] | None = None,
        reader: Actor | None = None,
    ) -> list[RoomRecord]:
        return await self.db.read(_as, reader, rooms.rooms_of, username, after, limit, only)

    async def public_rooms(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        not_member: str | None = None,
        reader: Actor | None = None,
    ) -> list[RoomRecord]:
        return await self.db.read(_as, reader, rooms.public_rooms, after, limit, not_member)

    # -- membership ----------------------------------------------------------------------
    async def add_member(self, room_id: str, username: str, *, role: RoomRole, now: int) -> bool:
        return await self.db.write(rooms.add_member, room_id, username, role, now)

    async def remove_member(self, room_id: str, username: str) -> bool:
        return await self.db.write(rooms.remove_member, room_id, username)

    async def get_member(
        self, room_id: str, username: str, *, reader: Actor | None = None
    ) -> MemberRecord | None:
        return await self.db.read(_as, reader, rooms.get_member, room_id, username)

    async def list_members(
        self, room_id: str, *, after: tuple[int, str] | None = None, limit: int | None = None
    ) -> list[MemberRecord]:
        return await self.db.read(rooms.list_members, room_id, after, limit)

    async def member_usernames(self, room_id: str) -> list[str]:
        return await self.db.read(rooms.member_usernames, room_id)

    async def set_member_muted(self, room_id: str, username: str, until: int) -> None:
        await self.db.write(rooms.set_member_muted, room_id, username, until)

    async def mark_read(
        self, room_id: str, username: str, seq: int, *, reader: Actor | None = None
    ) -> int | None:
        return await self.db.write(_as, reader, rooms.mark_read, room_id, username, seq)

    async def check_session(self, actor: Actor) -> UserRecord:
        return await self.db.read(users.check_reader, actor)

    async def read_marks(self, username: str, *, only: list[str] | None = None) -> dict[str, int]:
        return await self.db.read(rooms.read_marks, username, only)

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
        posted = await self._sends.append(send)
        return posted.message, posted.created

    async def post(
        self,
        actor: Actor,
        room_id: str,
        body: str,
        *,
        client_msg_id: str | None,
        now: int,
        files: tuple[str, ...] = (),
        ref: Reference = NO_REFERENCE,
    ) -> Posted:
        send = Append(
            room_id,
            canonical(actor.username),
            actor.username,
            body,
            client_msg_id,
            now,
            "text",
            True,
            actor.session,
            files,
            ref,
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
        self, username: str, words: list[str], *, filters: SearchFilters, limit: int = 50
    ) -> list[Message]:
        if limit <= 0 or not (words or filters.has_file):
            return []
        return await self.db.read(search.search, canonical(username), words, filters, limit)

    async def changes_since(
        self, room_id: str, upto: int, after: int, limit: int
    ) -> tuple[list[Message], int]:
        return await self.db.read(messages.changes_since, room_id, upto, after, limit)

    async def get_message(self, room_id: str, seq: int) -> Message | None:
        return await self.db.read(edits.get_message, room_id, seq)

    async def delete_message(self, room_id: str, seq: int, *, actor: Actor | None = None) -> bool:
        return await self.db.write(edits.delete_message, room_id, seq, actor)

    async def edit_message(
        self,
        room_id: str,
        seq: int,
        body: str,
        *,
        now: int,
        actor: Actor | None = None,
        mention_max: int | None = None,
    ) -> Message | None:
        return await self.db.write(edits.edit_message, room_id, seq, body, now, actor, mention_max)

    # -- acting on someone's behalf ------------------------------------------------------
    async def session_state(self, token_hash: str, username: str) -> SessionState | None:
        return await self.db.read(users.session_state, token_hash, username)

    async def join_room(self, actor: Actor, room_id: str, *, now: int) -> Acted:
        return await self.db.write(actions.join_room, actor, room_id, now)

    async def leave_room(self, actor: Actor, room_id: str, *, now: int) -> Acted:
        return await self.db.write(actions.leave_room, actor, room_id, now)

    async def invite(self, actor: Actor, room_id: str, username: str, *, now: int) -> Acted:
        return await self.db.write(actions.invite, actor, room_id, username, now)

    async def open_room(
        self,
        actor: Actor,
        slug: str,
        name: str,
        kind: RoomKind,
        *,
        topic: str,
        now: int,
        budget: Budget | None = None,
    ) -> Acted:
        return await self.db.write(actions.open_room, actor, slug, name, kind, topic, now, budget)

    async def open_direct(self, actor: Actor, username: str, *, now: int) -> Acted:
        return await self.db.write(actions.open_direct, actor, username, now)

    async def change_room(
        self, actor: Actor, room_id: str, *, name: str | None, topic: str | None, now: int
    ) -> Acted:
        return await self.db.write(actions.change_room, actor, room_id, name, topic, now)

    async def moderate(
        self,
        actor: Actor | None,
        action: Moderation,
        username: str,
        *,
        room_id: str | None,
        reason: str = "",
        seconds: int = 0,
        now: int,
    ) -> Acted:
        return await self.db.write(
            moderation.moderate, actor, action, username, room_id, reason, seconds, now
        )

    async def sanctions(
        self, actor: Actor | None, room_id: str | None, *, now: int, limit: int = 500
    ) -> Sanctions:
        return await self.db.read(sanctions.sanctions, actor, room_id, now, limit)

    async def mutes_of(self, username: str, *, now: int) -> list[SanctionRecord]:
        return await self.db.read(sanctions.mutes_of, username, now)

    async def update_profile(
        self,
        actor: Actor,
        *,
        display_name: str | None = None,
        color: str | None = None,
        now: int,
    ) -> Acted:
        values = {
            k: v for k, v in (("display_name", display_name), ("color", color)) if v is not None
        }
        return await self.db.write(moderation.update_profile, actor, values, now)

    async def change_password(self, actor: Actor, password_hash: str) -> Acted:
        return await self.db.write(moderation.change_password, actor, password_hash)

    # -- the change stream ---------------------------------------------------------------
    async def stream_head(self) -> int:
        return await self.db.read(changes.head)

    async def stream_since(self, after: int, limit: int) -> list[Change]:
        return await self.db.read(changes.since, after, limit)

    async def load_cursor(self, node: str) -> int | None:
        return await self.db.read(changes.load_cursor, node)

    async def save_cursor(self, node: str, pos: int, *, now: int) -> None:
        await self.db.write(changes.save_cursor, node, pos, now)

    async def prune_stream(self, *, older_than: int, live_since: int) -> int:
        return await self.db.write(changes.prune, older_than, live_since)

    # -- health --------------------------------------------------------------------------
    async def probe_write(self, node: str, *, now: int) -> None:
        await self.db.write(health.probe, node, now)
        recent = self.db.refusals.recent()
        if recent is not None:  # the probe had room, but a write lately had none
            raise CannotWrite(recent)


if TYPE_CHECKING:

    def _implements_store(store: SqlStore) -> Store:
        return store
