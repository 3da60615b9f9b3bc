"""Reaction chips by keyboard: Tab reaches each chip in view (and the "+" that adds a
reaction), Space or Enter presses it, and the chip that has the focus is outlined and
described (who reacted, and what a press does) beside it.

A chip is a run of text in the timeline's Text, not a widget: the Text takes the focus
(only while a chip is in view), and which chip has it is kept as (seq, emoji), which
outlives the redraws that a reaction causes (`refresh`, after each).

Tk 8.6 gives screen readers nothing on X11 (it has no accessibility bridge), so the
description is what a keyboard or magnifier user sees: the same words as the browser
client's `aria-label` and `title`, drawn next to the focused (or hovered) chip.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any, Protocol

from chinwag.desktop.conversation import emoji_of_chip, reacted
from chinwag.protocol.types import Reaction

#: The key of the chip that adds a reaction (a chip's key is its emoji).
ADD = "+"
#: The most names a description lists before "and N more" (as in the browser).
NAMES = 8


class Timeline(Protocol):
    text: tk.Text
    frame: ttk.Frame
    room_id: str | None
    state: Any

    def seq_at(self, index: str) -> int | None: ...
    def lines_of(self, seq: int) -> tuple[int, int] | None: ...


def who_reacted(
    reaction: Reaction, name_of: Callable[[str], str], is_me: Callable[[str], bool]
) -> str:
    """ "Bob, you and 3 more": the users listed first, by name ("you" for oneself)."""
    names = ["you" if is_me(u) else name_of(u) for u in reaction.users]
    if not names:
        return f"{reaction.count} {'person' if reaction.count == 1 else 'people'}"
    more = reaction.count - min(NAMES, len(names))
    if more > 0:
        return f"{', '.join(names[:NAMES])} and {more} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0]


class ChipKeys:
    """The keyboard focus among a timeline's chips. `on_chip(room, seq, emoji)` toggles
    the user's reaction; `on_add(room, seq, x, y)` opens the picker."""

    def __init__(
        self,
        timeline: Timeline,
        on_chip: Callable[[str, int, str], Any],
        on_add: Callable[[str, int, int, int], Any],
    ) -> None:
        self.timeline = timeline
        self.on_chip, self.on_add = on_chip, on_add
        #: The chip with the focus, as (seq, emoji or ADD); None: none.
        self.focused: tuple[int, str] | None = None
        text = timeline.text
        self.tip = ttk.Label(timeline.frame, text="", style="LinkTip.TLabel", padding=(6, 2))
        text.configure(takefocus=self._takes_focus)
        text.bind("<FocusIn>", self._focus_in, add="+")
        text.bind("<FocusOut>", lambda _e: self._unmark(), add="+")
        text.bind("<Tab>", lambda _e: self.move(1))
        for key in ("<Shift-Tab>", "<ISO_Left_Tab>"):
            text.bind(key, lambda _e: self.move(-1))
        for key in ("<KeyPress-space>", "<Return>", "<KP_Enter>"):
            text.bind(key, lambda _e: self.press())
        # Where the focus came from: Shift+Tab into the Text (from the widget after it)
        # starts at its last chip.
        self._left: str | None = None
        # (tkinter's events carry no detail, which tells the widget that had the focus
        # from the frames it is in.)
        top = text.winfo_toplevel()
        script = f"{text.register(self._focus_out_of)} %W %d"
        top.bind("<FocusOut>", f"+{script}")
        text.bind("<Destroy>", lambda _e: _unbind(top, "<FocusOut>", script), add="+")
        for tag in ("chip", "chip_add"):
            text.tag_bind(tag, "<Enter>", self._hover, add="+")
            text.tag_bind(tag, "<Leave>", lambda _e: self._unhover(), add="+")

    # -- what is in view ---------------------------------------------------------------
    def chips_in_view(self) -> list[tuple[str, str]]:
        """The (start, end) indices of the chips (and "+" chips) wholly in view, in order."""
        text = self.timeline.text
        first = text.index("@0,0")
        last = text.index(f"@0,{text.winfo_height()} lineend")
        found: list[tuple[str, str]] = []
        for tag in ("chip", "chip_add"):
            at = first
            while True:
                hit = text.tag_nextrange(tag, at, last)
                if not hit:
                    break
                start, end = str(hit[0]), str(hit[1])
                if text.bbox(start) is not None and text.bbox(f"{end} - 1c") is not None:
                    found.append((start, end))
                at = end
        return sorted(found, key=lambda r: tuple(int(p) for p in r[0].split(".")))

    def key_of(self, start: str, end: str) -> tuple[int, str] | None:
        """The (seq, emoji or ADD) of the chip drawn from `start` to `end`."""
        seq = self.timeline.seq_at(start)
        if seq is None:
            return None
        text = self.timeline.text
        if "chip_add" in text.tag_names(start):
            return seq, ADD
        return seq, emoji_of_chip(text.get(start, end))

    def _find(self, key: tuple[int, str]) -> tuple[str, str] | None:
        for chip in self.chips_in_view():
            if self.key_of(*chip) == key:
                return chip
        return None

    # -- focus -------------------------------------------------------------------------
    def _takes_focus(self, _widget: str) -> bool:
        """Tab stops at the Text only while a chip is in view."""
        return bool(self.chips_in_view())

    def _focus_out_of(self, widget: str, detail: str) -> None:
        if "Virtual" not in detail:  # not one of the frames it is in
            self._left = widget

    def _focus_in(self, _event: Any) -> None:
        chips = self.chips_in_view()
        if not chips:
            return
        if self.focused is None or self._find(self.focused) is None:
            after = self.timeline.text.tk_focusNext()
            backwards = after is not None and str(after) == self._left
            chip = chips[-1] if backwards else chips[0]
            self.focused = self.key_of(*chip)
        self.refresh()

    def move(self, step: int) -> str | None:
        """Tab (1) or Shift+Tab (-1): the next chip in view, or out of the Text (None:
        Tk's own traversal goes on) past the last one."""
        chips = self.chips_in_view()
        keys = [self.key_of(*chip) for chip in chips]
        if self.focused in keys:
            i = keys.index(self.focused) + step
        else:  # scrolled out of view meanwhile: from the first (or last) in view
            i = 0 if step > 0 else len(keys) - 1
        if 0 <= i < len(keys):
            self.focused = keys[i]
            self.refresh()
            return "break"
        self.focused = None
        self._unmark()
        return None

    def press(self) -> str:
        """Space or Enter: toggle the user's reaction, or open the picker on "+"."""
        room, key = self.timeline.room_id, self.focused
        chip = self._find(key) if key is not None else None
        if room is None or key is None or chip is None:
            return "break"
        seq, emoji = key
        if emoji == ADD:
            text = self.timeline.text
            x, y, _w, h = text.bbox(chip[0]) or (0, 0, 0, 0)
            self.on_add(room, seq, text.winfo_rootx() + x, text.winfo_rooty() + y + h)
        else:
            self.on_chip(room, seq, emoji)
        return "break"

    def refresh(self) -> None:
        """Outline the focused chip again (after a redraw): the same emoji of the same
        message, else its "+" (its own reaction taken back, the chip went)."""
        text = self.timeline.text
        text.tag_remove("chip_focus", "1.0", "end")
        if self.focused is None or text.focus_get() is not text:
            self._show(None)
            return
        chip = self._find(self.focused) or self._find((self.focused[0], ADD))
        if chip is None:
            self.focused = None
            self._show(None)
            return
        self.focused = self.key_of(*chip)
        text.tag_add("chip_focus", *chip)
        self._show(chip)

    def follow(self) -> None:
        """The view moved: the description goes with the focused chip, or hides while
        the chip is out of view (the focus stays on it)."""
        if self.focused is None or self.timeline.text.focus_get() is not self.timeline.text:
            return
        chip = self._find(self.focused)
        self._show(chip)

    def _unmark(self) -> None:
        self.timeline.text.tag_remove("chip_focus", "1.0", "end")
        self._show(None)

    # -- the description ---------------------------------------------------------------
    def describe(self, key: tuple[int, str]) -> str:
        """ "Bob and you reacted with 👍 · Space or Enter: take yours back"."""
        seq, emoji = key
        if emoji == ADD:
            return "Add a reaction · Space or Enter: choose an emoji"
        state = self.timeline.state
        rs = state.rooms.get(self.timeline.room_id or "")
        msg = rs.messages.get(seq) if rs is not None else None
        reactions = msg.reactions if msg is not None and isinstance(msg.reactions, list) else []
        reaction = next((r for r in reactions if r.emoji == emoji), None)
        if reaction is None:
            return emoji
        who = who_reacted(reaction, state.display_name, state.is_me)
        me = state.me.username if state.me is not None else None
        act = "take yours back" if reacted(reaction, me) else "add yours"
        return f"{who} reacted with {emoji} · Space or Enter: {act}"

    def _show(self, chip: tuple[str, str] | None, key: tuple[int, str] | None = None) -> None:
        """The description of `chip` (None: hidden): after the last chip of its line,
        where it hides no message, else under it."""
        key = key or self.focused
        text = self.timeline.text
        box = text.bbox(chip[0]) if chip is not None else None
        if chip is None or key is None or box is None:
            self.tip.place_forget()
            return
        self.tip.configure(text=self.describe(key))
        x, y, _w, h = box
        # In the frame the tip belongs to (where the Text's own padding does not count,
        # as it would with `place(in_=text)`).
        dx, dy = text.winfo_x(), text.winfo_y()
        last = text.bbox(f"{chip[0]} lineend - 1c")
        right = last[0] + last[2] + 12 if last is not None else None
        line = text.dlineinfo(chip[0])  # the chips' small text sits low in their line
        if right is not None and right + self.tip.winfo_reqwidth() < text.winfo_width():
            middle = line[1] + line[3] // 2 if line is not None else y + h // 2
            self.tip.place(x=dx + right, y=dy + middle, anchor="w")
        else:
            self.tip.place(x=dx + max(0, x - 4), y=dy + y + h + 3, anchor="nw")
        self.tip.lift()

    def _hover(self, event: Any) -> None:
        index = self.timeline.text.index(f"@{event.x},{event.y}")
        for tag in ("chip", "chip_add"):
            hit = self.timeline.text.tag_prevrange(tag, f"{index} + 1c")
            if hit and self.timeline.text.compare(hit[1], ">", index):
                chip = (str(hit[0]), str(hit[1]))
                key = self.key_of(*chip)
                if key is not None:
                    self._show(chip, key)
                return

    def _unhover(self) -> None:
        self.refresh() if self.focused is not None else self._show(None)


def _unbind(widget: tk.Misc, sequence: str, script: str) -> None:
    """Take `script` out of the binding of `sequence` on `widget`, leaving the rest."""
    with contextlib.suppress(tk.TclError):  # the window is going too
        lines = widget.bind(sequence).split("\n")
        widget.bind(sequence, "\n".join(line for line in lines if line.strip() != script))
