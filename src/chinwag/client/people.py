"""People in the view-model: users, presence, room members, who may moderate whom
(a part of `ChatState`)."""

from __future__ import annotations

import msgspec

from chinwag.client.events import MembersLoaded, Status, StatusChanged, UsersLoaded
from chinwag.client.model import RoomState, Update
from chinwag.protocol.events import MemberJoined, Presence, UserUpdated
from chinwag.protocol.types import Member, User

GENERAL = "general"


def _key(username: str) -> str:
    return username.lower()


class People:
    me: User | None
    users: dict[str, User]
    rooms: dict[str, RoomState]
    current: str | None
    status: StatusChanged

    @property
    def presence_known(self) -> bool:
        """Whether who is online is known: only while connected (offline, everyone's
        presence is unknown, not as it was when the connection was lost)."""
        return self.status.status == Status.CONNECTED

    def presence(self, username: str) -> str:
        """ "online", "offline", or "unknown" while not connected."""
        if not self.presence_known:
            return "unknown"
        user = self.users.get(_key(username))
        return "online" if user is not None and user.online else "offline"

    def is_me(self, username: str) -> bool:
        return self.me is not None and _key(username) == _key(self.me.username)

    def user(self, username: str) -> User | None:
        return self.users.get(_key(username))

    def display_name(self, username: str) -> str:
        user = self.users.get(_key(username))
        return user.display_name if user else username

    def color(self, username: str) -> str:
        user = self.users.get(_key(username))
        return user.color if user else "#808080"

    def online_users(self) -> list[User]:
        """Who is online now; nobody while that is unknown (not connected)."""
        if not self.presence_known:
            return []
        users = [u for u in self.users.values() if u.online]
        users.sort(key=lambda u: (u.display_name.casefold(), u.username.casefold()))
        return users

    def members_of(self, room_id: str) -> list[User] | None:
        """The room's members as users (the owner first), or None until fetched."""
        rs = self.rooms.get(room_id)
        if rs is None or rs.members is None:
            if rs is not None and rs.room.kind == "dm":
                return [self._user_or_stub(u) for u in rs.room.members]
            return None
        members = list(rs.members.values())
        members.sort(key=lambda m: (m.role != "owner", self.display_name(m.user).casefold()))
        return [self._user_or_stub(m.user) for m in members]

    def _user_or_stub(self, username: str) -> User:
        return self.users.get(_key(username)) or User(
            username=username, display_name=username, color="#808080"
        )

    def moderation_scopes(self, room_id: str | None, target: str) -> list[str]:
        """Where the user may kick, ban or mute `target`: "room" and/or "server"."""
        me = self.me
        if me is None or self.is_me(target):
            return []
        target_user = self.users.get(_key(target))
        target_admin = bool(target_user and target_user.admin)
        scopes = []
        rs = self.rooms.get(room_id) if room_id else None
        if rs is not None and rs.room.kind != "dm":
            owner = rs.room.owner
            target_owner = owner is not None and _key(owner) == _key(target)
            may = me.admin or (owner is not None and self.is_me(owner))
            if target_admin or target_owner:
                may = me.admin
            if may:
                scopes.append("room")
        if me.admin:
            scopes.append("server")
        return scopes

    def _on_users(self, ev: UsersLoaded, update: Update) -> None:
        self.users = {_key(u.username): u for u in ev.users}
        if self.me is not None and _key(self.me.username) in self.users:
            self.me = self.users[_key(self.me.username)]
        update.users = update.rooms = True
        update.members.update(self.rooms)
        self._everyone_in_general(update)

    def _everyone_in_general(self, update: Update) -> None:
        """Every account is a member of `general` (joining it sends no `member_joined`)."""
        rs = self.rooms.get(GENERAL)
        if rs is not None and rs.members is not None:
            for key, user in self.users.items():
                if key not in rs.members:
                    rs.members[key] = Member(user=user.username)
                    update.members.add(GENERAL)

    def _on_members(self, ev: MembersLoaded, update: Update) -> None:
        rs = self.rooms.get(ev.room)
        if rs is not None:
            rs.members = {_key(m.user): m for m in ev.members}
            update.members.add(ev.room)

    def _on_member_joined(self, ev: MemberJoined, update: Update) -> None:
        rs = self.rooms.get(ev.room)
        if rs is not None and rs.members is not None:
            rs.members[_key(ev.user)] = Member(user=ev.user, role=ev.role)
            update.members.add(ev.room)

    def _on_presence(self, ev: Presence, update: Update) -> None:
        user = self.users.get(_key(ev.user))
        if user is None:
            # A new account (the client fetches `users` again for its name and colour).
            user = self.users[_key(ev.user)] = User(
                username=ev.user, display_name=ev.user, color="#808080", online=not ev.online
            )
            self._everyone_in_general(update)
        if user.online != ev.online:
            self.users[_key(ev.user)] = msgspec.structs.replace(user, online=ev.online)
            update.users = True
            update.members.update(self.rooms)
            if any(rs.room.kind == "dm" for rs in self.rooms.values()):
                update.rooms = True

    def _on_user_updated(self, ev: UserUpdated, update: Update) -> None:
        self.users[_key(ev.user.username)] = ev.user
        if self.is_me(ev.user.username):
            self.me = ev.user
        update.users = update.rooms = True
        update.members.update(self.rooms)
        for rs in self.rooms.values():
            if any(_key(rs.messages[s].sender) == _key(ev.user.username) for s in rs.seqs[-500:]):
                update.timeline(rs.id).reset = True
