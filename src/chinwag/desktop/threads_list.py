"""The room's threads, the most recently active first (the `threads` request): each with
its first message, how many replies it has, when the last came and how many of them
the user has not read. Enter or a double click opens one in the thread pane.

The dialog never waits on the network: `fetch(done)` is asked for the list and calls
`done(threads_or_None, error_or_None)` back on the Tk thread.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
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
from chinwag.protocol.types import Message, ThreadInfo, ThreadSummary

Fetch = Callable[[Callable[[Any, str | None], None]], None]


def unread_of(state: ChatState, room: str, info: ThreadInfo) -> str:
    """How many replies of the thread the user has not read ("" for none): the others'
    replies after the user's marker, counted among those held, else "new" when the
    newest reply is past the marker but they are not held."""
    summary = info.root.thread_summary
    read = max(info.read, state.thread_read(room, info.root.seq))
    if not isinstance(summary, ThreadSummary) or summary.last_seq <= read:
        return ""
    rs = state.rooms.get(room)
    held = rs.thread(info.root.seq) if rs is not None else []
    count = sum(1 for m in held if m.seq > read and not m.deleted and not state.is_me(m.sender))
    if count:
        return str(count)
    newest_held = rs is not None and summary.last_seq in rs.messages
    return "" if newest_held else "new"  # none of them, or some not held


class ThreadsDialog(Dialog):
    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        state: ChatState,
        room: str,
        fetch: Fetch,
        go: Callable[[Message], Any],
    ) -> None:
        super().__init__(root, "Threads", palette)
        self.top.resizable(True, True)
        self.state, self.room, self.fetch, self.go = state, room, fetch, go
        self.threads: dict[str, ThreadInfo] = {}
        ttk.Label(
            self.body,
            text=f"Threads in {room_label(state, room)}",
            font=("TkDefaultFont", 10, "bold"),
        ).pack(anchor="w")
        self.status = ttk.Label(self.body, text="Loading…", style="Muted.TLabel")
        self.status.pack(anchor="w", pady=(2, 6))
        listing = ttk.Frame(self.body)
        listing.pack(fill="both", expand=True)
        listing.rowconfigure(0, weight=1)
        listing.columnconfigure(0, weight=1)
        self.tree = ttk.Treeview(
            listing, show="headings", columns=("root", "replies", "last", "unread"),
            height=10, selectmode="browse",
        )  # fmt: skip
        for column, heading, width, stretch in (
            ("root", "Thread", 380, True),
            ("replies", "Replies", 70, False),
            ("last", "Last reply", 150, False),
            ("unread", "Unread", 70, False),
        ):
            self.tree.heading(column, text=heading, anchor="w")
            self.tree.column(column, width=width, minwidth=50, stretch=stretch, anchor="w")
        bold = tkfont.nametofont("TkDefaultFont").actual()
        self.tree.tag_configure("unread", font=(bold["family"], bold["size"], "bold"))
        self.tree.grid(row=0, column=0, sticky="nsew")
        bar = boot.scrollbar(listing, self.tree.yview)
        bar.grid(row=0, column=1, sticky="ns", padx=(4, 0))
        self.tree.configure(yscrollcommand=bar.set)
        self.ok = self.button("Open thread", self.submit)
        self.button("Close", self.close, "secondary-outline")
        for key in ("<Return>", "<KP_Enter>"):
            self.tree.bind(key, self._enter_key)
        self.tree.bind("<Double-1>", lambda _e: self.submit())
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._enable())
        self._enable()
        self.fetch(self._show)

    def _enter_key(self, _event: object) -> str:
        self.submit()
        return "break"

    def _show(self, reply: Any, error: str | None) -> None:
        if not self.top.winfo_exists():
            return
        self.tree.delete(*self.tree.get_children())
        self.threads.clear()
        if error is not None or reply is None:
            self.status.configure(text="")
            self.error.configure(text=error or "The threads could not be loaded.")
            self._enable()
            return
        for info in reply:
            iid = str(info.root.seq)
            self.threads[iid] = info
            self.tree.insert("", "end", iid=iid, values=self.row(info))
            if self.tree.set(iid, "unread"):
                self.tree.item(iid, tags=("unread",))
        count = len(reply)
        self.status.configure(
            text=f"{count} thread{'s' if count != 1 else ''}, the most recently active first"
            if count
            else "No threads here yet: a message's menu has Reply in thread."
        )
        children = self.tree.get_children()
        if children:
            self.tree.selection_set(children[0])
            self.tree.focus(children[0])
            self.tree.focus_set()
        self._enable()

    def row(self, info: ThreadInfo) -> tuple[str, str, str, str]:
        """(who started it: its first words, replies, last reply, unread)."""
        root = info.root
        body = "message deleted" if root.deleted else one_line(bidi_as_text(plain_text(root.body)))
        summary = root.thread_summary
        replies = str(summary.replies) if isinstance(summary, ThreadSummary) else "0"
        last = when(summary.last_ts) if isinstance(summary, ThreadSummary) else ""
        first = f"{self.state.display_name(root.sender)}: {body}"
        return first, replies, last, unread_of(self.state, self.room, info)

    def _selected(self) -> ThreadInfo | None:
        selection = self.tree.selection()
        return self.threads.get(selection[0]) if selection else None

    def _enable(self) -> None:
        self.ok.state(["!disabled"] if self._selected() is not None else ["disabled"])

    def submit(self) -> None:
        info = self._selected()
        if info is not None:
            self.close()
            self.go(info.root)
