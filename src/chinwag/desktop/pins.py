"""The room's pinned messages, the most recently pinned first: go to one (Enter or a
double click), or unpin it (for those who may).

The dialog never waits on the network: `fetch(done)` is asked for the list and calls
`done(messages_or_None, error_or_None)` back on the Tk thread; `unpin(seq, done)`
likewise.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.client.state import ChatState
from chinwag.core.markup import plain_text
from chinwag.desktop import boot
from chinwag.desktop.dialogs import Dialog
from chinwag.desktop.rows import bidi_as_text
from chinwag.desktop.search import one_line, room_label, when
from chinwag.desktop.theme import Palette
from chinwag.protocol.types import Message, PinRef

Fetch = Callable[[Callable[[Any, str | None], None]], None]
Unpin = Callable[[int, Callable[[str | None], None]], None]


class PinsDialog(Dialog):
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
        super().__init__(root, "Pinned messages", palette)
        self.top.resizable(True, True)
        self.state, self.fetch, self.unpin_cb, self.go = state, fetch, unpin, go
        self.messages: dict[str, Message] = {}
        self.reply: Any = None
        ttk.Label(
            self.body,
            text=f"Pinned in {room_label(state, room)}",
            font=("TkDefaultFont", 10, "bold"),
        ).pack(anchor="w")
        self.status = ttk.Label(self.body, text="Loading…", style="Muted.TLabel")
        self.status.pack(anchor="w", pady=(2, 6))
        listing = ttk.Frame(self.body)
        listing.pack(fill="both", expand=True)
        listing.rowconfigure(0, weight=1)
        listing.columnconfigure(0, weight=1)
        self.tree = ttk.Treeview(
            listing, show="headings", columns=("sender", "pinned", "body"), height=10,
            selectmode="browse",
        )  # fmt: skip
        for column, heading, width, stretch in (
            ("sender", "From", 120, False),
            ("pinned", "Pinned", 190, False),
            ("body", "Message", 380, True),
        ):
            self.tree.heading(column, text=heading, anchor="w")
            self.tree.column(column, width=width, minwidth=60, stretch=stretch, anchor="w")
        self.tree.grid(row=0, column=0, sticky="nsew")
        bar = boot.scrollbar(listing, self.tree.yview)
        bar.grid(row=0, column=1, sticky="ns", padx=(4, 0))
        self.tree.configure(yscrollcommand=bar.set)
        self.ok = self.button("Go to message", self.submit)
        self.unpin_button = self.button("Unpin", self.unpin, "secondary-outline")
        if unpin is None:
            self.unpin_button.pack_forget()
        self.button("Close", self.close, "secondary-outline")
        for key in ("<Return>", "<KP_Enter>"):
            self.tree.bind(key, self._enter_key)
        self.tree.bind("<Double-1>", lambda _e: self.submit())
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._enable())
        self._enable()
        self.load()

    def _enter_key(self, _event: object) -> str:
        self.submit()
        return "break"

    def load(self) -> None:
        self.fetch(self._show)

    def _show(self, reply: Any, error: str | None) -> None:
        if not self.top.winfo_exists():
            return
        self.reply = reply
        self.tree.delete(*self.tree.get_children())
        self.messages.clear()
        if error is not None or reply is None:
            self.status.configure(text="")
            self.error.configure(text=error or "The pinned messages could not be loaded.")
            self._enable()
            return
        for msg in reply:
            iid = str(msg.seq)
            self.messages[iid] = msg
            pin = msg.pinned if isinstance(msg.pinned, PinRef) else None
            by = f"{self.state.display_name(pin.by)}, {when(pin.ts)}" if pin else ""
            body = (
                "message deleted" if msg.deleted else one_line(bidi_as_text(plain_text(msg.body)))
            )
            values = (self.state.display_name(msg.sender), by, body)
            self.tree.insert("", "end", iid=iid, values=values)
        count = len(reply)
        self.status.configure(
            text=f"{count} pinned message{'s' if count != 1 else ''}"
            if count
            else "Nothing is pinned here yet."
        )
        children = self.tree.get_children()
        if children:
            self.tree.selection_set(children[0])
            self.tree.focus(children[0])
            self.tree.focus_set()
        self._enable()

    def _selected(self) -> Message | None:
        selection = self.tree.selection()
        return self.messages.get(selection[0]) if selection else None

    def _enable(self) -> None:
        state = ["!disabled"] if self._selected() is not None else ["disabled"]
        self.ok.state(state)
        self.unpin_button.state(state)

    def submit(self) -> None:
        msg = self._selected()
        if msg is not None:
            self.close()
            self.go(msg.seq)

    def unpin(self) -> None:
        msg = self._selected()
        if msg is None or self.unpin_cb is None:
            return

        def done(error: str | None) -> None:
            if error is not None:
                self.error.configure(text=error)
            else:
                self.load()

        self.unpin_cb(msg.seq, done)
