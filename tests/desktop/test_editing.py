"""Editing and deleting messages from the desktop app, driven like a user would (a right
click on a message, its dialog, Up in the empty message box), against a real server."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.client import Client
from chinwag.protocol.events import MessageEdited
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until
from tests.desktop.test_app import timeline_text, type_and_send

if TYPE_CHECKING:
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.editing import EditMessageDialog

pytestmark = pytest.mark.display


def seq_of(app: DesktopApp, body: str) -> int:
    """The seq of the stored message `body` in general (once stored, not just pending)."""
    rs = app.state.rooms["general"]

    def stored() -> list[int]:
        return [seq for seq, msg in rs.messages.items() if msg.body == body]

    return int(pump_until(app.root, stored, what=f"{body!r} stored")[0])


#: What every text message's menu starts with; then "Pin to the room" for those who may.
CONVERSE = ["Reply", "Reply in thread", "Add a reaction…"]
PIN = "Pin to the room"


def right_click(app: DesktopApp, seq: int, shown: list[tk.Menu]) -> list[str]:
    """Right-click the last line of message `seq`; the labels of the menu it opens."""
    assert app.main is not None
    timeline = app.main.timeline
    timeline.reveal(seq)
    app.root.update()
    lines = timeline.lines_of(seq)
    assert lines is not None
    box = timeline.text.bbox(f"{lines[1] - 1}.0")
    assert box is not None
    before = len(shown)
    timeline.text.event_generate("<Button-3>", x=box[0] + 3, y=box[1] + 3)
    app.root.update()
    assert len(shown) == before + 1, "no menu opened"
    return labels(shown[-1])


def labels(menu: tk.Menu) -> list[str]:
    end = menu.index("end")
    return [] if end is None else [
        menu.entrycget(i, "label") for i in range(end + 1) if menu.type(i) == "command"
    ]  # fmt: skip


def choose(menu: tk.Menu, label: str) -> None:
    end = menu.index("end")
    assert end is not None
    for i in range(end + 1):
        if menu.type(i) == "command" and menu.entrycget(i, "label") == label:
            menu.invoke(i)
            return
    raise AssertionError(f"no {label!r} in the menu")


def edit_dialog(app: DesktopApp) -> EditMessageDialog:
    from chinwag.desktop.editing import EditMessageDialog

    dialogs = [d for d in app.dialogs if isinstance(d, EditMessageDialog)]
    open_ = [d for d in dialogs if d.top.winfo_exists()]
    assert len(open_) == 1, f"{len(open_)} edit dialogs open"
    return open_[0]


def type_over(app: DesktopApp, dialog: EditMessageDialog, *lines: str) -> None:
    """Replace the dialog's text by `lines`, each new line with Shift+Enter."""
    box = dialog.text
    box.focus_force()
    app.root.update()
    box.delete("1.0", "end")
    for i, line in enumerate(lines):
        if i:
            box.event_generate("<Shift-Return>")
        box.insert("insert", line)


def press(app: DesktopApp, widget: tk.Misc, key: str) -> None:
    widget.focus_force()
    app.root.update()
    widget.event_generate(key)
    app.root.update()


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> list[tk.Menu]:
    """The menus the app pops up, kept instead of shown (a posted menu grabs the display)."""
    from chinwag.desktop import editing

    shown: list[tk.Menu] = []
    monkeypatch.setattr(editing, "popup", lambda menu, _x, _y: shown.append(menu))
    return shown


def test_edit_own_message_by_menu_and_by_up_in_the_empty_box(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    menus: list[tk.Menu],
) -> None:
    bob = other("bob")  # the first account: a server admin, ada is not one
    seen: list[Any] = []
    bob.subscribe(seen.append)
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    root, main, run = app.root, app.main, loop_thread.run
    assert main is not None
    type_and_send(app, "helo everyone")
    pump_until(root, lambda: "helo everyone\n" in timeline_text(app), what="my message")
    run(bob.send("general", "hi ada"))
    pump_until(root, lambda: "hi ada\n" in timeline_text(app), what="bob's message")
    mine, theirs = seq_of(app, "helo everyone"), seq_of(app, "hi ada")

    # Someone else's message: reply, react, copy it, nothing more (ada moderates nothing
    # here).
    assert right_click(app, theirs, menus) == [*CONVERSE, "Copy text"]
    choose(menus[-1], "Copy text")
    assert root.clipboard_get() == "hi ada"
    assert app.edit_message("general", theirs) is None

    # One's own: Edit… opens the text; Escape cancels and changes nothing.
    assert right_click(app, mine, menus) == [*CONVERSE, "Copy text", "Edit…", "Delete…"]
    picked = main.timeline.text.tag_ranges("picked")
    assert picked and main.timeline.text.get(*picked).strip().endswith("helo everyone")
    choose(menus[-1], "Edit…")
    dialog = edit_dialog(app)
    assert dialog.value() == "helo everyone"
    press(app, dialog.text, "<Escape>")
    assert not dialog.top.winfo_exists()
    assert "(edited)" not in timeline_text(app)

    # Enter saves (Shift+Enter makes a new line); "(edited)" follows the body, in grey.
    right_click(app, mine, menus)
    choose(menus[-1], "Edit…")
    dialog = edit_dialog(app)
    type_over(app, dialog, "hello everyone", "and bob")
    press(app, dialog.text, "<Return>")
    pump_until(root, lambda: not dialog.top.winfo_exists(), what="the dialog to close")
    assert "hello everyone\nand bob (edited)\n" in timeline_text(app)
    text = main.timeline.text
    where = text.search("(edited)", "1.0")
    assert "edited" in text.tag_names(where)
    assert str(text.tag_cget("edited", "foreground")) == app.palette.muted
    assert app.state.rooms["general"].messages[mine].edited_ts is not None

    def bob_saw(body: str) -> bool:
        return any(isinstance(e, MessageEdited) and e.message.body == body for e in list(seen))

    pump_until(root, lambda: bob_saw("hello everyone\nand bob"), what="bob to see the edit")

    # Up in the message box edits the last own message, only when the box is empty.
    box = main.composer.text
    box.insert("end", "a draft")
    press(app, box, "<Up>")
    assert not any(d.top.winfo_exists() for d in app.dialogs)
    main.composer.clear()
    press(app, box, "<Up>")
    dialog = edit_dialog(app)
    assert dialog.value() == "hello everyone\nand bob"
    type_over(app, dialog, "hello all")
    press(app, dialog.text, "<Return>")
    pump_until(root, lambda: "hello all (edited)\n" in timeline_text(app), what="the edit")
    pump_until(root, lambda: bob_saw("hello all"), what="bob to see the second edit")
    assert "hi ada\n" in timeline_text(app)  # bob's message untouched
    pump_until(root, lambda: root.focus_get() is box, what="the keyboard back in the box")

    # Refused by the server (muted): its reason shows and the dialog stays open.
    run(bob.mute("ada", 300, room="general"))
    pump_until(root, lambda: "bob muted ada" in timeline_text(app), what="the mute")
    press(app, box, "<Up>")
    dialog = edit_dialog(app)
    type_over(app, dialog, "let me speak")
    dialog.ok.invoke()
    pump_until(root, lambda: dialog.error.cget("text"), what="the refusal")
    assert "mute" in str(dialog.error.cget("text")).lower()
    assert dialog.top.winfo_exists() and str(dialog.ok.cget("state")) == "normal"
    assert "let me speak" not in timeline_text(app)
    press(app, dialog.text, "<Escape>")
    assert not dialog.top.winfo_exists()


def test_others_edits_show_live_and_a_moderator_deletes(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    menus: list[tk.Menu],
) -> None:
    from chinwag.desktop.editing import DeleteMessageDialog

    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)  # the first account: a server admin
    root, run = app.root, loop_thread.run
    bob = other("bob")
    said = run(bob.send("general", "see you at 8"))
    pump_until(root, lambda: "see you at 8\n" in timeline_text(app), what="bob's message")

    # bob edits: the new body and "(edited)" show up live.
    run(bob.edit_message("general", said.seq, "see you at 9"))
    pump_until(root, lambda: "see you at 9 (edited)\n" in timeline_text(app), what="the edit")
    assert "see you at 8" not in timeline_text(app)

    # An admin may delete bob's message, never edit it.
    assert right_click(app, said.seq, menus) == [*CONVERSE, PIN, "Copy text", "Delete…"]
    choose(menus[-1], "Delete…")
    dialog = next(d for d in app.dialogs if isinstance(d, DeleteMessageDialog))
    press(app, dialog.top, "<Escape>")  # cancelled: still there
    assert not dialog.top.winfo_exists() and "see you at 9" in timeline_text(app)
    right_click(app, said.seq, menus)
    choose(menus[-1], "Delete…")
    dialog = next(d for d in app.dialogs[::-1] if isinstance(d, DeleteMessageDialog))
    dialog.ok.invoke()
    pump_until(root, lambda: not dialog.top.winfo_exists(), what="the dialog to close")
    assert "message deleted\n" in timeline_text(app)
    assert "see you at 9" not in timeline_text(app)
    history = run(bob.history("general", limit=20)).messages
    assert any(m.seq == said.seq and m.deleted for m in history)
