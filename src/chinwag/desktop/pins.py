"""The room's pinned messages, the most recently pinned first: go to one (Enter or a
double click), or unpin it (for those who may).

The dialog never waits on the network: `fetch(done)` is asked for the list and calls
`done(messages_or_None, error_or_None)` back on the Tk thread; `unpin(seq, done)`
likewise.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any

from chinwag.client.state import ChatState
from chinwag.core.markup import plain_text
from chinwag.desktop.listing import Fetch, TableDialog
from chinwag.desktop.rows import bidi_as_text
from chinwag.desktop.search import one_line, room_label, when
from chinwag.desktop.theme import Palette
from chinwag.protocol.types import Message, PinRef

Unpin = Callable[[int, Callable[[str | None], None]], None]


class PinsDialog(TableDialog):
    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        state: ChatState,
        room: str,
        fetch: Fetch,
        unpin: Unpin | None,
        go: Callable[[int], Any],
    ) -> None:
        columns = [
            ("sender", "From", 120, False),
            ("pinned", "Pinned", 190, False),
            ("body", "Message", 380, True),
        ]
        heading = f"Pinned in {room_label(state, room)}"
        super().__init__(root, "Pinned messages", palette, state, heading, columns, min_width=60)
        self.fetch, self.unpin_cb, self.go = fetch, unpin, go
        self.reply: Any = None
        self.ok = self.button("Go to message", self.submit)
        self.unpin_button = self.button("Unpin", self.unpin, "secondary-outline")
        if unpin is None:
            self.unpin_button.pack_forget()
        self.button("Close", self.close, "secondary-outline")
        self.bind_picking()
        self.load()

    def load(self) -> None:
        self.fetch(self._show)

    def _show(self, reply: Any, error: str | None) -> None:
        if self.top.winfo_exists():
            self.reply = reply
        self.fill(
            reply,
            error,
            failed="The pinned messages could not be loaded.",
            described=lambda n: (
                f"{n} pinned message{'s' if n != 1 else ''}" if n else "Nothing is pinned here yet."
            ),
        )

    def insert_item(self, msg: Message) -> None:
        iid = str(msg.seq)
        self.items[iid] = msg
        pin = msg.pinned if isinstance(msg.pinned, PinRef) else None
        by = f"{self.state.display_name(pin.by)}, {when(pin.ts)}" if pin else ""
        body = "message deleted" if msg.deleted else one_line(bidi_as_text(plain_text(msg.body)))
        values = (self.state.display_name(msg.sender), by, body)
        self.tree.insert("", "end", iid=iid, values=values)

    def _enable(self) -> None:
        state = ["!disabled"] if self.selected() is not None else ["disabled"]
        self.ok.state(state)
        self.unpin_button.state(state)

    def submit(self) -> None:
        msg = self.selected()
        if msg is not None:
            self.close()
            self.go(msg.seq)

    def unpin(self) -> None:
        msg = self.selected()
        if msg is None or self.unpin_cb is None:
            return

        def done(error: str | None) -> None:
            if error is not None:
                self.error.configure(text=error)
            else:
                self.load()

        self.unpin_cb(msg.seq, done)
