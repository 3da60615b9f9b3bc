"""A long room keeps a bounded number of messages drawn (issue 10): scrolling up drops
the newest from the bottom, scrolling down draws them again, in order and once each, a
chunk at a time: what a step of the Tk loop draws does not grow with the room."""

from __future__ import annotations

import _tkinter
import time
from pathlib import Path
from typing import Any

import pytest

from chinwag.client.events import (
    LoggedIn,
    MessagesLoaded,
    RoomsLoaded,
    Status,
    StatusChanged,
    UsersLoaded,
)
from chinwag.client.state import ChatState
from chinwag.desktop.window import CHUNK, WINDOW
from chinwag.protocol.events import MessageEvent
from chinwag.protocol.types import Message, Room, User

pytestmark = pytest.mark.display

COUNT = 3 * WINDOW + 123
ADA = User(username="ada", display_name="Ada", color="#e0245e", online=True)
BOB = User(username="bob", display_name="Bob", color="#0ea5a4", online=True)


def message(seq: int) -> Message:
    start = int(time.time() * 1000) - COUNT * 60_000
    sender = "bob" if seq % 3 else "ada"
    return Message(
        room="general", seq=seq, sender=sender, body=f"line {seq}", ts=start + seq * 60_000
    )


def drawn(app: Any) -> list[int]:
    return [seq for _line, seq in app.main.timeline._starts]


def pump_by_step(app: Any) -> None:
    """Run Tk's event loop until it is idle, one step (an event, or the idle callbacks
    due) at a time: no step draws more than a chunk of messages at either end."""
    while True:
        first, last = drawn(app)[0], drawn(app)[-1]
        if not app.root.tk.dooneevent(_tkinter.ALL_EVENTS | _tkinter.DONT_WAIT):
            break
        assert first - drawn(app)[0] <= CHUNK and drawn(app)[-1] - last <= CHUNK


def test_scrolling_through_a_long_room_keeps_a_window_drawn(display: str, tmp_path: Path) -> None:
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.notify import Notifier
    from chinwag.desktop.prefs import Prefs

    app = DesktopApp(
        Prefs.load(tmp_path), server="127.0.0.1:9", notifier=Notifier(), track_focus=False
    )
    try:
        root = app.root
        state = app.state = ChatState()
        general = Room(id="general", name="general", kind="public", member=True, member_count=2)
        state.apply_all(
            [LoggedIn(ADA, "t", False), RoomsLoaded([general]), UsersLoaded([ADA, BOB])]
        )
        state.apply(StatusChanged(Status.CONNECTED))
        app.show_main()
        main = app.main
        assert main is not None
        rs = state.rooms["general"]
        app._render(
            state.apply(
                MessagesLoaded("general", [message(s) for s in range(1, COUNT + 1)], "initial")
            )
        )
        root.update()
        timeline, text = main.timeline, main.timeline.text
        assert drawn(app)[-1] == COUNT and timeline.newest_drawn

        # Up to the very top, as scrolling does: never more than WINDOW drawn, and at most
        # a chunk more at each step.
        while True:
            text.yview_moveto(0.0)
            pump_by_step(app)
            root.update()
            if drawn(app)[0] == 1:
                break
            assert len(drawn(app)) <= WINDOW
        root.update()
        assert len(drawn(app)) == WINDOW
        assert drawn(app) == list(range(1, WINDOW + 1))
        assert text.get("1.0", "1.end") == "This is the beginning of #general."
        assert not timeline.newest_drawn and not timeline.at_bottom

        # A message arriving meanwhile is not drawn up here, but counted below.
        new = message(COUNT + 1)
        app._render(state.apply(MessageEvent(message=new)))
        root.update()
        assert drawn(app)[-1] == WINDOW and rs.unseen_below == 1
        assert timeline.jump.winfo_ismapped()

        # Back down by scrolling: each message drawn again once, in order.
        for _ in range(100):
            text.yview_moveto(1.0)
            pump_by_step(app)
            root.update()
            seqs = drawn(app)
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
            assert len(seqs) <= WINDOW
            if timeline.newest_drawn:
                break
        assert drawn(app)[-1] == COUNT + 1
        text.yview_moveto(1.0)
        root.update()
        assert timeline.at_bottom and rs.unseen_below == 0
        body = text.get("1.0", "end")
        assert body.count(f"line {COUNT + 1}\n") == 1 and body.count(f"line {COUNT}\n") == 1

        # Up again a little, then the jump button brings the newest back at once.
        while drawn(app)[-1] == COUNT + 1:
            text.yview_moveto(0.0)
            root.update()
        timeline.scroll_to_bottom()  # what the jump button does
        root.update()
        assert drawn(app)[-1] == COUNT + 1 and timeline.newest_drawn
    finally:
        app.close()
