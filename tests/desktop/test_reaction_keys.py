"""Reaction chips by keyboard under Xvfb, against a real server: Tab reaches each chip of
a message, Space and Enter press it, and the focused chip is outlined and described."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.client import Client
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    import tkinter as tk

pytestmark = pytest.mark.display

THIN = "\u2009"


def tagged(text: tk.Text, tag: str) -> list[str]:
    ranges = text.tag_ranges(tag)
    return [text.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]


def press(root: Any, key: str) -> Any:
    """Press `key` where the focus is; returns where the focus is then."""
    widget = root.focus_get()
    assert widget is not None
    widget.event_generate(key)
    root.update()
    return root.focus_get()


def test_tab_space_and_enter_on_reaction_chips(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    run = loop_thread.run
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    lunch = run(bob.send("general", "lunch at noon?"))
    run(bob.react("general", lunch.seq, "👍"))
    run(bob.react("general", lunch.seq, "🎉"))
    main = app.main
    assert main is not None
    text = main.timeline.text
    pump_until(app.root, lambda: len(tagged(text, "chip")) == 2, what="bob's reactions")
    keys = main.clicks.keys
    app.root.focus_force()
    main.composer.text.focus_set()
    app.root.update()

    # Tab from the message box comes round to the timeline, at the first chip.
    for _ in range(40):
        if press(app.root, "<Tab>") is text:
            break
    assert app.root.focus_get() is text
    assert keys.focused == (lunch.seq, "👍")
    assert tagged(text, "chip_focus") == [f"{THIN}👍 1{THIN}"]
    assert keys.tip.winfo_ismapped()
    assert keys.tip.cget("text") == "bob reacted with 👍 · Space or Enter: add yours"

    # Tab and Shift+Tab go from chip to chip, the "+" included.
    assert press(app.root, "<Tab>") is text and keys.focused == (lunch.seq, "🎉")
    assert press(app.root, "<Tab>") is text and keys.focused == (lunch.seq, "+")
    assert tagged(text, "chip_focus") == [f"{THIN}+{THIN}"]
    assert keys.tip.cget("text").startswith("Add a reaction")
    assert press(app.root, "<Shift-Tab>") is text and keys.focused == (lunch.seq, "🎉")
    assert press(app.root, "<Shift-Tab>") is text and keys.focused == (lunch.seq, "👍")

    # Space adds Ada's 👍; the focus stays on the chip, redrawn.
    press(app.root, "<KeyPress-space>")
    pump_until(app.root, lambda: tagged(text, "chip_mine") == [f"{THIN}👍 2{THIN}"], what="mine")
    pump_until(app.root, lambda: tagged(text, "chip_focus") == [f"{THIN}👍 2{THIN}"])
    assert app.root.focus_get() is text and keys.focused == (lunch.seq, "👍")
    assert keys.tip.cget("text") == "bob and you reacted with 👍 · Space or Enter: take yours back"
    # Enter takes it back.
    press(app.root, "<Return>")
    pump_until(app.root, lambda: tagged(text, "chip_mine") == [], what="taken back")
    pump_until(app.root, lambda: tagged(text, "chip_focus") == [f"{THIN}👍 1{THIN}"])
    assert main.composer.value() == ""  # no key went to the message box

    # Past the last chip, Tab leaves the timeline; Shift+Tab comes back to that chip.
    press(app.root, "<Tab>")
    press(app.root, "<Tab>")
    assert keys.focused == (lunch.seq, "+")
    assert press(app.root, "<Tab>") is not text
    assert tagged(text, "chip_focus") == [] and not keys.tip.winfo_ismapped()
    assert press(app.root, "<Shift-Tab>") is text and keys.focused == (lunch.seq, "+")
    # Enter on the "+" opens the emoji picker, for a reaction to that message.
    press(app.root, "<Return>")
    picker = pump_until(app.root, lambda: main.picker, what="the picker")
    pump_until(app.root, lambda: app.root.focus_get() is picker.entry, what="its search box")
    picker.query.set("rocket")
    picker.entry.event_generate("<Return>")
    pump_until(app.root, lambda: len(tagged(text, "chip")) == 3, what="the 🚀 chip")
    assert tagged(text, "chip_mine") == [f"{THIN}🚀 1{THIN}"]


def test_no_tab_stop_in_a_timeline_without_chips(
    make_app: MakeApp, chat_server: RestartableServer
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    app.root.focus_force()
    main.composer.text.focus_set()
    app.root.update()
    seen = [press(app.root, "<Tab>") for _ in range(30)]
    assert main.timeline.text not in seen


def test_who_reacted_in_words() -> None:
    from chinwag.desktop.chip_keys import who_reacted
    from chinwag.protocol.types import Reaction

    def who(users: list[str], count: int | None = None) -> str:
        reaction = Reaction(emoji="👍", count=count or len(users), users=users)
        return who_reacted(reaction, str.title, lambda u: u == "ada")

    assert who(["bob"]) == "Bob"
    assert who(["bob", "ada"]) == "Bob and you"
    assert who(["bob", "cy", "ada"]) == "Bob, Cy and you"
    names = [f"u{i}" for i in range(50)]
    assert who(names, 70) == "U0, U1, U2, U3, U4, U5, U6, U7 and 62 more"
    assert who([], 3) == "3 people"
