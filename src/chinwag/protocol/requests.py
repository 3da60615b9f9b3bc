"""Client-to-server requests: a tagged union on the `type` field.

Every request carries an `id` chosen by the client, and gets exactly one reply with the
same `id`: `{"type": "ok", ...}` or `{"type": "error", ...}`. Unknown fields are ignored.
"""

from __future__ import annotations

import typing
from typing import Annotated

import msgspec

from chinwag.protocol.types import ClientId, Emoji, FileId, Seq

Text = Annotated[str, msgspec.Meta(max_length=8192)]
Name = Annotated[str, msgspec.Meta(max_length=256)]
#: Where a listing goes on: the `next` of the previous page's reply (opaque to clients).
Cursor = Annotated[str, msgspec.Meta(max_length=300)]


class Request(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    id: ClientId


class Register(Request, tag="register", kw_only=True, frozen=True):
    username: Name
    password: Name


class Login(Request, tag="login", kw_only=True, frozen=True):
    username: Name
    password: Name


class Resume(Request, tag="resume", kw_only=True, frozen=True):
    token: Name


class Logout(Request, tag="logout", kw_only=True, frozen=True):
    pass


class Ping(Request, tag="ping", kw_only=True, frozen=True):
    pass


class Send(Request, tag="send", kw_only=True, frozen=True):
    room: Name
    body: str
    client_msg_id: ClientId
    #: Ids of the sender's own uploads (`POST /api/files`), each at most once; with
    #: attachments the body may be empty.
    attachments: Annotated[list[FileId], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    #: The seq of an earlier text message of the room this one replies to (quotes).
    reply_to: Seq | None = None
    #: The seq of the root of the thread this message goes to (None: the room).
    thread: Seq | None = None
    #: With `thread`: also show the reply in the room's timeline.
    in_room: bool = False


class History(Request, tag="history", kw_only=True, frozen=True):
    room: Name
    before: Seq | None = None
    #: The page centred on this seq instead (not with `before`).
    around: Seq | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class Sync(Request, tag="sync", kw_only=True, frozen=True):
    since: dict[Name, Seq]
    #: Per room, the change number the client is up to date with (a reply's `changes`);
    #: edits and deletions after it, of messages up to `since`, come in `changed`.
    changes: dict[Name, Seq] = msgspec.field(default_factory=dict)
    #: Most messages returned per room; rooms with more are listed in the reply's `more`.
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500


class Rooms(Request, tag="rooms", kw_only=True, frozen=True):
    """The user's rooms, then the public rooms they are not in, a page at a time: ask
    again with `cursor` set to the reply's `next` until it is null."""

    cursor: Cursor | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 200


class CreateRoom(Request, tag="create_room", kw_only=True, frozen=True):
    name: Name
    private: bool = False
    topic: Text = ""


class UpdateRoom(Request, tag="update_room", kw_only=True, frozen=True):
    room: Name
    name: Name | None = None
    topic: Text | None = None


class Join(Request, tag="join", kw_only=True, frozen=True):
    room: Name


class Leave(Request, tag="leave", kw_only=True, frozen=True):
    room: Name


class Invite(Request, tag="invite", kw_only=True, frozen=True):
    room: Name
    user: Name


class OpenDm(Request, tag="open_dm", kw_only=True, frozen=True):
    user: Name


class Members(Request, tag="members", kw_only=True, frozen=True):
    """A room's members, owner first, a page at a time (see `Rooms`)."""

    room: Name
    cursor: Cursor | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500


class Users(Request, tag="users", kw_only=True, frozen=True):
    """Every account, by username, a page at a time (see `Rooms`)."""

    cursor: Cursor | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500


class Typing(Request, tag="typing", kw_only=True, frozen=True):
    room: Name


class UpdateProfile(Request, tag="update_profile", kw_only=True, frozen=True):
    display_name: Name | None = None
    color: Name | None = None


class ChangePassword(Request, tag="change_password", kw_only=True, frozen=True):
    old: Name
    new: Name


class Kick(Request, tag="kick", kw_only=True, frozen=True):
    """Without `room`: disconnect the user from the server (admins). With `room`: remove
    them from that room (its owner or an admin)."""

    user: Name
    reason: Text = ""
    room: Name | None = None


class Ban(Request, tag="ban", kw_only=True, frozen=True):
    user: Name
    reason: Text = ""
    room: Name | None = None


class Unban(Request, tag="unban", kw_only=True, frozen=True):
    user: Name
    room: Name | None = None


class Mute(Request, tag="mute", kw_only=True, frozen=True):
    """Refuse the user's `send` for `seconds` (0 lifts a mute)."""

    user: Name
    seconds: Annotated[int, msgspec.Meta(ge=0, le=366 * 86400)]
    reason: Text = ""
    room: Name | None = None


class ModerationList(Request, tag="moderation", kw_only=True, frozen=True):
    """The mutes and bans in force in `room` (None: server-wide)."""

    room: Name | None = None


class Notice(Request, tag="notice", kw_only=True, frozen=True):
    """Server admins: show `text` to everyone online now as a `server_notice` event."""

    text: Text


class DeleteMessage(Request, tag="delete_message", kw_only=True, frozen=True):
    room: Name
    seq: Seq


class Search(Request, tag="search", kw_only=True, frozen=True):
    """Text messages of the user's rooms holding every word of `query` (in any order,
    each as a word or the start of one, Unicode case folded), newest first."""

    query: Annotated[str, msgspec.Meta(max_length=200)]
    #: Only this room; None: every room the user is in.
    room: Name | None = None
    #: Only messages from this user (username, any case).
    sender: Name | None = None
    #: Only messages sent at or after `since` and before `until` (ms since the epoch).
    since: Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None = None
    until: Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None = None
    #: The `next` of the previous page; None: the first page.
    cursor: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 50
    #: Only messages that carry files (`has:file` in a search box).
    has_file: bool = False


class EditMessage(Request, tag="edit_message", kw_only=True, frozen=True):
    """Replace the body of one's own text message."""

    room: Name
    seq: Seq
    body: str


class MarkRead(Request, tag="mark_read", kw_only=True, frozen=True):
    """The user has read `room` up to `seq` (with `thread`: that thread of the room up
    to reply `seq`): kept on the server, for every device."""

    room: Name
    seq: Seq
    thread: Seq | None = None


class React(Request, tag="react", kw_only=True, frozen=True):
    """Add (or, with `add` false, remove) one's reaction `emoji` to a message."""

    room: Name
    seq: Seq
    emoji: Emoji
    add: bool = True


class Pin(Request, tag="pin", kw_only=True, frozen=True):
    """Pin a message to its room (the room's owner and admins; both members of a DM)."""

    room: Name
    seq: Seq


class Unpin(Request, tag="unpin", kw_only=True, frozen=True):
    room: Name
    seq: Seq


class Pins(Request, tag="pins", kw_only=True, frozen=True):
    """The room's pinned messages, the most recently pinned first."""

    room: Name


class Thread(Request, tag="thread", kw_only=True, frozen=True):
    """A page of the replies in the thread rooted at `root`, oldest first, ending just
    before `before` (None: the newest page)."""

    room: Name
    root: Seq
    before: Seq | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class Threads(Request, tag="threads", kw_only=True, frozen=True):
    """The room's threads, the most recently active first."""

    room: Name
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


AnyRequest = (
    Register
    | Login
    | Resume
    | Logout
    | Ping
    | Send
    | History
    | Sync
    | Rooms
    | CreateRoom
    | UpdateRoom
    | Join
    | Leave
    | Invite
    | OpenDm
    | Members
    | Users
    | Typing
    | UpdateProfile
    | ChangePassword
    | Kick
    | Ban
    | Unban
    | Mute
    | Notice
    | ModerationList
    | DeleteMessage
    | MarkRead
    | Search
    | EditMessage
    | React
    | Pin
    | Unpin
    | Pins
    | Thread
    | Threads
)

REQUEST_TYPES: tuple[type[Request], ...] = typing.get_args(AnyRequest)

#: The `type` values accepted before login.
PRE_AUTH_TYPES = frozenset({"register", "login", "resume", "ping"})
