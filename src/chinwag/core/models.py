"""Domain records, as the store keeps them, and their public protocol views."""

from __future__ import annotations

import msgspec

from chinwag.protocol.types import Member, Room, RoomKind, RoomRole, User


class UserRecord(msgspec.Struct, kw_only=True):
    """An account. `username` keeps the case it was registered with and never changes."""

    username: str
    display_name: str
    color: str
    password_hash: str
    admin: bool = False
    banned: bool = False
    ban_reason: str = ""
    #: Milliseconds since the epoch until which `send` is refused everywhere (0: not muted).
    muted_until: int = 0
    created_ts: int = 0

    def public(self, *, online: bool = False) -> User:
        return User(
            username=self.username,
            display_name=self.display_name,
            color=self.color,
            admin=self.admin,
            online=online,
        )


class RoomRecord(msgspec.Struct, kw_only=True):
    id: str
    name: str
    kind: RoomKind
    topic: str = ""
    #: Username of the owner; None for `general` and DMs.
    owner: str | None = None
    last_seq: int = 0
    member_count: int = 0
    created_ts: int = 0
    #: The two usernames of a DM (empty for other kinds).
    dm_users: list[str] = msgspec.field(default_factory=list)
    #: The number of the last edit or deletion in the room.
    last_change: int = 0

    def public(self, *, member: bool) -> Room:
        return Room(
            id=self.id,
            name=self.name,
            kind=self.kind,
            topic=self.topic,
            owner=self.owner,
            member=member,
            member_count=self.member_count,
            last_seq=self.last_seq,
            members=list(self.dm_users),
            created_ts=self.created_ts,
            last_change=self.last_change,
        )


class MemberRecord(msgspec.Struct, kw_only=True):
    room: str
    user: str
    role: RoomRole = "member"
    #: Milliseconds since the epoch until which `send` to this room is refused (0: not).
    muted_until: int = 0
    joined_ts: int = 0

    def public(self) -> Member:
        return Member(user=self.user, role=self.role)
