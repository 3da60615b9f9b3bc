"""The authorization matrix: every request type, as every kind of user, and what the
rules say must happen. Read a row as "`send`, by someone muted in the room: `muted`".

Actors (each acting on rooms of their own situation):

- `anonymous`: a connection that has not logged in.
- `outsider`: logged in, not a member of the room.
- `member`, `owner`: a member of the room; the room's owner.
- `muted`: a member muted in the room by its owner.
- `roombanned`: banned from the room by its owner (which removed them from it).
- `srvmuted`: a member muted server-wide by an admin.
- `srvbanned`: banned server-wide by an admin, on a connection of a node that has not
  heard of it yet (the database decides: nothing more is accepted from the session).
- `admin`: a server admin who is not a member of the room.
- `ownerbanned`, `ownermuted`: a room's owner whom an admin banned from their own room,
  or muted server-wide: a room ban and a server mute take away every power over the
  room (rename, topic, moderation) and, for a server mute, the display name.

Each room-scoped request is tried on a public room and on a private one; an expectation
written as a pair is (public, private). A private room one is not in must answer
exactly as a room that does not exist (`not_found`), which the test checks too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

OK = "ok"
NO_CHANGE = "no_change"
NOT_AUTH = "not_authenticated"
ALREADY = "already_authenticated"
NOT_FOUND = "not_found"
NOT_MEMBER = "not_member"
FORBIDDEN = "forbidden"
MUTED = "muted"
INVALID_TOKEN = "invalid_token"
#: A request on a session that a server ban ended: refused, or (where the node applies
#: the ban first, as it does when the store refuses) no reply and the connection closed
#: with the ban's code; each ends the session.
CLOSED_BANNED = "closed 4002"
ENDED = frozenset({"invalid_token", "banned", CLOSED_BANNED})
#: Refused under the rule that a room ban or a server mute takes away every power over a
#: room and the display name: `muted` where the actor would speak, `forbidden` where they
#: would manage, `not_member` where a room ban removed them from the room.
POWERLESS = frozenset({"forbidden", "muted", "not_member"})

ACTORS = (
    "anonymous",
    "outsider",
    "member",
    "muted",
    "roombanned",
    "owner",
    "srvmuted",
    "srvbanned",
    "admin",
    "ownerbanned",
    "ownermuted",
)

Expect = str | frozenset[str]
Cell = Expect | tuple[Expect, Expect]


@dataclasses.dataclass(frozen=True)
class Seat:
    """What an actor's request is made of, for one room."""

    actor: str
    username: str | None
    room: str
    #: The seq of the actor's own text message in the room, if they posted one.
    own_seq: int | None
    #: The seq of a message posted for this actor by someone else (`poster`).
    other_seq: int
    victim: str
    invitee: str


@dataclasses.dataclass(frozen=True)
class Op:
    name: str
    type: str
    fields: Callable[[Seat], dict[str, Any]]
    expect: dict[str, Cell]
    #: Whether it takes a room (then it is tried on a public and a private one).
    room_scoped: bool = True

    def expected(self, actor: str, private: bool) -> Expect:
        cell = self.expect[actor]
        if isinstance(cell, tuple):
            return cell[1] if private else cell[0]
        return cell


def _row(**cells: Cell) -> dict[str, Cell]:
    missing = set(ACTORS) - set(cells)
    assert not missing, f"no expectation for {sorted(missing)}"
    return cells


#: Refused as one who cannot see a private room: not a member of the public one, and
#: the private one does not exist for them.
UNSEEN = (NOT_MEMBER, NOT_FOUND)
#: What a member may read and do in their room; outsiders see the public room only.
READ = _row(
    anonymous=NOT_AUTH,
    outsider=UNSEEN,
    member=OK,
    muted=OK,
    roombanned=UNSEEN,
    owner=OK,
    srvmuted=OK,
    srvbanned=ENDED,
    admin=UNSEEN,
    ownerbanned=UNSEEN,
    ownermuted=OK,
)
#: Moderating in a room: its owner and admins (who need not be in a public room, but
#: cannot see a private one they are not in).
MODERATE_ROOM = _row(
    anonymous=NOT_AUTH,
    outsider=(FORBIDDEN, NOT_FOUND),
    member=FORBIDDEN,
    muted=FORBIDDEN,
    roombanned=(FORBIDDEN, NOT_FOUND),
    owner=OK,
    srvmuted=FORBIDDEN,
    srvbanned=ENDED,
    admin=(OK, NOT_FOUND),
    ownerbanned=(POWERLESS, NOT_FOUND),
    ownermuted=POWERLESS,
)
#: Moderating server-wide: admins only.
MODERATE_SERVER = _row(
    anonymous=NOT_AUTH,
    outsider=FORBIDDEN,
    member=FORBIDDEN,
    muted=FORBIDDEN,
    roombanned=FORBIDDEN,
    owner=FORBIDDEN,
    srvmuted=FORBIDDEN,
    srvbanned=ENDED,
    admin=OK,
    ownerbanned=FORBIDDEN,
    ownermuted=FORBIDDEN,
)
#: What anyone logged in may do, whatever their rooms.
ANYONE = _row(
    anonymous=NOT_AUTH,
    outsider=OK,
    member=OK,
    muted=OK,
    roombanned=OK,
    owner=OK,
    srvmuted=OK,
    srvbanned=ENDED,
    admin=OK,
    ownerbanned=OK,
    ownermuted=OK,
)
#: register, login, resume: for anonymous connections only.
PRE_AUTH = {**{a: ALREADY for a in ACTORS}, "anonymous": OK}


def _server(**cells: Cell) -> dict[str, Cell]:
    return {**ANYONE, **cells}


def _lifting(row: dict[str, Cell]) -> dict[str, Cell]:
    """`row` for lifting a ban the victim does not have: where the action is allowed,
    it is refused as a no-op (`no_change`), which tells no more than the allowed
    actor may know."""

    def one(value: Expect) -> Expect:
        return NO_CHANGE if value == OK else value

    def cell(value: Cell) -> Cell:
        if isinstance(value, tuple):
            return (one(value[0]), one(value[1]))
        return one(value)

    return {actor: cell(value) for actor, value in row.items()}


OPS: list[Op] = [
    Op(
        "register",
        "register",
        lambda s: {"username": f"new-{s.actor}", "password": "correct horse"},
        PRE_AUTH,
        False,
    ),
    Op(
        "login",
        "login",
        lambda s: {"username": "poster", "password": "correct horse"},
        PRE_AUTH,
        False,
    ),
    Op(
        "resume",
        "resume",
        lambda s: {"token": "not-a-token"},
        {**PRE_AUTH, "anonymous": INVALID_TOKEN},
        False,
    ),
    Op("ping", "ping", lambda s: {}, {a: OK for a in ACTORS}, False),
    Op("logout", "logout", lambda s: {}, {**ANYONE, "srvbanned": frozenset({OK, *ENDED})}, False),
    Op("users", "users", lambda s: {}, ANYONE, False),
    Op("rooms", "rooms", lambda s: {}, ANYONE, False),
    Op(
        "create_room",
        "create_room",
        lambda s: {"name": f"{s.actor} made this"},
        # a public room's name is shown to everyone: not while muted server-wide
        _server(srvmuted=MUTED, ownermuted=MUTED),
        False,
    ),
    Op("open_dm", "open_dm", lambda s: {"user": s.victim}, ANYONE, False),
    Op(
        "update_profile",
        "update_profile",
        lambda s: {"display_name": f"{s.actor} anew"},
        _server(srvmuted=POWERLESS, ownermuted=POWERLESS),
        False,
    ),
    Op(
        "change_password",
        "change_password",
        lambda s: {"old": "correct horse", "new": "battery staple"},
        ANYONE,
        False,
    ),
    Op("sync", "sync", lambda s: {"since": {s.room: 0}}, ANYONE),
    Op(
        "join",
        "join",
        lambda s: {"room": s.room},
        _row(
            anonymous=NOT_AUTH,
            outsider=(OK, NOT_FOUND),
            member=OK,
            muted=OK,
            roombanned=(FORBIDDEN, NOT_FOUND),
            owner=OK,
            srvmuted=OK,
            srvbanned=ENDED,
            admin=(OK, NOT_FOUND),
            ownerbanned=(FORBIDDEN, NOT_FOUND),
            ownermuted=OK,
        ),
    ),
    Op("leave", "leave", lambda s: {"room": s.room}, READ),
    Op("invite", "invite", lambda s: {"room": s.room, "user": s.invitee}, READ),
    Op(
        "members",
        "members",
        lambda s: {"room": s.room},
        {
            **READ,
            "outsider": (OK, NOT_FOUND),
            "roombanned": (OK, NOT_FOUND),
            "admin": (OK, NOT_FOUND),
            "ownerbanned": (OK, NOT_FOUND),
        },
    ),
    Op("history", "history", lambda s: {"room": s.room}, READ),
    Op("search", "search", lambda s: {"query": "posted", "room": s.room}, READ),
    Op("typing", "typing", lambda s: {"room": s.room}, READ),
    Op("mark_read", "mark_read", lambda s: {"room": s.room, "seq": 1}, READ),
    Op(
        "send",
        "send",
        lambda s: {"room": s.room, "body": "hello", "client_msg_id": f"m-{s.actor}"},
        {**READ, "muted": MUTED, "srvmuted": MUTED, "ownermuted": MUTED},
    ),
    Op(
        "edit_message",
        "edit_message",
        lambda s: {"room": s.room, "seq": s.own_seq or s.other_seq, "body": "edited"},
        {**READ, "muted": MUTED, "srvmuted": MUTED, "ownermuted": MUTED},
    ),
    # Deleting someone else's message is for the room's owner and admins, as members
    # of the room (one sees a message to delete it): an admin outside the room is not.
    Op(
        "delete_message",
        "delete_message",
        lambda s: {"room": s.room, "seq": s.other_seq},
        {
            **MODERATE_ROOM,
            "outsider": UNSEEN,
            "roombanned": UNSEEN,
            "admin": UNSEEN,
            "ownerbanned": UNSEEN,
        },
    ),
    Op(
        "react",
        "react",
        lambda s: {"room": s.room, "seq": s.other_seq, "emoji": "\U0001f44d"},
        {**READ, "muted": MUTED, "srvmuted": MUTED, "ownermuted": MUTED},
    ),
    # Pinning is for the room's owner and admins, as members of the room (as deleting
    # someone else's message is), and not while muted: a pin is announced to the room.
    Op(
        "pin",
        "pin",
        lambda s: {"room": s.room, "seq": s.other_seq},
        PIN := {
            **MODERATE_ROOM,
            "outsider": UNSEEN,
            "roombanned": UNSEEN,
            "admin": UNSEEN,
            "ownerbanned": UNSEEN,
        },
    ),
    # Run after `pin`: what the owner pinned there, the owner may unpin.
    Op("unpin", "unpin", lambda s: {"room": s.room, "seq": s.other_seq}, PIN),
    Op("pins", "pins", lambda s: {"room": s.room}, READ),
    Op("thread", "thread", lambda s: {"room": s.room, "root": s.other_seq}, READ),
    Op("threads", "threads", lambda s: {"room": s.room}, READ),
    Op(
        "update_room",
        "update_room",
        lambda s: {"room": s.room, "topic": f"by {s.actor}"},
        MODERATE_ROOM,
    ),
    Op("kick (room)", "kick", lambda s: {"user": s.victim, "room": s.room}, MODERATE_ROOM),
    Op("ban (room)", "ban", lambda s: {"user": s.victim, "room": s.room}, MODERATE_ROOM),
    Op(
        "unban (room)",
        "unban",
        lambda s: {"user": s.victim, "room": s.room},
        _lifting(MODERATE_ROOM),
    ),
    Op(
        "mute (room)",
        "mute",
        lambda s: {"user": s.victim, "room": s.room, "seconds": 60},
        MODERATE_ROOM,
    ),
    Op("kick (server)", "kick", lambda s: {"user": s.victim}, MODERATE_SERVER, False),
    Op("ban (server)", "ban", lambda s: {"user": s.victim}, MODERATE_SERVER, False),
    Op(
        "unban (server)",
        "unban",
        lambda s: {"user": s.victim},
        _lifting(MODERATE_SERVER),
        False,
    ),
    Op(
        "mute (server)", "mute", lambda s: {"user": s.victim, "seconds": 60}, MODERATE_SERVER, False
    ),
    # Not an admin: refused as such, whether or not the session was seen to have ended.
    Op(
        "notice",
        "notice",
        lambda s: {"text": "hello all"},
        {**MODERATE_SERVER, "srvbanned": frozenset({FORBIDDEN, *ENDED})},
        False,
    ),
]

#: The order the test runs them in, on one world: reads first, then writes; each
#: moderation action on the actor's own victim in an order that leaves the next one
#: meaningful (mute and unban while the victim is in the room, then kick, then ban);
#: joining (undone by those who were not in the room), leaving and logging out last.
#: Pre-login requests get a fresh connection.
RUN_ORDER = [
    *("ping", "users", "rooms", "sync", "members", "history", "search", "typing"),
    *("mark_read", "register", "login", "resume", "create_room", "open_dm"),
    *("pins", "thread", "threads", "react", "pin", "unpin"),
    *("update_profile", "notice", "send", "edit_message", "delete_message", "update_room"),
    *("invite", "mute (room)", "unban (room)", "kick (room)", "ban (room)", "mute (server)"),
    *("unban (server)", "kick (server)", "ban (server)", "change_password", "join", "leave"),
    "logout",
]
assert sorted(RUN_ORDER) == sorted(op.name for op in OPS)
OPS.sort(key=lambda op: RUN_ORDER.index(op.name))
