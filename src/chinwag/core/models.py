"""Domain records, as the store keeps them, and their public protocol views."""

from __future__ import annotations

from typing import Literal

import msgspec

from chinwag.protocol.types import Member, Room, RoomKind, RoomRole, Sanction, User

#: What a `Change` of the change stream says happened (see `Change`).
ChangeKind = Literal["joined", "left", "user", "ended", "muted"]


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


class SanctionRecord(msgspec.Struct, kw_only=True, frozen=True):
    """A mute or ban in force, in `room` (None: server-wide): see `Sanction`."""

    room: str | None
    user: str
    display_name: str
    by: str | None = None
    by_display_name: str | None = None
    reason: str = ""
    since: int | None = None
    until: int | None = None

    def public(self) -> Sanction:
        return Sanction(
            user=self.user,
            display_name=self.display_name,
            by=self.by,
            by_display_name=self.by_display_name,
            reason=self.reason,
            since=self.since,
            until=self.until,
        )


class Change(msgspec.Struct, kw_only=True, frozen=True):
    """One entry of the change stream: something every server node must apply to its own
    connections (who follows which room, whose connections end, whose record to reload).

    Changes are written in the transaction that makes them, numbered by `pos` (1, 2, 3,
    ... across the whole deployment, committed in that order), and every node applies
    them in `pos` order from its own cursor, so that a node that missed the bus's
    doorbell catches up from the database.

    - `joined`: `user` became a member of `room` (`how`: "joined", "invited" by `actor`,
      "created" the room, "dm" opened).
    - `left`: `user` stopped being a member of `room` (`how`: "left", or "kicked" /
      "banned" by `actor`, for `reason`).
    - `user`: the stored record of `user` changed (profile, admin, mute, ban): reload it.
    - `ended`: the sessions of `user` ended (`how`: "kicked" or "banned" by `actor` for
      `reason`, or "revoked": password changed or reset); connections on the session
      whose token hash is `keep` (if any) stay.
    - `muted`: `user`'s mute in `room` (None: server-wide) was set (`how` "muted") or
      lifted ("unmuted") by `actor` (None: the command line): tell them.
    """

    pos: int
    kind: ChangeKind
    #: Registered-case username of the user the change is about.
    user: str
    room: str | None = None
    actor: str | None = None
    how: str = ""
    reason: str = ""
    keep: str | None = None
    ts: int = 0
