"""The storage interface. The database is the truth: a message exists once committed.

Usernames are matched case-insensitively everywhere; records carry the registered case.
Times are integer milliseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from typing import Literal, Protocol

from chinwag.core.models import Change, MemberRecord, RoomRecord, SanctionRecord, UserRecord
from chinwag.protocol.types import RoomKind, RoomRole
from chinwag.store.conversations import Conversations
from chinwag.store.records import (
    Acted,
    Actor,
    Budget,
    Moderation,
    Sanctions,
    SessionState,
)
from chinwag.store.timelines import Timelines
from chinwag.store.uploads import Uploads


class Store(Uploads, Timelines, Conversations, Protocol):
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
        """Insert an account. `admin=None` makes it an admin exactly when it is the first
        account. With `registrations`, the account is registered from its `key` (an
        address), and refused (OverBudget) when that address has registered `count`
        accounts within the window. Raises UsernameTaken if the name exists in any
        letter case or passes for another account's display name
        (`chinwag.core.validation.name_key`), and NameTaken if `display_name` passes for
        another account's name."""
        ...

    async def check_budget(
        self, what: Literal["registrations", "rooms"], budget: Budget, *, now: int
    ) -> None:
        """Raise OverBudget if `budget` is spent now: registrations from the address
        `budget.key`, or rooms created by the account `budget.key`. A check ahead of a
        costly step; the write that spends the budget checks again."""
        ...

    async def get_user(self, username: str) -> UserRecord | None: ...

    async def list_users(
        self, *, after: str | None = None, limit: int | None = None, reader: Actor | None = None
    ) -> list[UserRecord]:
        """Accounts ordered by username (case-insensitively): those after `after`, at
        most `limit` (None: all)."""
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
        """Change the given fields; raises NoSuchRecord for an unknown user, NameTaken
        for a display name that passes for another account's name. A change of any
        field but the password hash is logged as a `user` change."""
        ...

    # -- sessions (only a hash of each token is kept) ------------------------------------
    async def create_session(
        self,
        token_hash: str,
        username: str,
        *,
        now: int,
        address: str | None = None,
        known_since: int = 0,
    ) -> None:
        """Raises `Banned` for a banned account (decided in the same transaction). With
        `address`, the account is known to use it as of `now` (see `known_address`), and
        forgets the addresses it last used before `known_since`."""
        ...

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
        """The user of a session used within `max_idle` ms (and mark it used now, with
        `address` as for `create_session`); an expired session is deleted and gives
        None. With `touch=False`, only a read: nothing is marked or deleted."""
        ...

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
        """Store a session opened at `created` while the database could not store it,
        unless the account changed since: banned, another password than
        `password_hash`, or an `ended` change of its sessions after stream position
        `since`. Whether it is stored (also when it was already)."""
        ...

    async def known_address(self, username: str, address: str, *, since: int) -> bool:
        """Whether the account logged in or resumed a session from `address` at or after
        `since` (a session created or used there)."""
        ...

    async def delete_session(self, token_hash: str) -> None: ...

    async def delete_sessions(self, username: str, *, keep: str | None = None) -> None:
        """Delete every session of a user but the one whose hash is `keep`, and log an
        `ended` change so that every node closes their connections."""
        ...

    # -- rooms ---------------------------------------------------------------------------
    async def ensure_room(self, room_id: str, name: str, kind: RoomKind, *, now: int) -> RoomRecord:
        """Create a room with exactly this id unless it exists; return it either way."""
        ...

    async def create_room(
        self, slug: str, name: str, kind: RoomKind, *, owner: str, topic: str, now: int
    ) -> RoomRecord:
        """Create a room; the owner becomes its first member with role owner. A public
        room's id is `slug`, or `slug-2`, `slug-3`, ... counting public rooms only; a
        private room's is `p:` and a random token, nothing of its name."""
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

    async def rooms_of(
        self,
        username: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        only: list[str] | None = None,
        reader: Actor | None = None,
    ) -> list[RoomRecord]:
        """The rooms a user is a member of, ordered by id: those with an id after
        `after`, at most `limit`, only those in `only` if given. With `reader`, the same
        read first checks that their session is live and the account not banned
        (`SessionEnded`, `Banned`), as every `reader` below."""
        ...

    async def public_rooms(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        not_member: str | None = None,
        reader: Actor | None = None,
    ) -> list[RoomRecord]:
        """Public rooms ordered by id: after `after`, at most `limit`, leaving out those
        the user `not_member` is in."""
        ...

    # -- membership ----------------------------------------------------------------------
    async def add_member(self, room_id: str, username: str, *, role: RoomRole, now: int) -> bool:
        """Add a member (False if already one); keeps the room's member_count."""
        ...

    async def remove_member(self, room_id: str, username: str) -> bool:
        """Remove a member (False if not one); keeps the room's member_count."""
        ...

    async def get_member(
        self, room_id: str, username: str, *, reader: Actor | None = None
    ) -> MemberRecord | None: ...

    async def check_session(self, actor: Actor) -> UserRecord:
        """The actor's account, if their session is live and the account not banned
        (`SessionEnded`, `Banned`)."""
        ...

    async def list_members(
        self, room_id: str, *, after: tuple[int, str] | None = None, limit: int | None = None
    ) -> list[MemberRecord]:
        """Members of a room, owner first, then by username (rank 0 for the owner, 1 for
        the others, then the canonical username): those after `after`, at most `limit`."""
        ...

    async def member_usernames(self, room_id: str) -> list[str]: ...

    async def set_member_muted(self, room_id: str, username: str, until: int) -> None:
        """Mute a member in the room until `until` (0: unmute). The mute outlives leaving:
        `remove_member` keeps it and `add_member` restores it."""
        ...

    async def mark_read(
        self, room_id: str, username: str, seq: int, *, reader: Actor | None = None
    ) -> int | None:
        """Move the member's read marker forward to `seq`, clamped to the room's last seq;
        never back. The new marker if it moved, else None; NoSuchRecord for a
        non-member."""
        ...

    async def read_marks(self, username: str, *, only: list[str] | None = None) -> dict[str, int]:
        """The user's read marker in each of their rooms (or of `only`) where above 0."""
        ...

    async def set_room_ban(
        self, room_id: str, username: str, *, banned: bool, reason: str = "", now: int = 0
    ) -> None: ...

    async def is_room_banned(self, room_id: str, username: str) -> bool: ...

    # -- acting on someone's behalf (see `Actor` and `Acted`) ----------------------------
    async def session_state(self, token_hash: str, username: str) -> SessionState | None:
        """The account, whether this session of it is live, and its rooms, in one read;
        None if there is no such account."""
        ...

    async def join_room(self, actor: Actor, room_id: str, *, now: int) -> Acted:
        """Join a public room (not if banned from it); nothing if already a member."""
        ...

    async def leave_room(self, actor: Actor, room_id: str, *, now: int) -> Acted: ...

    async def invite(self, actor: Actor, room_id: str, username: str, *, now: int) -> Acted:
        """A member adds `username` to a room (not a DM; not someone banned from it)."""
        ...

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
        """Create a room the actor owns (id as `create_room` picks it); a public one
        not while the actor is muted server-wide; none (OverBudget) once the actor has
        created `budget.count` rooms within its window."""
        ...

    async def open_direct(self, actor: Actor, username: str, *, now: int) -> Acted:
        """Get or create the actor's DM with `username` (`created` says which)."""
        ...

    async def change_room(
        self, actor: Actor, room_id: str, *, name: str | None, topic: str | None, now: int
    ) -> Acted:
        """Rename a room or set its topic: its owner while a member and not banned from
        it, or an admin; not while muted in the room or server-wide."""
        ...

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
        """Kick, ban, unban or mute server-wide (`room_id` None) or in a room, if the
        actor may (see `chinwag.core.permissions.check_moderation`: in a room, its
        owner only while a member and not banned from it); `actor` None is the server's
        command line, which may lift bans and mutes only. Lifting a ban or a mute that
        is not there is refused (`ChatError` no_change). Who set a mute or a ban, when
        and why, is kept for `sanctions`; a mute set or lifted logs a `muted` change."""
        ...

    async def sanctions(
        self, actor: Actor | None, room_id: str | None, *, now: int, limit: int = 500
    ) -> Sanctions:
        """The mutes and bans in force in a room, or server-wide (`room_id` None), newest
        first, at most `limit` of each: for the room's owner (a member, not banned from
        it) and admins, server-wide for admins (`ChatError` forbidden); `actor` None is
        the command line."""
        ...

    async def mutes_of(self, username: str, *, now: int) -> list[SanctionRecord]:
        """The mutes in force of `username`: server-wide (`room` None), and in each room
        they are a member of."""
        ...

    async def update_profile(
        self,
        actor: Actor,
        *,
        display_name: str | None = None,
        color: str | None = None,
        now: int,
    ) -> Acted:
        """Set the actor's display name or colour. A new display name is refused while
        the actor is muted server-wide (`ChatError` muted) and when its name key is
        another account's (`NameTaken`)."""
        ...

    async def change_password(self, actor: Actor, password_hash: str) -> Acted:
        """Set the password and end every other session of the account."""
        ...

    # -- the change stream (see `chinwag.core.models.Change`) ----------------------------
    async def stream_head(self) -> int:
        """The position of the newest entry (0: none yet)."""
        ...

    async def stream_since(self, after: int, limit: int) -> list[Change]:
        """Entries after position `after`, in order, at most `limit`. The first one has
        position `after + 1` unless older entries were pruned."""
        ...

    async def load_cursor(self, node: str) -> int | None:
        """How far `node` had applied the stream when it last saved its cursor."""
        ...

    async def save_cursor(self, node: str, pos: int, *, now: int) -> None: ...

    async def prune_stream(self, *, older_than: int, live_since: int) -> int:
        """Delete entries older than `older_than` that every node seen since `live_since`
        has applied (and forget nodes not seen since then); how many were deleted."""
        ...

    # -- health --------------------------------------------------------------------------
    async def probe_write(self, node: str, *, now: int) -> None:
        """Write `node`'s row of the health table, with as much room as a message needs;
        raises `CannotWrite` when the database refuses, or refused any write lately."""
        ...

    # -- lifecycle -----------------------------------------------------------------------
    async def close(self) -> None: ...
