"""Searching messages from the desktop app: the dialog, driven like a user would, against a
real server (and the small wording helpers it uses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.search import SearchDialog


def test_result_lines_dates_and_summaries() -> None:
    from chinwag.desktop.search import one_line, summary, when

    assert one_line("  see you\n\tat  eight ") == "see you at eight"
    long = one_line("word " * 40, width=20)
    assert len(long) == 20 and long.endswith("…")
    local = dt.datetime(2026, 3, 3, 9, 12).astimezone()
    ts = int(local.timestamp() * 1000)
    assert when(ts, today=dt.date(2026, 3, 3)) == "Today 09:12"
    assert when(ts, today=dt.date(2026, 3, 4)) == "Yesterday 09:12"
    assert when(ts, today=dt.date(2026, 5, 1)) == "3 Mar 09:12"
    assert when(ts, today=dt.date(2027, 1, 1)) == "3 Mar 2026 09:12"
    assert summary(0, False) == "No messages found"
    assert summary(1, False) == "1 message"
    assert summary(50, True) == "Showing the newest 50; refine your search for more"


def rows(dialog: SearchDialog) -> list[tuple[str, ...]]:
    tree = dialog.tree
    return [tuple(str(v) for v in tree.item(iid, "values")) for iid in tree.get_children()]


def search_for(app: DesktopApp, dialog: SearchDialog, query: str) -> None:
    """Type `query` and press Enter; wait for the answer."""
    dialog.query.set(query)
    dialog.focus_query()
    app.root.update()
    dialog.entry.event_generate("<Return>")
    assert dialog.status.cget("text") == "Searching…"  # before any reply is read
    pump_until(app.root, lambda: dialog.status.cget("text") != "Searching…", what="the answer")


@pytest.mark.display
def test_search_across_rooms_filter_errors_and_open(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chinwag.desktop import actions
    from chinwag.desktop.search import SearchDialog

    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    root, main, run = app.root, app.main, loop_thread.run
    assert main is not None
    bob = other("bob")
    run(bob.update_profile(display_name="Bob Builder"))
    lan = run(bob.create_room("LAN Party"))
    run(bob.invite(lan.id, "ada"))
    run(bob.send("general", "pizza tonight?"))
    run(bob.send(lan.id, "I'll order the pizza\nwith extra cheese"))
    run(bob.send(lan.id, "bring a long cable"))
    pump_until(root, lambda: lan.id in app.state.rooms, what="the invitation")
    pump_until(root, lambda: app.state.display_name("bob") == "Bob Builder", what="bob's name")
    assert app.state.current == "general"

    # Ctrl+F in the message box opens the dialog; a second Ctrl+F brings back the same one.
    main.composer.text.focus_set()
    main.composer.text.event_generate("<Control-f>")
    dialog = next(d for d in app.dialogs if isinstance(d, SearchDialog))
    assert main.composer.value() == ""
    main.composer.text.event_generate("<Control-f>")
    assert [d for d in app.dialogs if isinstance(d, SearchDialog)] == [dialog]
    assert dialog.scope.get() == "all" and "general" in dialog.here_button.cget("text")

    # Across all rooms, newest first, with room, display name, date and one line of body.
    search_for(app, dialog, "pizza")
    found = rows(dialog)
    assert [r[0] for r in found] == ["# LAN Party", "# general"]
    assert found[0][1] == "Bob Builder" and found[0][2].startswith("Today ")
    assert found[0][3] == "I'll order the pizza with extra cheese"
    assert dialog.status.cget("text") == "2 messages" and dialog.error.cget("text") == ""

    # This room only: the same query again, restricted to general.
    dialog.here_button.invoke()
    assert dialog.status.cget("text") == "Searching…"
    pump_until(root, lambda: dialog.status.cget("text") == "1 message", what="general only")
    assert [r[0] for r in rows(dialog)] == ["# general"]
    dialog.all_button.invoke()
    pump_until(root, lambda: len(rows(dialog)) == 2, what="all rooms again")

    # More matches than asked for: the newest, and a hint to narrow the search.
    monkeypatch.setattr(actions, "LIMIT", 1)
    search_for(app, dialog, "pizza")
    assert [r[0] for r in rows(dialog)] == ["# LAN Party"]
    assert dialog.status.cget("text") == "Showing the newest 1; refine your search for more"
    monkeypatch.undo()

    # The server's refusal of a one-letter query, then nothing found.
    search_for(app, dialog, "p")
    assert dialog.error.cget("text") == "Search for at least 2 characters."
    assert rows(dialog) == []
    assert dialog.ok.instate(["disabled"])
    search_for(app, dialog, "zebra")
    assert dialog.status.cget("text") == "No messages found" and dialog.error.cget("text") == ""

    # Keyboard only: Down from the query to the results, Enter opens the room and closes.
    search_for(app, dialog, "cable")
    assert [r[3] for r in rows(dialog)] == ["bring a long cable"]
    dialog.entry.event_generate("<Down>")
    root.update()
    assert dialog.tree.focus_get() is dialog.tree
    dialog.tree.event_generate("<Return>")
    pump_until(root, lambda: app.state.current == lan.id, what="the LAN room")
    assert not dialog.top.winfo_exists()
    assert main.title.cget("text") == "# LAN Party"

    # The header's button opens it too; a double click opens a result; Escape closes.
    main.search_button.invoke()
    again = next(d for d in app.dialogs if isinstance(d, SearchDialog) and d.top.winfo_exists())
    assert again is not dialog and "LAN Party" in again.here_button.cget("text")
    search_for(app, again, "tonight")
    tree = again.tree
    pump_until(root, lambda: tree.bbox(tree.get_children()[0]), what="the row drawn")
    x, y, _w, h = tree.bbox(tree.get_children()[0])
    tree.event_generate("<ButtonPress-1>", x=x + 20, y=y + h // 2)
    tree.event_generate("<ButtonRelease-1>", x=x + 20, y=y + h // 2)
    tree.event_generate("<ButtonPress-1>", x=x + 20, y=y + h // 2)  # the second click
    pump_until(root, lambda: app.state.current == "general", what="general")
    assert not again.top.winfo_exists()
    third = app.open_search()
    root.update()
    third.entry.event_generate("<Escape>")
    assert not third.top.winfo_exists()
