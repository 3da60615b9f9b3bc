"""What the codec's tests share: one JSON form of every request type, as a client would
write it, with the request it decodes to; and the error a refused frame gets."""

from __future__ import annotations

import pytest

from chinwag.protocol import requests as rq
from chinwag.protocol.codec import ProtocolError, decode_request
from chinwag.protocol.errors import ErrorCode

#: One JSON form of every request type, as a client would write it.
REQUESTS: dict[str, tuple[str, rq.Request]] = {
    "register": (
        '{"type": "register", "id": "1", "username": "ada", "password": "correct horse"}',
        rq.Register(id="1", username="ada", password="correct horse"),
    ),
    "login": (
        '{"type": "login", "id": "2", "username": "Ada", "password": "correct horse"}',
        rq.Login(id="2", username="Ada", password="correct horse"),
    ),
    "resume": ('{"type": "resume", "id": "3", "token": "abc"}', rq.Resume(id="3", token="abc")),
    "logout": ('{"type": "logout", "id": "4"}', rq.Logout(id="4")),
    "ping": ('{"id": "5", "type": "ping"}', rq.Ping(id="5")),
    "send": (
        '{"type": "send", "id": "6", "room": "general", "body": "hi", "client_msg_id": "c1"}',
        rq.Send(id="6", room="general", body="hi", client_msg_id="c1"),
    ),
    "history": (
        '{"type": "history", "id": "7", "room": "general", "before": 120, "limit": 20}',
        rq.History(id="7", room="general", before=120, limit=20),
    ),
    "sync": (
        '{"type": "sync", "id": "8", "since": {"general": 41, "dm:ada:bob": 0}}',
        rq.Sync(id="8", since={"general": 41, "dm:ada:bob": 0}),
    ),
    "rooms": ('{"type": "rooms", "id": "9"}', rq.Rooms(id="9")),
    "create_room": (
        '{"type": "create_room", "id": "10", "name": "LAN Party", "private": true}',
        rq.CreateRoom(id="10", name="LAN Party", private=True),
    ),
    "update_room": (
        '{"type": "update_room", "id": "11", "room": "lan-party", "topic": "Saturday"}',
        rq.UpdateRoom(id="11", room="lan-party", topic="Saturday"),
    ),
    "join": (
        '{"type": "join", "id": "12", "room": "lan-party"}',
        rq.Join(id="12", room="lan-party"),
    ),
    "leave": (
        '{"type": "leave", "id": "13", "room": "lan-party"}',
        rq.Leave(id="13", room="lan-party"),
    ),
    "invite": (
        '{"type": "invite", "id": "14", "room": "lan-party", "user": "bob"}',
        rq.Invite(id="14", room="lan-party", user="bob"),
    ),
    "open_dm": ('{"type": "open_dm", "id": "15", "user": "bob"}', rq.OpenDm(id="15", user="bob")),
    "members": (
        '{"type": "members", "id": "16", "room": "general"}',
        rq.Members(id="16", room="general"),
    ),
    "users": ('{"type": "users", "id": "17"}', rq.Users(id="17")),
    "typing": (
        '{"type": "typing", "id": "18", "room": "general"}',
        rq.Typing(id="18", room="general"),
    ),
    "update_profile": (
        '{"type": "update_profile", "id": "19", "display_name": "Ada L.", "color": "#1D9BF0"}',
        rq.UpdateProfile(id="19", display_name="Ada L.", color="#1D9BF0"),
    ),
    "change_password": (
        '{"type": "change_password", "id": "20", "old": "correct horse", "new": "battery staple"}',
        rq.ChangePassword(id="20", old="correct horse", new="battery staple"),
    ),
    "kick": (
        '{"type": "kick", "id": "21", "user": "eve", "reason": "spam", "room": "lan-party"}',
        rq.Kick(id="21", user="eve", reason="spam", room="lan-party"),
    ),
    "ban": ('{"type": "ban", "id": "22", "user": "eve"}', rq.Ban(id="22", user="eve")),
    "unban": (
        '{"type": "unban", "id": "23", "user": "eve", "room": null}',
        rq.Unban(id="23", user="eve"),
    ),
    "mute": (
        '{"type": "mute", "id": "24", "user": "eve", "seconds": 600}',
        rq.Mute(id="24", user="eve", seconds=600),
    ),
    "notice": (
        '{"type": "notice", "id": "1", "text": "restart at 22:00"}',
        rq.Notice(id="1", text="restart at 22:00"),
    ),
    "moderation": (
        '{"type": "moderation", "id": "1", "room": "lan-party"}',
        rq.ModerationList(id="1", room="lan-party"),
    ),
    "delete_message": (
        '{"type": "delete_message", "id": "25", "room": "general", "seq": 42}',
        rq.DeleteMessage(id="25", room="general", seq=42),
    ),
    "mark_read": (
        '{"type": "mark_read", "id": "26", "room": "general", "seq": 42}',
        rq.MarkRead(id="26", room="general", seq=42),
    ),
    "search": (
        '{"type": "search", "id": "27", "query": "pizza", "room": null, "limit": 20}',
        rq.Search(id="27", query="pizza", room=None, limit=20),
    ),
    "edit_message": (
        '{"type": "edit_message", "id": "28", "room": "general", "seq": 42, "body": "typo"}',
        rq.EditMessage(id="28", room="general", seq=42, body="typo"),
    ),
    "react": (
        '{"type": "react", "id": "29", "room": "general", "seq": 42, "emoji": "\U0001f44d"}',
        rq.React(id="29", room="general", seq=42, emoji="\U0001f44d"),
    ),
    "pin": (
        '{"type": "pin", "id": "30", "room": "general", "seq": 42}',
        rq.Pin(id="30", room="general", seq=42),
    ),
    "unpin": (
        '{"type": "unpin", "id": "31", "room": "general", "seq": 42}',
        rq.Unpin(id="31", room="general", seq=42),
    ),
    "pins": ('{"type": "pins", "id": "32", "room": "general"}', rq.Pins(id="32", room="general")),
    "thread": (
        '{"type": "thread", "id": "33", "room": "general", "root": 7, "before": null}',
        rq.Thread(id="33", room="general", root=7),
    ),
    "threads": (
        '{"type": "threads", "id": "34", "room": "general", "limit": 10}',
        rq.Threads(id="34", room="general", limit=10),
    ),
}


def refusal(frame: str | bytes) -> tuple[ErrorCode, str | None, str]:
    """(code, id, message) of the error a frame is refused with."""
    with pytest.raises(ProtocolError) as caught:
        decode_request(frame)
    return caught.value.code, caught.value.request_id, caught.value.message
