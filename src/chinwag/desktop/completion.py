"""Completion while typing in the message box: `:sm` offers emoji by name
(`chinwag.core.emojis.complete`), `@a` the room's members by display name or username.

A small list pops up under the word being typed; Up and Down move in it, Tab or Enter
puts the choice in place of the word (the emoji itself, or `@username `), Escape closes
it. The keyboard never leaves the message box. Which word is being typed and what
matches it are plain functions, tested without a display.
"""

from __future__ import annotations

import re
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chinwag.core.emojis import complete

#: `:` and at least two characters of a name, at the start or after a space or bracket.
EMOJI_WORD = re.compile(r"(?:^|(?<=[\s(\[]))(:[^\s:]{2,})$")
#: `@` and what follows of a name, not glued to a word before (an address "a@b").
MENTION_WORD = re.compile(r"(?:^|(?<=[^\w@.\-]))@([A-Za-z0-9_.\-]{0,32})$")
LIMIT = 8


@dataclass(frozen=True, slots=True)
class Choice:
    #: What the list shows, and what replaces the word typed.
    label: str
    insert: str


def word_before(text: str) -> tuple[str, str] | None:
    """("emoji", ":smi") or ("mention", "@ad"): the word being completed at the end of
    `text` (the line up to the cursor), or None."""
    m = EMOJI_WORD.search(text)
    if m:
        return "emoji", m.group(1)
    m = MENTION_WORD.search(text)
    if m:
        return "mention", m.group(0)
    return None


def emoji_choices(word: str) -> list[Choice]:
    return [Choice(f"{char}  :{name}:", char) for name, char in complete(word[1:], LIMIT)]


def member_choices(word: str, people: list[tuple[str, str]]) -> list[Choice]:
    """`people` as (username, display name): those whose either name starts with what
    follows the `@` first, then those with a word of their display name that does."""
    key = word[1:].casefold()
    first, then = [], []
    for username, display in people:
        names = (username.casefold(), display.casefold())
        same = display.casefold() == username.casefold()
        choice = Choice(f"@{username}" if same else f"{display}  @{username}",
                        f"@{username} ")  # fmt: skip
        if any(n.startswith(key) for n in names):
            first.append(choice)
        elif any(w.startswith(key) for w in display.casefold().split()):
            then.append(choice)
    return (first + then)[:LIMIT]


class Completer:
    """The pop-up list of choices for the word before the cursor of `text`.
    `people()` gives the room's (username, display name) pairs."""

    def __init__(
        self, text: tk.Text, people: Callable[[], list[tuple[str, str]]], font: Any
    ) -> None:
        self.text = text
        self.people = people
        self.top = tk.Toplevel(text)
        self.top.withdraw()
        self.top.overrideredirect(True)
        self.list = tk.Listbox(self.top, height=LIMIT, width=34, font=font, activestyle="none",
                               exportselection=False, borderwidth=1, relief="solid",
                               highlightthickness=0)  # fmt: skip
        self.list.pack(fill="both", expand=True)
        self.list.bind("<ButtonRelease-1>", self._clicked)
        self.choices: list[Choice] = []
        #: Where the word being completed starts in `text`.
        self.start = "insert"

    @property
    def active(self) -> bool:
        return bool(self.choices)

    def update(self) -> None:
        """Look at the word before the cursor again: show, change or hide the list."""
        before = self.text.get("insert linestart", "insert")
        found = word_before(before)
        choices: list[Choice] = []
        if found is not None:
            kind, word = found
            if kind == "emoji":
                choices = emoji_choices(word)
            else:
                choices = member_choices(word, self.people())
            self.start = self.text.index(f"insert - {len(word)} chars")
        if choices != self.choices:
            self.show(choices)

    def show(self, choices: list[Choice]) -> None:
        self.choices = choices
        self.list.delete(0, "end")
        if not choices:
            self.top.withdraw()
            return
        for choice in choices:
            self.list.insert("end", choice.label)
        self.list.configure(height=len(choices))
        self.select(0)
        box = self.text.bbox("insert")
        x = self.text.winfo_rootx() + (box[0] if box else 0)
        self.top.update_idletasks()
        y = self.text.winfo_rooty() - self.top.winfo_reqheight() - 4  # above the box
        self.top.geometry(f"+{max(0, x)}+{max(0, y)}")
        self.top.deiconify()
        self.top.lift()

    def select(self, i: int) -> None:
        self.list.selection_clear(0, "end")
        self.list.selection_set(i)
        self.list.see(i)

    def move(self, step: int) -> str:
        if self.choices:
            current = self._selected()
            i = (current[0] if current else 0) + step
            self.select(max(0, min(len(self.choices) - 1, i)))
        return "break"

    def _selected(self) -> tuple[int, ...]:
        return tuple(self.list.curselection())  # type: ignore[no-untyped-call]

    def pick(self) -> str:
        current = self._selected()
        if self.choices:
            choice = self.choices[current[0] if current else 0]
            start = self.text.index(self.start)
            self.text.delete(start, "insert")
            self.text.insert(start, choice.insert)
            self.text.see("insert")
        self.close()
        return "break"

    def close(self) -> str:
        self.show([])
        return "break"

    def _clicked(self, _event: Any) -> None:
        self.pick()
        self.text.focus_set()

    def apply_colors(self, bg: str, fg: str, select_bg: str, select_fg: str, border: str) -> None:
        self.list.configure(background=bg, foreground=fg, selectbackground=select_bg,
                            selectforeground=select_fg, highlightbackground=border)  # fmt: skip
