"""Emoji and people in the message box: the picker, `:shortcode:` and `@name` completion,
and known `:names:` turned into emoji when sent. The rules without a display first, then
the real app under Xvfb, by keyboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.client import Client
from chinwag.core.emojis import POPULAR
from chinwag.desktop.completion import Choice, member_choices, word_before
from chinwag.desktop.emoji_picker import COLUMNS, matches
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp


def test_the_word_being_completed() -> None:
    assert word_before("hi :sm") == ("emoji", ":sm")
    assert word_before(":thumbs_u") == ("emoji", ":thumbs_u")
    assert word_before("(:+1") == ("emoji", ":+1")
    assert word_before("hi :s") is None  # two characters at least
    assert word_before("at 10:30") is None  # glued to a word: a time, not a name
    assert word_before("hi :smile: ") is None
    assert word_before("hey @") == ("mention", "@")
    assert word_before("@ad") == ("mention", "@ad")
    assert word_before("mail ada@ex") is None
    assert word_before("plain text") is None


def test_people_by_username_or_display_name() -> None:
    people = [("ada", "Ada Lovelace"), ("bob", "Bob"), ("grace", "Grace Hopper")]
    assert member_choices("@a", people) == [Choice("Ada Lovelace  @ada", "@ada ")]
    assert [c.insert for c in member_choices("@hop", people)] == ["@grace "]
    assert [c.insert for c in member_choices("@", people)] == ["@ada ", "@bob ", "@grace "]
    assert member_choices("@bob", people) == [Choice("@bob", "@bob ")]
    assert member_choices("@zed", people) == []


def test_picker_matches_popular_first() -> None:
    every = matches("")
    assert [e.emoji for e in every[: len(POPULAR)]] == list(POPULAR)
    assert matches("thumbs up")[0].emoji == "👍"
    assert all("heart" in " ".join(e.names) for e in matches(":HEART"))
    assert matches("no such emoji name") == []


def type_text(widget: Any, text: str) -> None:
    """Key presses and releases, one character at a time, as a user types."""
    for char in text:
        keysym = {" ": "space", ":": "colon", "@": "at", "_": "underscore"}.get(char, char)
        widget.event_generate("<KeyPress>", keysym=keysym)
        widget.event_generate("<KeyRelease>", keysym=keysym)
    widget.update()


@pytest.fixture
def ada_app(
    make_app: MakeApp, chat_server: RestartableServer, other: Callable[..., Client]
) -> tuple[DesktopApp, Client]:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    pump_until(app.root, lambda: "bob joined" in app.main.timeline.text.get("1.0", "end"))  # type: ignore[union-attr]
    app.root.focus_force()
    return app, bob


@pytest.mark.display
def test_the_picker_by_keyboard(ada_app: tuple[DesktopApp, Client]) -> None:
    app, _bob = ada_app
    main = app.main
    assert main is not None
    main.composer.text.focus_set()
    main.composer.text.insert("end", "ship it ")
    main.composer.emoji_button.focus_set()
    main.composer.emoji_button.event_generate("<space>")  # a focused button: Space presses it
    picker = pump_until(app.root, lambda: main.picker, what="the picker")
    pump_until(app.root, lambda: app.root.focus_get() is picker.entry, what="its search box")
    assert [c.cget("text") for c in picker.cells[:3]] == list(POPULAR[:3])
    picker.entry.event_generate("<Escape>")
    app.root.update()
    assert not picker.top.winfo_exists()

    picker = main.open_emoji_picker()
    pump_until(app.root, lambda: app.root.focus_get() is picker.entry, what="its search box")
    type_text(picker.entry, "rock")
    assert picker.cells[0].cget("text") == "🚀" and picker.name.cget("text") == ":rocket:"
    picker.entry.event_generate("<Return>")
    app.root.update()
    assert not picker.top.winfo_exists()
    assert main.composer.value() == "ship it 🚀"
    assert app.root.focus_get() is main.composer.text

    # The arrows move the highlight row by row, past the first page too.
    picker = main.open_emoji_picker()
    pump_until(app.root, lambda: app.root.focus_get() is picker.entry, what="its search box")
    for key in ("<Right>", "<Down>"):
        picker.entry.event_generate(key)
    assert picker.highlighted == matches("")[COLUMNS + 1].emoji
    for _ in range(12):
        picker.entry.event_generate("<Down>")
    assert picker.offset > 0 and picker.highlighted == matches("")[13 * COLUMNS + 1].emoji
    type_text(picker.entry, "zzzz no such")
    assert picker.name.cget("text") == "No emoji found" and picker.highlighted is None
    picker.close()


@pytest.mark.display
def test_shortcodes_and_names_complete_while_typing(
    ada_app: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, _bob = ada_app
    main = app.main
    assert main is not None
    composer = main.composer
    text = composer.text
    text.focus_set()
    pump_until(app.root, lambda: main.people_here(), what="the members")
    type_text(text, "great :thu")
    completer = composer.completer
    assert completer.active and completer.top.winfo_ismapped()
    assert completer.choices[0] == Choice("👍  :thumbs_up:", "👍")
    text.event_generate("<Tab>")  # picks, and stays in the box
    app.root.update()
    assert composer.value() == "great 👍" and not completer.active
    assert app.root.focus_get() is text

    type_text(text, " :smi")
    assert completer.active
    text.event_generate("<Escape>")
    app.root.update()
    assert not completer.active and not completer.top.winfo_ismapped()
    assert composer.value() == "great 👍 :smi"

    text.delete("1.0", "end")
    type_text(text, "thanks @b")
    assert completer.choices == [Choice("@bob", "@bob ")]
    text.event_generate("<Down>")  # one choice: stays on it
    text.event_generate("<Return>")  # picks, does not send
    app.root.update()
    assert composer.value() == "thanks @bob "

    # Known :names: become their emoji once sent; unknown ones stay as typed.
    type_text(text, "see :tada: and :no_such_name:")
    composer.completer.close()
    text.event_generate("<Return>")
    sent = "thanks @bob see 🎉 and :no_such_name:"
    pump_until(app.root, lambda: sent in text_of(app), what="the message sent")
    rs = app.state.rooms["general"]
    pump_until(app.root, lambda: rs.messages[rs.seqs[-1]].body == sent, what="stored")


def text_of(app: DesktopApp) -> str:
    assert app.main is not None
    return str(app.main.timeline.text.get("1.0", "end"))
