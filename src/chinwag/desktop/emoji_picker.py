"""The emoji picker: a small window with a search box over a grid of emoji, the popular
ones first (`chinwag.core.emojis.entries`).

The keyboard stays in the search box: typing narrows the grid, the arrow keys move the
highlighted emoji (Page Up / Page Down by a page), Enter picks it, Escape closes. A
click picks too. The grid is a fixed set of cells whose text changes as the matches
scroll by, so two thousand emoji cost what a page of them does.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.core.emojis import Entry, entries
from chinwag.desktop import boot
from chinwag.desktop.theme import Palette

COLUMNS, ROWS = 9, 6


def matches(query: str) -> list[Entry]:
    """The emoji whose names hold every word of `query` (any case; "thumbs up" finds
    `thumbs_up`), in the picker's order; all of them for an empty query."""
    words = query.casefold().replace(":", " ").replace("_", " ").split()
    if not words:
        return list(entries())
    found = []
    for entry in entries():
        names = " ".join(entry.names).replace("_", " ")
        if all(word in names for word in words):
            found.append(entry)
    return found


class EmojiPicker:
    """`on_pick(emoji)` is called with the emoji picked; the picker then closes."""

    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        on_pick: Callable[[str], Any],
        *,
        family: str | None = None,
        size: int = 16,
        title: str = "Emoji",
        near: tk.Misc | None = None,
    ) -> None:
        self.on_pick = on_pick
        self.palette = palette
        self.top = boot.toplevel(title)
        self.top.transient(root.winfo_toplevel())
        self.top.resizable(False, False)
        outer = ttk.Frame(self.top, padding=10)
        outer.pack(fill="both", expand=True)
        self.query = tk.StringVar()
        self.entry = ttk.Entry(outer, textvariable=self.query, width=24)
        self.entry.pack(fill="x", pady=(0, 8))
        grid = ttk.Frame(outer)
        grid.pack()
        self.cells: list[tk.Label] = []
        base = tkfont.nametofont("TkDefaultFont").actual("family")
        self.font = tkfont.Font(family=family or base, size=size)
        # Cells as tall as a line of text of the size (a colour emoji font's own metrics
        # are those of its large bitmaps), and square.
        side = tkfont.Font(family=base, size=size).metrics("linespace") + 10
        for i in range(COLUMNS * ROWS):
            # A cell of a fixed size (a colour emoji font may ask for far more room).
            box = tk.Frame(grid, width=side, height=side, borderwidth=0, highlightthickness=0)
            box.grid(row=i // COLUMNS, column=i % COLUMNS)
            box.pack_propagate(False)
            cell = tk.Label(box, text="", font=self.font, borderwidth=0, padx=0, pady=0,
                            cursor="hand2")  # fmt: skip
            cell.pack(fill="both", expand=True)
            cell.bind("<Button-1>", self._cell_click(i))
            cell.bind("<MouseWheel>", self._wheel)
            cell.bind("<Button-4>", lambda _e: self.scroll(-1))
            cell.bind("<Button-5>", lambda _e: self.scroll(1))
            self.cells.append(cell)
        self.name = ttk.Label(outer, text="", style="Muted.TLabel")
        self.name.pack(anchor="w", pady=(6, 0))
        self.found: list[Entry] = matches("")
        #: The index in `found` of the first cell, and of the highlighted emoji.
        self.offset = 0
        self.index = 0
        self.query.trace_add("write", lambda *_a: self.refilter())
        for key, step in (("<Left>", -1), ("<Right>", 1), ("<Up>", -COLUMNS),
                          ("<Down>", COLUMNS), ("<Prior>", -COLUMNS * ROWS),
                          ("<Next>", COLUMNS * ROWS)):  # fmt: skip
            self.entry.bind(key, self._mover(step))
        for key in ("<Return>", "<KP_Enter>"):
            self.entry.bind(key, lambda _e: self.pick())
        self.top.bind("<Escape>", lambda _e: self.close())
        self.apply_theme(palette)
        self.draw()
        self.top.after_idle(self._place, near or root)
        self.entry.focus_set()

    def _cell_click(self, i: int) -> Callable[[Any], None]:
        return lambda _e: self.pick_cell(i)

    def _mover(self, step: int) -> Callable[[Any], str]:
        return lambda _e: self.move(step)

    # -- the grid ---------------------------------------------------------------------------
    def refilter(self) -> None:
        self.found = matches(self.query.get())
        self.offset = self.index = 0
        self.draw()

    def draw(self) -> None:
        pal = self.palette
        for i, cell in enumerate(self.cells):
            n = self.offset + i
            shown = n < len(self.found)
            picked = shown and n == self.index
            cell.configure(
                text=self.found[n].emoji if shown else "",
                background=pal.select_bg if picked else pal.bg,
                cursor="hand2" if shown else "arrow",
            )
        if self.found:
            entry = self.found[self.index]
            self.name.configure(text=f":{entry.name}:")  # no emoji: its font may be huge
        else:
            self.name.configure(text="No emoji found")

    def move(self, step: int) -> str:
        if self.found:
            self.index = max(0, min(len(self.found) - 1, self.index + step))
            page = COLUMNS * ROWS
            if self.index < self.offset:
                self.offset = self.index - self.index % COLUMNS
            elif self.index >= self.offset + page:
                self.offset = self.index - self.index % COLUMNS - page + COLUMNS
            self.draw()
        return "break"

    def scroll(self, rows: int) -> None:
        last = max(0, len(self.found) - 1)
        self.offset = max(0, min(last - last % COLUMNS, self.offset + rows * COLUMNS))
        self.index = min(max(self.index, self.offset), self.offset + COLUMNS * ROWS - 1, last)
        self.draw()

    def _wheel(self, event: Any) -> None:
        self.scroll(-1 if event.delta > 0 else 1)

    # -- picking ---------------------------------------------------------------------------
    @property
    def highlighted(self) -> str | None:
        return self.found[self.index].emoji if self.found else None

    def pick_cell(self, i: int) -> None:
        if self.offset + i < len(self.found):
            self.index = self.offset + i
            self.pick()

    def pick(self) -> str:
        emoji = self.highlighted
        if emoji is not None:
            self.close()
            self.on_pick(emoji)
        return "break"

    def close(self) -> None:
        if self.top.winfo_exists():
            self.top.destroy()

    def _place(self, near: tk.Misc) -> None:
        """Just above `near` (the button that opened it), their right edges aligned,
        inside the screen."""
        if not self.top.winfo_exists():
            return
        self.top.update_idletasks()
        w, h = self.top.winfo_reqwidth(), self.top.winfo_reqheight()
        x = min(near.winfo_rootx() + near.winfo_width() - w, near.winfo_screenwidth() - w)
        y = near.winfo_rooty() - h - 8
        if y < 0:
            y = near.winfo_rooty() + near.winfo_height() + 8
        self.top.geometry(f"+{max(0, x)}+{max(0, y)}")

    def apply_theme(self, pal: Palette) -> None:
        self.palette = pal
        if self.top.winfo_exists():
            edge = pal.border
            self.top.configure(
                background=pal.bg, highlightthickness=1, highlightbackground=edge,
                highlightcolor=edge,
            )  # fmt: skip
            for cell in self.cells:
                cell.configure(foreground=pal.fg, activebackground=pal.select_bg)
            self.draw()
