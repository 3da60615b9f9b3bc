"""A dialog listing some of a room's messages in a table (its pins, its threads): a
heading, a status line, the table with its scroll bar. Enter or a double click picks the
selected row; the list comes from `fetch(done)`, which calls `done(items_or_None,
error_or_None)` back on the Tk thread, so the dialog never waits on the network."""

from __future__ import annotations

import abc
import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import Any

from chinwag.client.state import ChatState
from chinwag.desktop import boot
from chinwag.desktop.dialogs import Dialog
from chinwag.desktop.theme import Palette

Fetch = Callable[[Callable[[Any, str | None], None]], None]
#: (column id, heading, width, whether it stretches)
Column = tuple[str, str, int, bool]


class TableDialog(Dialog, abc.ABC):
    #: The button that picks the selected row (made by the dialog, before `bind_picking`).
    ok: Any

    def __init__(
        self,
        root: tk.Misc,
        title: str,
        palette: Palette,
        state: ChatState,
        heading: str,
        columns: Sequence[Column],
        *,
        min_width: int,
    ) -> None:
        super().__init__(root, title, palette)
        self.top.resizable(True, True)
        self.state = state
        #: The items listed, by their row's id.
        self.items: dict[str, Any] = {}
        ttk.Label(self.body, text=heading, font=("TkDefaultFont", 10, "bold")).pack(anchor="w")
        self.status = ttk.Label(self.body, text="Loading…", style="Muted.TLabel")
        self.status.pack(anchor="w", pady=(2, 6))
        listing = ttk.Frame(self.body)
        listing.pack(fill="both", expand=True)
        listing.rowconfigure(0, weight=1)
        listing.columnconfigure(0, weight=1)
        self.tree = ttk.Treeview(
            listing, show="headings", columns=tuple(c[0] for c in columns), height=10,
            selectmode="browse",
        )  # fmt: skip
        for column, text, width, stretch in columns:
            self.tree.heading(column, text=text, anchor="w")
            self.tree.column(column, width=width, minwidth=min_width, stretch=stretch, anchor="w")
        self.tree.grid(row=0, column=0, sticky="nsew")
        bar = boot.scrollbar(listing, self.tree.yview)
        bar.grid(row=0, column=1, sticky="ns", padx=(4, 0))
        self.tree.configure(yscrollcommand=bar.set)

    def bind_picking(self) -> None:
        """Enter and a double click pick the selected row (after the buttons are made)."""
        for key in ("<Return>", "<KP_Enter>"):
            self.tree.bind(key, self._enter_key)
        self.tree.bind("<Double-1>", lambda _e: self.submit())
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._enable())
        self._enable()

    def _enter_key(self, _event: object) -> str:
        self.submit()
        return "break"

    def fill(
        self,
        items: Sequence[Any] | None,
        error: str | None,
        *,
        failed: str,
        described: Callable[[int], str],
    ) -> bool:
        """Empty the table, then list `items` (each by `insert_item`) and say how many
        with `described(count)`, the first selected; or show `error` (`failed` when
        there is none). False when the dialog is gone or nothing is listed."""
        if not self.top.winfo_exists():
            return False
        self.tree.delete(*self.tree.get_children())
        self.items.clear()
        if error is not None or items is None:
            self.status.configure(text="")
            self.error.configure(text=error or failed)
            self._enable()
            return False
        for item in items:
            self.insert_item(item)
        self.status.configure(text=described(len(items)))
        children = self.tree.get_children()
        if children:
            self.tree.selection_set(children[0])
            self.tree.focus(children[0])
            self.tree.focus_set()
        self._enable()
        return True

    @abc.abstractmethod
    def insert_item(self, item: Any) -> None:
        """Add `item` to `items` and its row to the table."""

    def selected(self) -> Any:
        selection = self.tree.selection()
        return self.items.get(selection[0]) if selection else None

    def _enable(self) -> None:
        self.ok.state(["!disabled"] if self.selected() is not None else ["disabled"])

    @abc.abstractmethod
    def submit(self) -> None:
        """Pick the selected row."""
