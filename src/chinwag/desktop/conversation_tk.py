"""The Tk side of conversation.py: the tags that draw quotes, reaction chips, thread
summaries and pins in a timeline, and what a click on them does. Which message a click
is on comes from the timeline (`seq_at`), so none of these tags is per message."""

from __future__ import annotations

import contextlib
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any, Protocol

from chinwag.desktop.chip_keys import ChipKeys
from chinwag.desktop.conversation import emoji_of_chip
from chinwag.desktop.theme import Palette, tint

CLICKABLE = ("replyquote", "chip", "chip_add", "threadlink")


class Timeline(Protocol):
    text: tk.Text
    frame: ttk.Frame
    room_id: str | None
    state: Any
    #: Called after each redraw of the whole Text.
    on_drawn: list[Callable[[], Any]]
    on_moved: list[Callable[[], Any]]

    def seq_at(self, index: str) -> int | None: ...
    def lines_of(self, seq: int) -> tuple[int, int] | None: ...


def configure(text: tk.Text, fonts: dict[str, tkfont.Font]) -> None:
    small, small_bold = fonts["small"], fonts["small_bold"]
    text.tag_configure("replyquote", font=small, lmargin1=0, spacing1=2)
    text.tag_configure("replyname", font=small_bold)
    text.tag_configure("replygone", font=fonts["italic"])
    text.tag_configure("chip", font=small, relief="flat", borderwidth=1)
    text.tag_configure("chip_mine", relief="solid")
    text.tag_configure("chip_add", font=small_bold)
    text.tag_configure("chips", font=small, spacing1=3, spacing3=3)
    text.tag_configure("threadlink", font=small_bold, underline=True)
    text.tag_configure("threadnew", font=small_bold)
    text.tag_configure("threadinfo", font=small)
    text.tag_configure("pinnote", font=small)
    text.tag_configure("chip_focus", relief="solid", borderwidth=2, underline=True)
    text.tag_configure("jumped")
    text.tag_lower("jumped")
    for tag in CLICKABLE:
        text.tag_bind(tag, "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind(tag, "<Leave>", lambda _e: text.configure(cursor="arrow"))


def apply_theme(text: tk.Text, pal: Palette) -> None:
    text.tag_configure("replyquote", foreground=pal.muted)
    text.tag_configure("replyname", foreground=pal.fg)
    text.tag_configure("chip_other", background=tint(pal.fg, pal.bg, 0.07))
    text.tag_configure("chip_mine", background=tint(pal.accent, pal.bg, 0.18))
    with contextlib.suppress(tk.TclError):
        text.tag_configure("chip_mine", foreground=pal.fg)
    text.tag_configure("chip_add", foreground=pal.muted, background=tint(pal.fg, pal.bg, 0.04))
    text.tag_configure("threadlink", foreground=pal.link)
    text.tag_configure("threadnew", foreground=pal.danger)
    text.tag_configure("threadinfo", foreground=pal.muted)
    text.tag_configure("pinnote", foreground=pal.muted)
    text.tag_configure("jumped", background=pal.mention_bg)
    text.tag_configure("chip_focus", background=tint(pal.accent, pal.bg, 0.32))
    text.tag_raise("chip_focus")


class Clicks:
    """Clicks on a timeline's quotes, chips and thread links. The callbacks get the room
    and the seq of the message clicked (and the emoji of a chip, or where the click was
    for the chip that adds one)."""

    def __init__(
        self,
        timeline: Timeline,
        *,
        on_quote: Callable[[str, int], Any],
        on_chip: Callable[[str, int, str], Any],
        on_add: Callable[[str, int, int, int], Any],
        on_thread: Callable[[str, int], Any],
    ) -> None:
        self.timeline = timeline
        self.on_quote, self.on_chip, self.on_add, self.on_thread = (
            on_quote,
            on_chip,
            on_add,
            on_thread,
        )
        for tag in CLICKABLE:
            timeline.text.tag_bind(tag, "<ButtonRelease-1>", self._clicked(tag))
        self.keys = ChipKeys(timeline, on_chip, on_add)
        timeline.on_drawn.append(self.keys.refresh)
        timeline.on_moved.append(self.keys.follow)

    def _clicked(self, tag: str) -> Callable[[Any], str]:
        return lambda event: self.click(tag, f"@{event.x},{event.y}", event.x_root, event.y_root)

    def click(self, tag: str, index: str, x: int = 0, y: int = 0) -> str:
        text, room = self.timeline.text, self.timeline.room_id
        seq = self.timeline.seq_at(index)
        if room is None or seq is None or tag not in text.tag_names(index):
            return "break"
        if tag == "replyquote":
            self.on_quote(room, seq)
        elif tag == "chip":
            found = text.tag_prevrange("chip", f"{index} + 1c")
            if found:
                self.on_chip(room, seq, emoji_of_chip(text.get(*found)))
        elif tag == "chip_add":
            self.on_add(room, seq, x, y)
        else:
            self.on_thread(room, seq)
        return "break"
