"""Searching the messages of one's rooms: a query (`has:file` for messages with files),
this room or all of them, and the matches newest first; picking one opens its room at
that message, in its surrounding history.

The dialog never waits on the network: `search(query, room, done)` is asked to run the
search and call `done(reply_or_None, error_or_None)` back on the Tk thread. A reply that
comes back after a newer search was started (or after the dialog closed) is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from PIL import Image, ImageDraw, ImageTk

from chinwag.client.state import ChatState
from chinwag.core.markup import plain_text
from chinwag.desktop import boot
from chinwag.desktop.dialogs import Dialog
from chinwag.desktop.rows import bidi_as_text
from chinwag.desktop.theme import Palette
from chinwag.protocol.types import Message

#: How many matches one search asks for (the server allows up to 100).
LIMIT = 50
#: How much of a message a result line shows.
BODY_CHARS = 90

Searched = Callable[[Any, str | None], None]
#: (the words, the room or None, only messages with files, done)
Search = Callable[[str, str | None, bool, Searched], None]
_HAS_FILE = re.compile(r"(?<!\S)has:files?(?!\S)", re.IGNORECASE)


def split_query(text: str) -> tuple[str, bool]:
    """The words to look for, and whether `has:file` asked for messages with files."""
    words, found = _HAS_FILE.subn(" ", text)
    return " ".join(words.split()), found > 0


ALL, HERE = "all", "here"


def search_icon(color: str, size: int = 14) -> ImageTk.PhotoImage:
    """A magnifying glass (drawn large, then scaled down; fonts may lack one)."""
    scale = 4
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    w = max(2, scale * 2)
    draw.ellipse((s * 0.08, s * 0.08, s * 0.66, s * 0.66), outline=color, width=w)
    draw.line((s * 0.6, s * 0.6, s * 0.92, s * 0.92), fill=color, width=w + scale)
    return ImageTk.PhotoImage(img.resize((size, size), Image.Resampling.LANCZOS))


def one_line(body: str, width: int = BODY_CHARS) -> str:
    """The body on one line, whitespace collapsed, cut with an ellipsis past `width`."""
    flat = " ".join(body.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def when(ts: int, today: dt.date | None = None) -> str:
    """A short local date and time: "Today 09:12", "Yesterday 18:40", "3 Mar 18:40",
    "3 Mar 2024 18:40"."""
    at = dt.datetime.fromtimestamp(ts / 1000, tz=dt.UTC).astimezone()
    today = today or dt.datetime.now().astimezone().date()
    day = at.date()
    if day == today:
        date = "Today"
    elif day == today - dt.timedelta(days=1):
        date = "Yesterday"
    elif day.year == today.year:
        date = f"{day.day} {day:%b}"
    else:
        date = f"{day.day} {day:%b %Y}"
    return f"{date} {at:%H:%M}"


def room_label(state: ChatState, room_id: str) -> str:
    rs = state.rooms.get(room_id)
    title = state.room_title(room_id)
    if rs is not None and rs.room.kind == "dm":
        return f"@ {title}"
    if rs is not None and rs.room.kind == "private":
        return title
    return f"# {title}"


def summary(count: int, more: bool) -> str:
    if more:
        return f"Showing the newest {count}; refine your search for more"
    if count == 0:
        return "No messages found"
    return f"{count} message{'s' if count != 1 else ''}"


class SearchDialog(Dialog):
    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        state: ChatState,
        search: Search,
        open_message: Callable[[Message], bool],
    ) -> None:
        super().__init__(root, "Search messages", palette)
        self.top.resizable(True, True)
        self.state = state
        self.run_search = search
        self.open_message = open_message
        self.room = state.current if state.current in state.rooms else None
        self.found: dict[str, Message] = {}
        self._asked = 0  # the number of the newest search; older replies are dropped
        self._searched: str | None = None  # the query of the last search started

        ttk.Label(self.body, text="Search messages", font=("TkDefaultFont", 10, "bold")).pack(
            anchor="w"
        )
        self.query = tk.StringVar()
        self.entry = ttk.Entry(self.body, textvariable=self.query, width=60)
        self.entry.pack(fill="x", pady=(3, 8), ipady=2)
        # Asked for with a key or a click: the keyboard goes to the query straight away.
        self.top.after_idle(self.focus_query)
        scope = ttk.Frame(self.body)
        scope.pack(fill="x", pady=(0, 8))
        self.scope = tk.StringVar(value=ALL)
        here = f"This room ({room_label(state, self.room)})" if self.room else "This room"
        self.here_button = boot.radio(scope, here, HERE, self.scope, self._rescope)
        self.here_button.pack(side="left", padx=(0, 16))
        if self.room is None:
            self.here_button.state(["disabled"])
        self.all_button = boot.radio(scope, "All my rooms", ALL, self.scope, self._rescope)
        self.all_button.pack(side="left")

        self.status = ttk.Label(self.body, text="Type at least 2 characters, then Enter.",
                                style="Muted.TLabel")  # fmt: skip
        self.status.pack(anchor="w", pady=(0, 6))
        listing = ttk.Frame(self.body)
        listing.pack(fill="both", expand=True)
        listing.rowconfigure(0, weight=1)
        listing.columnconfigure(0, weight=1)
        columns = ("room", "sender", "when", "body")
        self._style_rows()
        self.tree = ttk.Treeview(
            listing,
            show="headings",
            columns=columns,
            height=12,
            selectmode="browse",
            style="Search.Treeview",
        )
        for column, heading, width, stretch in (
            ("room", "Room", 130, False),
            ("sender", "From", 120, False),
            ("when", "When", 150, False),
            ("body", "Message", 380, True),
        ):
            self.tree.heading(column, text=heading, anchor="w")
            self.tree.column(column, width=width, minwidth=60, stretch=stretch, anchor="w")
        self.tree.grid(row=0, column=0, sticky="nsew")
        bar = boot.scrollbar(listing, self.tree.yview)
        bar.grid(row=0, column=1, sticky="ns", padx=(4, 0))
        self.tree.configure(yscrollcommand=bar.set)

        self.ok = self.button("Go to message", self.submit)
        self.button("Close", self.close, "secondary-outline")
        for key in ("<Return>", "<KP_Enter>"):  # "break": not the dialog's Enter as well
            self.entry.bind(key, self._search_key)
            self.tree.bind(key, self._open_key)
        self.entry.bind("<Down>", lambda _e: self.focus_results())
        self.tree.bind("<Double-1>", self._double_click)
        for key in ("<Control-f>", "<Control-F>"):
            self.top.bind(key, lambda _e: self.focus_query())
        self._set_open_enabled()

    # -- searching -------------------------------------------------------------------------
    def search(self) -> None:
        query, has_file = split_query(self.query.get())
        if not query and not has_file:
            return
        self._asked += 1
        asked = self._asked
        self._searched = query
        room = self.room if self.scope.get() == HERE else None
        self.error.configure(text="")
        self.status.configure(text="Searching…")
        self.run_search(query, room, has_file, lambda reply, error: self._show(asked, reply, error))

    def _rescope(self) -> None:
        if self._searched is not None and self.query.get().strip():
            self.search()

    def _show(self, asked: int, reply: Any, error: str | None) -> None:
        if asked != self._asked or not self.top.winfo_exists():
            return  # a newer search is on its way, or the dialog is gone
        self.tree.delete(*self.tree.get_children())
        self.found.clear()
        if error is not None or reply is None:
            self.status.configure(text="")
            self.error.configure(text=error or "The search failed.")
            self._set_open_enabled()
            return
        for index, msg in enumerate(reply.messages):
            iid = str(index)
            self.found[iid] = msg
            values = (
                room_label(self.state, msg.room),
                self.state.display_name(msg.sender),
                when(msg.ts),
                one_line(bidi_as_text(plain_text(msg.body))),
            )
            self.tree.insert("", "end", iid=iid, values=values)
        self.status.configure(text=summary(len(reply.messages), bool(reply.more)))
        children = self.tree.get_children()
        if children:
            self.tree.selection_set(children[0])
            self.tree.focus(children[0])
        self._set_open_enabled()

    # -- keyboard and opening --------------------------------------------------------------
    def focus_query(self) -> None:
        if not self.top.winfo_exists():
            return
        self.entry.focus_force()
        self.entry.select_range(0, "end")
        self.entry.icursor("end")

    def focus_results(self) -> None:
        children = self.tree.get_children()
        if children:
            current = self.tree.focus() or children[0]
            self.tree.selection_set(current)
            self.tree.focus(current)
            self.tree.focus_set()

    def _double_click(self, event: Any) -> None:
        row = self.tree.identify_row(event.y)
        if row:
            self.tree.selection_set(row)
            self.submit()

    def _set_open_enabled(self) -> None:
        self.ok.state(["!disabled"] if self.found else ["disabled"])

    def _search_key(self, _event: object) -> str:
        self.search()
        return "break"

    def _open_key(self, _event: object) -> str:
        self.submit()
        return "break"

    def submit(self) -> None:
        selection = self.tree.selection()
        msg = self.found.get(selection[0]) if selection else None
        if msg is None:
            return
        if self.open_message(msg):
            self.close()
        else:
            self.error.configure(text="You are no longer in that room.")

    def _style_rows(self) -> None:
        """Rows with room to breathe (set again after a change of theme)."""
        ttk.Style().configure("Search.Treeview", rowheight=26)

    def restyle(self, palette: Palette) -> None:
        self.palette = palette
        if self.top.winfo_exists():
            self._style_rows()
            for radio in (self.here_button, self.all_button):
                boot.restyle(radio, "primary")
            self.error.configure(foreground=palette.danger)
