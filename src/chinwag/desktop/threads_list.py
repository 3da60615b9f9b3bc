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
from typing import Any

from chinwag.client.state import ChatState
from chinwag.core.markup import plain_text
from chinwag.desktop.listing import Fetch, TableDialog
from chinwag.desktop.rows import bidi_as_text
from chinwag.desktop.search import one_line, room_label, when
from chinwag.desktop.theme import Palette
from chinwag.protocol.types import Message, ThreadInfo, ThreadSummary


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


class ThreadsDialog(TableDialog):
    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        state: ChatState,
        room: str,
        fetch: Fetch,
        go: Callable[[Message], Any],
    ) -> None:
        columns = [
            ("root", "Thread", 380, True),
            ("replies", "Replies", 70, False),
            ("last", "Last reply", 150, False),
            ("unread", "Unread", 70, False),
        ]
        heading = f"Threads in {room_label(state, room)}"
        super().__init__(root, "Threads", palette, state, heading, columns, min_width=50)
        self.room, self.fetch, self.go = room, fetch, go
        bold = tkfont.nametofont("TkDefaultFont").actual()
        self.tree.tag_configure("unread", font=(bold["family"], bold["size"], "bold"))
        self.ok = self.button("Open thread", self.submit)
        self.button("Close", self.close, "secondary-outline")
        self.bind_picking()
        self.fetch(self._show)

    def _show(self, reply: Any, error: str | None) -> None:
        self.fill(
            reply,
            error,
            failed="The threads could not be loaded.",
            described=lambda n: (
                f"{n} thread{'s' if n != 1 else ''}, the most recently active first"
                if n
                else "No threads here yet: a message's menu has Reply in thread."
            ),
        )

    def insert_item(self, info: ThreadInfo) -> None:
        iid = str(info.root.seq)
        self.items[iid] = info
        self.tree.insert("", "end", iid=iid, values=self.row(info))
        if self.tree.set(iid, "unread"):
            self.tree.item(iid, tags=("unread",))

    def row(self, info: ThreadInfo) -> tuple[str, str, str, str]:
        """(who started it: its first words, replies, last reply, unread)."""
        root = info.root
        body = "message deleted" if root.deleted else one_line(bidi_as_text(plain_text(root.body)))
        summary = root.thread_summary
        replies = str(summary.replies) if isinstance(summary, ThreadSummary) else "0"
        last = when(summary.last_ts) if isinstance(summary, ThreadSummary) else ""
        first = f"{self.state.display_name(root.sender)}: {body}"
        return first, replies, last, unread_of(self.state, self.room, info)

    def submit(self) -> None:
        info = self.selected()
        if info is not None:
            self.close()
            self.go(info.root)
