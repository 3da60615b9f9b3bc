"""The storage interface. The database is the truth: a message exists once committed.

Usernames are matched case-insensitively everywhere; records carry the registered case.
Times are integer milliseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from typing import Protocol

from chinwag.core.models import MemberRecord, RoomRecord, UserRecord
from chinwag.protocol.types import Message, MessageKind, RoomKind, RoomRole


class StoreError(Exception):
    """Base class of the store's own errors."""


class UsernameTaken(StoreError):
    pass


class NoSuchRecord(StoreError):
    pass


class NotMember(StoreError):
    """A `member_only` send from someone who is not a member of the room."""


class Muted(StoreError):
    """A `member_only` send from someone muted in the room or server-wide."""

    def __init__(self, until: int) -> None:
        super().__init__(f"muted until {until}")
        #: Milliseconds since the epoch until which the sender is muted.
        self.until = until


class Store(Protocol):
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
        """Insert an account. `admin=None` makes it an admin exactly when it is the first
        account. Raises UsernameTaken if the name exists in any letter case."""
        ...

    async def get_user(self, username: str) -> UserRecord | None: ...

    async def list_users(self) -> list[UserRecord]:
        """Every account, ordered by username (case-insensitively)."""
        ...

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
        """Change the given fields; raises NoSuchRecord for an unknown user."""
        ...

    # -- sessions (only a hash of each token is kept) ------------------------------------
    async def create_session(self, token_hash: str, username: str, *, now: int) -> None: ...

    async def session_user(self, token_hash: str, *, now: int, max_idle: int) -> UserRecord | None:
        """The user of a session used within `max_idle` ms (and mark it used now); an
        expired session is deleted and gives None."""
        ...

    async def delete_session(self, token_hash: str) -> None: ...

    async def delete_sessions(self, username: str, *, keep: str | None = None) -> None:
        """Delete every session of a user but the one whose hash is `keep`."""
        ...

    # -- rooms ---------------------------------------------------------------------------
    async def ensure_room(self, room_id: str, name: str, kind: RoomKind, *, now: int) -> RoomRecord:
        """Create a room with exactly this id unless it exists; return it either way."""
        ...

    async def create_room(
        self, slug: str, name: str, kind: RoomKind, *, owner: str, topic: str, now: int
    ) -> RoomRecord:
        """Create a room with id `slug`, or `slug-2`, `slug-3`, ... if taken; the owner
        becomes its first member with role owner."""
        ...

    async def open_dm(
        self, room_id: str, user_a: str, user_b: str, *, now: int
    ) -> tuple[RoomRecord, bool]:
        """Get or create the DM room with this id holding exactly these two users, both
        members. Returns (room, created)."""
        ...

    async def get_room(self, room_id: str) -> RoomRecord | None: ...

    async def update_room(
        self, room_id: str, *, name: str | None = None, topic: str | None = None
    ) -> RoomRecord: ...

    async def rooms_of(self, username: str) -> list[RoomRecord]:
        """The rooms a user is a member of, ordered by id."""
        ...

    async def public_rooms(self) -> list[RoomRecord]:
        """Every public room, ordered by id."""
        ...

    # -- membership ----------------------------------------------------------------------
    async def add_member(self, room_id: str, username: str, *, role: RoomRole, now: int) -> bool:
        """Add a member (False if already one); keeps the room's member_count."""
        ...

    async def remove_member(self, room_id: str, username: str) -> bool:
        """Remove a member (False if not one); keeps the room's member_count."""
        ...

    async def get_member(self, room_id: str, username: str) -> MemberRecord | None: ...

    async def list_members(self, room_id: str) -> list[MemberRecord]:
        """Members of a room, owner first, then by username."""
        ...

    async def member_usernames(self, room_id: str) -> list[str]: ...

    async def set_member_muted(self, room_id: str, username: str, until: int) -> None:
        """Mute a member in the room until `until` (0: unmute). The mute outlives leaving:
        `remove_member` keeps it and `add_member` restores it."""
        ...

    async def mark_read(self, room_id: str, username: str, seq: int) -> int | None:
        """Move the member's read marker forward to `seq`, clamped to the room's last seq;
        never back. The new marker if it moved, else None; NoSuchRecord for a
        non-member."""
        ...

    async def read_marks(self, username: str) -> dict[str, int]:
        """The user's read marker in each of their rooms where it is above 0."""
        ...

    async def set_room_ban(
        self, room_id: str, username: str, *, banned: bool, reason: str = "", now: int = 0
    ) -> None: ...

    async def is_room_banned(self, room_id: str, username: str) -> bool: ...

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
        """Commit a message with the room's next seq and return it with True. If `sender`
        already stored a message with this `client_msg_id`, return that one with False
        and store nothing.

        With `member_only`, the same transaction first checks that `sender` is a member
        of the room (else `NotMember`) and muted neither there nor server-wide at `now`
        (else `Muted`), before looking for an earlier copy: a user's send needs no
        separate read, and no check can go stale before the write."""
        ...

    async def messages_since(self, room_id: str, seq: int, limit: int) -> list[Message]:
        """Messages with seq > `seq`, oldest first, at most `limit`."""
        ...

    async def history_before(self, room_id: str, before: int | None, limit: int) -> list[Message]:
        """The `limit` newest messages with seq < `before` (or the newest at all), oldest
        first."""
        ...

    async def search(
        self, username: str, query: str, *, room_id: str | None = None, limit: int = 50
    ) -> list[Message]:
        """Text messages, not deleted, of the rooms `username` is in (or of `room_id`
        alone, if they are in it) whose body contains `query`, case-insensitively
        (letters beyond ASCII too on PostgreSQL; ASCII only on SQLite); newest first."""
        ...

    async def changes_since(
        self, room_id: str, upto: int, after: int, limit: int
    ) -> tuple[list[Message], int]:
        """Messages with seq <= `upto` edited or deleted after the room's change number
        `after`, in change order, at most `limit`; and the change number this brings the
        caller up to (a later change is never skipped: it comes the next time)."""
        ...

    async def get_message(self, room_id: str, seq: int) -> Message | None: ...

    async def delete_message(self, room_id: str, seq: int) -> bool:
        """Blank a message's body and mark it deleted, as the room's next change; its seq
        stays. False if absent."""
        ...

    async def edit_message(self, room_id: str, seq: int, body: str, *, now: int) -> Message | None:
        """Replace the body of a text message that is not deleted, stamp `edited_ts` and
        make it the room's next change; the message, or None if there is none."""
        ...

    # -- lifecycle -----------------------------------------------------------------------
    async def close(self) -> None: ...
