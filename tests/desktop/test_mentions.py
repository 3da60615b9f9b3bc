"""Which messages @mention the user, and which ones to tell them of: the rules without a
display, then the real app under Xvfb (highlighted mentions, what it notifies of)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from chinwag.desktop.mentions import (
    EVERY,
    MENTIONS,
    mentions,
    mentions_me,
    split_mentions,
    worth_telling,
)
from chinwag.desktop.notify import Notifier
from chinwag.desktop.prefs import Prefs
from chinwag.protocol.types import Message
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp


def msg(body: str, sender: str = "bob", **kw: object) -> Message:
    return Message(room="general", seq=1, sender=sender, body=body, ts=0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "hi @ada!",
        "@ADA",
        "@Ada, look",
        "thanks @ada.",
        "(@ada)",
        "ping @ada: the build",
        "hey\n@ada",
        "@bob @ada",
    ],
)
def test_a_whole_word_mentions(text: str) -> None:
    assert mentions(text, "ada")


@pytest.mark.parametrize(
    "text",
    [
        "@adam",
        "email@ada.com",
        "me@ada",
        "@ada.lovelace",
        "@ada-lovelace",
        "@ada_2",
        "ada",
        "@ad",
        "@@ada",
        "",
    ],
)
def test_more_of_a_name_or_mid_word_does_not(text: str) -> None:
    assert not mentions(text, "ada")


def test_names_with_dots_and_dashes_are_taken_literally() -> None:
    assert mentions("hi @a.b-c", "a.b-c")
    assert not mentions("hi @axb-c", "a.b-c")
    assert not mentions("anything", None) and not mentions("@", "")


def test_split_keeps_every_character_and_finds_each_mention() -> None:
    text = "@Ada and @adam, then @ADA!"
    runs = split_mentions(text, "ada")
    assert "".join(piece for piece, _ in runs) == text
    assert [piece for piece, named in runs if named] == ["@Ada", "@ADA"]
    assert split_mentions("no one", "ada") == [("no one", False)]
    assert split_mentions("@ada", None) == [("@ada", False)]
    assert split_mentions("", "ada") == []


def test_only_someone_elses_live_text_mentions_me() -> None:
    assert mentions_me(msg("hi @ada"), "Ada")
    assert not mentions_me(msg("note to self @ada", sender="ADA"), "ada")
    assert not mentions_me(msg("@ada was kicked", kind="system"), "ada")
    assert not mentions_me(msg("", deleted=True), "ada")
    assert not mentions_me(msg("hi @ada"), None)


def test_worth_telling_follows_the_choice() -> None:
    plain, named = msg("lunch?"), msg("@ada lunch?")
    assert not worth_telling(plain, dm=False, me="ada", notify_of=MENTIONS)
    assert worth_telling(plain, dm=True, me="ada", notify_of=MENTIONS)
    assert worth_telling(named, dm=False, me="ada", notify_of=MENTIONS)
    assert worth_telling(plain, dm=False, me="ada", notify_of=EVERY)
    # @room and @here tell everyone only with the server's flag
    assert not worth_telling(msg("@room lunch?"), dm=False, me="ada", notify_of=MENTIONS)
    flagged = msg("@room lunch?", mentions_all="room")
    assert worth_telling(flagged, dm=False, me="ada", notify_of=MENTIONS)


# -- the real app, under Xvfb ----------------------------------------------------------------
@pytest.fixture
def ada_and_bob(
    make_app: MakeApp, chat_server: RestartableServer, other: Callable[..., Client]
) -> tuple[DesktopApp, Client, list[str], list[int]]:
    """Ada's app (not focused, in general) with a test double recording desktop
    notifications, taskbar flags (their window ids) and bells; and Bob."""
    flags: list[str] = []
    app = make_app(chat_server.address, notifier=Notifier(urgency=flags.append, quiet=0))
    rings: list[int] = []
    app.root.bell = lambda *_a, **_k: rings.append(1)  # type: ignore[method-assign]
    log_in(app, "ada", create=True)
    bob = other("bob")
    pump_until(app.root, lambda: "bob joined" in timeline_text(app), what="bob's join")
    app.set_focused(False)
    return app, bob, flags, rings


def timeline_text(app: DesktopApp) -> str:
    assert app.main is not None
    return str(app.main.timeline.text.get("1.0", "end"))


def arrive(app: DesktopApp, room: str, count: int) -> None:
    pump_until(app.root, lambda: room in app.state.rooms and app.state.rooms[room].unread == count)


@pytest.mark.display
def test_only_direct_messages_and_mentions_notify_when_chosen(
    ada_and_bob: tuple[DesktopApp, Client, list[str], list[int]], loop_thread: LoopThread
) -> None:
    app, bob, flags, rings = ada_and_bob
    run = loop_thread.run
    dialog = app.open_settings()
    assert dialog.notify_of.get() == EVERY
    dialog.notify_choices[MENTIONS].invoke()
    dialog.close()
    assert app.prefs.notify_of == MENTIONS
    assert Prefs.load(app.prefs.directory).notify_of == MENTIONS  # saved
    team = run(bob.create_room("Team", private=True)).id
    run(bob.invite(team, "ada"))
    pump_until(app.root, lambda: team in app.state.rooms and app.state.rooms[team].loaded)
    assert app.state.current == "general"

    run(bob.send(team, "standup in five"))
    arrive(app, team, 1)
    assert app.notifier.sent == [] and flags == [] and rings == []
    assert app.root.title().startswith("(1) ")  # counted all the same

    run(bob.send(team, "@Ada can you take notes?"))
    arrive(app, team, 2)
    assert app.notifier.sent == [("bob in #Team", "@Ada can you take notes?")]
    assert len(flags) == 1 and rings == [1]

    dm = run(bob.open_dm("ada")).id
    run(bob.send(dm, "lunch later?"))
    arrive(app, dm, 1)
    assert app.notifier.sent[-1] == ("bob", "lunch later?")
    assert len(app.notifier.sent) == 2 and len(flags) == 2 and rings == [1, 1]
    assert app.root.title().startswith("(3) ")


@pytest.mark.display
def test_by_default_every_message_out_of_view_notifies(
    ada_and_bob: tuple[DesktopApp, Client, list[str], list[int]], loop_thread: LoopThread
) -> None:
    app, bob, flags, rings = ada_and_bob
    assert app.prefs.notify_of == EVERY

    loop_thread.run(bob.send("general", "standup in five"))
    arrive(app, "general", 1)
    assert app.notifier.sent == [("bob in #general", "standup in five")]
    assert len(flags) == 1 and rings == [1]


@pytest.mark.display
def test_a_mention_is_highlighted_in_the_timeline(
    ada_and_bob: tuple[DesktopApp, Client, list[str], list[int]], loop_thread: LoopThread
) -> None:
    app, bob, _flags, _rings = ada_and_bob
    app.set_focused(True)
    run = loop_thread.run
    run(bob.send("general", "not for you, @adam"))
    run(bob.send("general", "welcome @ada! grab a chair"))
    pump_until(app.root, lambda: "grab a chair" in timeline_text(app), what="the mention")
    assert app.main is not None
    text = app.main.timeline.text

    def tagged(tag: str) -> list[str]:
        ranges = text.tag_ranges(tag)
        return [text.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]

    assert tagged("mention_name") == ["@ada"]
    (shaded,) = tagged("mention")  # one block: Bob's name, the time and the body
    assert "welcome @ada! grab a chair" in shaded and "adam" not in shaded
    assert text.tag_cget("mention", "background") == app.palette.mention_bg
    app.apply_theme("dark")
    assert text.tag_cget("mention", "background") == app.palette.mention_bg == "#3a321c"
    assert text.tag_cget("mention_name", "foreground") == app.palette.link
