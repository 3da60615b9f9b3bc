"""Who is where on this node: the open connections, the users logged in on them, and
the members of each room here. Plain bookkeeping: no I/O, no event loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chinwag.core.models import UserRecord
from chinwag.server.connection import Connection


class Registry:
    def __init__(self, on_room_emptied: Callable[[str], None] | None = None) -> None:
        #: Called with a room's id when its last member here leaves.
        self.on_room_emptied = on_room_emptied
        self.connections: set[Connection] = set()
        #: user key -> that user's logged-in connections on this node
        self.users: dict[str, set[Connection]] = {}
        #: user key -> the user's record, shared by their connections
        self.records: dict[str, UserRecord] = {}
        #: room id -> connections of its members on this node (never an empty set)
        self.rooms: dict[str, set[Connection]] = {}

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)

    def remove(self, conn: Connection) -> None:
        self.connections.discard(conn)

    def attach(
        self, conn: Connection, user: UserRecord, user_key: str, rooms: Iterable[str]
    ) -> bool:
        """Log `conn` in as `user`, in `rooms`. True if it is the user's first here."""
        conn.user_key = user_key
        conn.username = user.username
        self.records[user_key] = user
        conns = self.users.get(user_key)
        first = conns is None
        if conns is None:
            conns = self.users[user_key] = set()
        conns.add(conn)
        for room in rooms:
            self.join(conn, room)
        return first

    def detach(self, conn: Connection) -> bool:
        """Log `conn` out. True if it was the user's last connection here."""
        key = conn.user_key
        for room in list(conn.rooms):
            self.leave(conn, room)
        conn.user_key = None
        conn.username = None
        conn.token_hash = None
        if key is None:
            return False
        conns = self.users.get(key)
        if conns is None:
            return False
        conns.discard(conn)
        if conns:
            return False
        del self.users[key]
        self.records.pop(key, None)
        return True

    def is_online(self, user_key: str) -> bool:
        return user_key in self.users

    def subscribe(self, user_key: str, room: str) -> None:
        """Every connection of the user here follows `room` from now on."""
        for conn in self.users.get(user_key, ()):
            self.join(conn, room)

    def unsubscribe(self, user_key: str, room: str) -> None:
        for conn in list(self.users.get(user_key, ())):
            self.leave(conn, room)

    def join(self, conn: Connection, room: str) -> None:
        members = self.rooms.get(room)
        if members is None:
            members = self.rooms[room] = set()
        members.add(conn)
        conn.rooms.add(room)

    def leave(self, conn: Connection, room: str) -> None:
        conn.rooms.discard(room)
        members = self.rooms.get(room)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.rooms[room]
                if self.on_room_emptied is not None:
                    self.on_room_emptied(room)
