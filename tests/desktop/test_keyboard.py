"""The whole main window by keyboard alone, and side panels that fold away (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chinwag.client import Client
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump, pump_until

pytestmark = pytest.mark.display


def press(root: Any, key: str) -> Any:
    """Press `key` where the focus is; returns where the focus is then."""
    widget = root.focus_get()
    assert widget is not None
    widget.event_generate(key)
    root.update()
    return root.focus_get()


def test_tab_reaches_everything_and_never_types_a_tab(
    make_app: MakeApp, chat_server: RestartableServer
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    app.root.focus_force()
    main.composer.text.focus_set()
    app.root.update()
    seen = []
    for _ in range(30):
        seen.append(press(app.root, "<Tab>"))
    assert main.composer.value() == ""  # Tab left the box instead of typing
    wanted = {
        "room list": main.rooms.tree,
        "new room": main.plus,
        "hide rooms": main.rooms_toggle,
        "search": main.search_button,
        "hide people": main.people_toggle,
        "room menu": main.room_button,
        "message box": main.composer.text,
        "send": main.composer.send_button,
        "emoji": main.composer.emoji_button,
        "people": main.members.tree,
        "settings": main.settings_button,
    }
    missing = [name for name, widget in wanted.items() if widget not in seen]
    assert not missing, missing
    # Shift+Tab goes back the same way.
    main.composer.text.focus_set()
    app.root.update()
    assert press(app.root, "<Shift-Tab>") is not main.composer.text


def test_rooms_people_and_panels_by_keyboard(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    bob = other("bob")
    loop_thread.run(bob.create_room("Project talk"))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    app.network.call(lambda client: client.join("project-talk"))
    pump_until(app.root, lambda: main.rooms.tree.exists("project-talk"), what="the room")
    app.root.focus_force()

    # Down in the room list opens the next room and stays in the list.
    tree = main.rooms.tree
    tree.focus_set()
    tree.focus("general")
    app.root.update()
    assert press(app.root, "<Down>") is tree
    pump_until(app.root, lambda: app.state.current == "project-talk", what="the next room")
    assert app.root.focus_get() is tree

    # The person menu from the keyboard (Shift+F10) on the selected member.
    people = main.members.tree
    pump_until(app.root, lambda: people.exists("m:bob"), what="bob in the list")
    people.focus_set()
    people.selection_set("m:bob")
    app.root.update()
    press(app.root, "<Shift-F10>")
    menu = app.menu_shown
    assert menu is not None and menu.winfo_ismapped()
    assert menu.entrycget(0, "label") == "Message bob"
    menu.unpost()

    # Page Up in the message box scrolls the conversation.
    async def many() -> None:
        for i in range(40):
            bob.queue_send("project-talk", f"line {i}")
        await bob.send("project-talk", "the last line")

    loop_thread.run(many())
    pump_until(app.root, lambda: "the last line" in main.timeline.text.get("1.0", "end"))
    pump(app.root, 0.2)
    main.composer.text.focus_set()
    app.root.update()
    before = main.timeline.text.yview()
    press(app.root, "<Prior>")
    assert main.timeline.text.yview()[0] < before[0]

    # Both side panels fold away (Space on their buttons) and come back.
    app.root.geometry("780x500")
    pump(app.root, 0.1)
    width = main.timeline.text.winfo_width()
    for toggle in (main.rooms_toggle, main.people_toggle):
        toggle.focus_set()
        app.root.update()
        press(app.root, "<KeyPress-space>")
        pump(app.root, 0.2)
    assert not main.rooms_shown and not main.people_shown
    assert main.timeline.text.winfo_width() > width + 400
    main.rooms_toggle.invoke()
    main.people_toggle.invoke()
    assert main.rooms_shown and main.people_shown
