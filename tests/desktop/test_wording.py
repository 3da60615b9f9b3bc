"""The sentences of issue 10, without a display: grey lines with names, a banned login,
server addresses, and what the address check says."""

from __future__ import annotations

import aiohttp
import pytest

from chinwag.client.errors import ConnectionLost, RequestError
from chinwag.desktop.dialogs import public_rooms
from chinwag.desktop.emoji import pick_family, split_emoji
from chinwag.desktop.rows import Layout
from chinwag.desktop.wording import login_error, probe_text, short_address, system_text
from chinwag.protocol.types import Message, Room
from tests.client.test_state import logged_in

NAMES = {"ada": "Ada Lovelace", "bob": "Bob Smith", "bob.": "Dot"}


def name_of(username: str) -> str:
    return NAMES.get(username.lower(), username)


@pytest.mark.parametrize(
    ("body", "sender", "shown"),
    [
        ("bob joined", "bob", "Bob Smith joined"),
        ("bob left", "bob", "Bob Smith left"),
        ("ada added bob", "ada", "Ada Lovelace added Bob Smith"),
        ("ada kicked bob: spam", "ada", "Ada Lovelace kicked Bob Smith: spam"),
        ("ada banned bob. for good", "ada", "Ada Lovelace banned Dot for good"),
        ("ada unbanned bob", "ada", "Ada Lovelace unbanned Bob Smith"),
        ("ada unmuted bob", "ada", "Ada Lovelace unmuted Bob Smith"),
        ("ada muted bob for 10 min", "ada", "Ada Lovelace muted Bob Smith for 10 minutes"),
        ("ada muted bob for 1 d: calm", "ada", "Ada Lovelace muted Bob Smith for 1 day: calm"),
        ("ada created LAN Party", "ada", "Ada Lovelace created LAN Party"),
        ("ada renamed the room to x", "ada", "Ada Lovelace renamed the room to x"),
        ("something else", "ada", "something else"),
    ],
)
def test_grey_lines_use_display_names_and_words(body: str, sender: str, shown: str) -> None:
    assert system_text(body, sender, name_of) == shown
    line = Layout(name_of).message(
        Message(room="r", seq=2, sender=sender, body=body, ts=0, kind="system"), None
    )
    assert f"{shown}  " in "".join(text for text, _ in line)


def test_counts_are_pluralised() -> None:
    state = logged_in()
    state.public = {
        "one": Room(id="one", name="One", kind="public", member_count=1),
        "two": Room(id="two", name="Two", kind="public", member_count=2),
    }
    assert [info for _, _, info in public_rooms(state)] == ["1 member", "2 members"]


def test_a_banned_login_says_banned_once() -> None:
    def say(message: str) -> str:
        exc = RequestError("banned", message)
        return login_error(exc, creating=False, server="chat.lan", username="bob")

    assert say("this account is banned: spam") == "This account is banned: spam"
    assert say("this account is banned") == "This account is banned"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("localhost:8080", "localhost:8080"),
        ("http://chat.lan:8080/", "chat.lan:8080"),
        ("https://chat.example.org", "chat.example.org"),
        ("wss://chat.example.org:8443", "chat.example.org:8443"),
        ("ws://[::1]:9000", "[::1]:9000"),
        ("chat.lan", "chat.lan:8080"),
    ],
)
def test_a_server_is_shown_as_host_and_port(typed: str, shown: str) -> None:
    assert short_address(typed) == shown


def test_the_address_check_tells_a_foreign_server_from_none() -> None:
    refused = ConnectionLost("Cannot reach x: connection refused (is the server running?).")
    refused.__cause__ = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("x", 1, False, True, None, None, None),
        ConnectionRefusedError(111, "refused"),
    )
    assert probe_text(refused, "x:1").startswith("Not reachable")
    foreign = ConnectionLost("Cannot reach x: it answered HTTP 404, not a chinwag WebSocket.")
    foreign.__cause__ = aiohttp.WSServerHandshakeError(None, (), status=404)  # type: ignore[arg-type]
    assert probe_text(foreign, "x:1") == "This address answers, but it is not a chinwag server."
    silent = ConnectionLost("x did not greet us: is it a chinwag server?")
    assert "not a chinwag server" in probe_text(silent, "x:1")
    assert login_error(foreign, creating=False, server="http://x:1/", username="a") == (
        "x:1 answers, but is not a chinwag server."
    )


def test_an_emoji_font_is_found_among_tks_families_or_none() -> None:
    families = ["DejaVu Sans", "Symbola", "Noto Color Emoji"]
    assert pick_family(families, x11=True, xft_version=20306) == "Noto Color Emoji"
    # An older libXft ends the program on a colour glyph: a plain emoji font then.
    assert pick_family(families, x11=True, xft_version=20304) == "Symbola"
    assert pick_family(families, x11=True, xft_version=None) == "Symbola"
    assert pick_family(["segoe ui emoji", "Arial"], x11=False, xft_version=None) == (
        "segoe ui emoji"
    )
    assert pick_family(["DejaVu Sans", "Liberation Sans"], x11=True, xft_version=20306) is None


def test_runs_of_emoji_are_tagged_when_there_is_a_font() -> None:
    assert split_emoji("hi 👋🏽 all 👨‍👩‍👧!") == [
        ("hi ", False),
        ("👋🏽", True),
        (" all ", False),
        ("👨\u200d👩\u200d👧", True),
        ("!", False),
    ]
    body = "ship it 🚀 now"
    plain = Layout(name_of).body(body, ("body",))
    assert plain == [(body, ("body",)), ("\n", ("body",))]  # no font: drawn as before
    lay = Layout(name_of)
    lay.emoji = True
    assert lay.body(body, ("body",)) == [
        ("ship it ", ("body",)),
        ("🚀", ("body", "emoji")),
        (" now", ("body",)),
        ("\n", ("body",)),
    ]
