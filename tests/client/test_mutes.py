"""Being muted, as the view-model tells it: the notices, the time left in words, the
message box's sentence, and a refused send that says why."""

from __future__ import annotations

from typing import Any

import msgspec

from chinwag.client.events import LoggedIn, SendFailed, Status, StatusChanged
from chinwag.client.state import ChatState
from chinwag.protocol.codec import decode_event
from tests.client.test_state import ADA, logged_in

NOW = 1_767_261_000.0


class Wall:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def event(type_: str, **fields: Any) -> Any:
    """The event as the client decodes it from the wire."""
    return decode_event(msgspec.json.encode({"type": type_, **fields}))


def muted_state() -> tuple[ChatState, Wall]:
    wall = Wall()
    state = logged_in(wall=wall)
    return state, wall


def muted(room: str | None, seconds: float | None, **kw: Any) -> Any:
    until = None if seconds is None else int((NOW + seconds) * 1000)
    fields = {"reason": "", "by": "bob", "by_display_name": "Bob"} | kw
    return event("muted", room=room, until=until, **fields)


def test_a_mute_is_told_with_the_time_left_in_words() -> None:
    state, wall = muted_state()
    update = state.apply(muted("lan", 3600, reason="calm down"))
    assert update.muted
    assert update.notices == ["You are muted in #LAN Party for 1 hour by Bob: calm down"]
    mute = state.mute_for("lan")
    assert mute is not None
    wall.now += 60
    assert (
        state.mute_sentence(mute) == "You are muted in #LAN Party for 59 minutes by Bob: calm down"
    )
    assert state.mute_for("general") is None  # a room mute is for that room only
    wall.now += 3600
    assert state.mute_for("lan") is None  # ran out (the server's `unmuted` is on its way)


def test_server_wide_and_endless_mutes() -> None:
    state, _wall = muted_state()
    update = state.apply(muted(None, None, by=None, by_display_name=None))
    assert update.notices == ["You are muted on this server until you are unmuted"]
    assert state.mute_for("general") is not None and state.mute_for("lan") is not None


def test_unmuted_ends_it_and_says_so_once() -> None:
    state, _wall = muted_state()
    state.apply(muted("lan", 600))
    update = state.apply(event("unmuted", room="lan"))
    assert update.muted and update.notices == ["You are no longer muted in #LAN Party."]
    assert state.mute_for("lan") is None
    assert state.apply(event("unmuted", room="lan")).notices == []


def test_after_a_resume_the_same_mute_is_not_told_again_and_a_lifted_one_goes() -> None:
    state, _wall = muted_state()
    state.apply(muted("lan", 600))
    state.apply(muted(None, 600))
    state.apply(StatusChanged(Status.RECONNECTING, retry_in=1.0))
    state.apply(LoggedIn(ADA, "token", True))
    assert state.apply(muted("lan", 600)).notices == []  # told again: nothing new
    update = state.apply(StatusChanged(Status.CONNECTED))
    assert update.muted
    assert state.mute_for("lan") is not None
    assert None not in state.mutes  # the server-wide one was lifted while away


def test_a_send_refused_as_muted_says_why_in_words() -> None:
    state, _wall = muted_state()
    state.add_pending("lan", "c1", "hello?", 0)
    state.apply(SendFailed("lan", "c1", "muted", "you are muted for 3598 more s", 3597.9))
    item = state.rooms["lan"].pending["c1"]
    assert item.failed
    assert item.error == "Not sent: you are muted for 1 hour"
    state.apply(muted("lan", None))
    state.add_pending("lan", "c2", "still?", 0)
    state.apply(SendFailed("lan", "c2", "muted", "you are muted", None))
    assert state.rooms["lan"].pending["c2"].error == "Not sent: you are muted until you are unmuted"


def test_the_message_box_says_it_shortly() -> None:
    state, _wall = muted_state()
    state.apply(muted("lan", 7200, reason="let the others talk"))
    mute = state.mute_for("lan")
    assert mute is not None
    assert state.mute_box_text(mute) == "You are muted here for 2 hours: let the others talk"
    state.apply(muted(None, None))
    server = state.mutes[None]
    assert state.mute_box_text(server) == "You are muted on this server until you are unmuted"


def test_a_mute_told_before_the_login_is_reported_stays() -> None:
    """The server's `muted` follows its login reply at once and may be applied before
    the client reports the login: the catch-up must not take it for a lifted one."""
    state, _wall = muted_state()
    state.apply(StatusChanged(Status.RECONNECTING, retry_in=1.0))
    state.apply(StatusChanged(Status.CONNECTING))
    state.apply(muted("lan", 600))
    state.apply(LoggedIn(ADA, "token", True))
    state.apply(StatusChanged(Status.CONNECTED))
    assert state.mute_for("lan") is not None
