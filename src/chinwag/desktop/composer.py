"""The box at the bottom: Enter sends, Shift+Enter starts a new line, Up in the empty box
edits one's last message; who is typing."""

from __future__ import annotations

import time
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.desktop import boot
from chinwag.desktop.theme import Palette
from chinwag.desktop.wording import typing_sentence

TYPING_EVERY = 3.0
MAX_LINES = 8


class Composer:
    def __init__(
        self,
        parent: tk.Misc,
        *,
        on_send: Callable[[str], None],
        on_typing: Callable[[], None],
        on_up: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_send = on_send
        self.on_typing = on_typing
        self.on_up = on_up
        self.clock = clock
        self.max_body = 4000
        self._last_typing = -1e9
        self.frame = ttk.Frame(parent, padding=(12, 4, 12, 2))
        self.box = ttk.Frame(self.frame, padding=1)
        base = tkfont.nametofont("TkDefaultFont").actual()
        self.font = tkfont.Font(family=base["family"], size=max(10, abs(int(base["size"]))) + 1)
        self.text = tk.Text(
            self.box,
            height=1,
            wrap="word",
            relief="flat",
            borderwidth=0,
            highlightthickness=1,
            padx=10,
            pady=8,
            font=self.font,
            undo=True,
        )
        self.placeholder = tk.Label(self.box, text="", anchor="w", font=self.font, cursor="xterm")
        self.placeholder.bind("<Button-1>", lambda _e: self.text.focus_set())
        self.send_button = boot.button(self.frame, "Send", self.submit)
        self.text.pack(fill="both", expand=True)
        self.box.grid(row=0, column=0, sticky="ew")
        self.send_button.grid(row=0, column=1, sticky="ns", padx=(8, 0))
        self.typing = ttk.Label(self.frame, text="", font=("TkDefaultFont", 9))
        self.counter = ttk.Label(self.frame, text="", font=("TkDefaultFont", 9))
        self.typing.grid(row=1, column=0, sticky="w", pady=(2, 0))
        self.counter.grid(row=1, column=1, sticky="e", pady=(2, 0))
        self.frame.columnconfigure(0, weight=1)
        self.text.bind("<Return>", self._on_return)
        self.text.bind("<KP_Enter>", self._on_return)
        self.text.bind("<Shift-Return>", self._on_shift_return)
        self.text.bind("<Up>", self._on_up)
        self.text.bind("<KeyRelease>", self._on_key, add="+")
        self.text.bind("<<Modified>>", self._on_modified, add="+")
        self.text.bind("<FocusIn>", lambda _e: self._update_placeholder(), add="+")
        self._lines = 1

    # -- the text --------------------------------------------------------------------------
    def value(self) -> str:
        return self.text.get("1.0", "end-1c")

    def clear(self) -> None:
        self.text.delete("1.0", "end")
        self.text.edit_reset()
        self._changed()

    def set_placeholder(self, text: str) -> None:
        self.placeholder.configure(text=text)
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        if self.value():
            self.placeholder.place_forget()
        else:
            self.placeholder.place(x=12, rely=0.5, anchor="w")

    def submit(self) -> str:
        body = self.value()
        if not body.strip():
            return "break"
        if len(body.strip()) > self.max_body:
            self.counter.configure(text=f"{len(body)} / {self.max_body}: too long to send")
            return "break"
        self.clear()
        self.on_send(body)
        return "break"

    def _on_return(self, _event: Any) -> str:
        return self.submit()

    def _on_shift_return(self, _event: Any) -> str:
        self.text.insert("insert", "\n")
        self.text.see("insert")
        self._changed()
        return "break"

    def _on_up(self, _event: Any) -> str | None:
        """In the empty box, Up edits the last message sent (otherwise it moves up)."""
        if not self.value() and self.on_up is not None and self.on_up():
            return "break"
        return None

    def _on_key(self, event: Any) -> None:
        if event.keysym in ("Return", "KP_Enter"):
            return
        if self.value().strip():
            now = self.clock()
            if now - self._last_typing >= TYPING_EVERY:
                self._last_typing = now
                self.on_typing()

    def _on_modified(self, _event: Any) -> None:
        if self.text.edit_modified():
            self.text.edit_modified(False)
            self._changed()

    def _changed(self) -> None:
        self._update_placeholder()
        value = self.value()
        lines = min(MAX_LINES, max(1, value.count("\n") + 1))
        if lines != self._lines:
            self._lines = lines
            self.text.configure(height=lines)
        near = len(value) >= self.max_body * 0.9
        self.counter.configure(text=f"{len(value)} / {self.max_body}" if near else "")

    def sent_typing_now(self) -> None:
        """Forget the last typing notice (after sending, the next keystroke tells again)."""
        self._last_typing = -1e9

    # -- others typing ---------------------------------------------------------------------
    def show_typing(self, names: list[str]) -> None:
        self.typing.configure(text=typing_sentence(names))

    def apply_theme(self, pal: Palette) -> None:
        self.text.configure(  # all of it again: a theme switch restyles plain Tk widgets too
            background=pal.input_bg,
            foreground=pal.fg,
            insertbackground=pal.fg,
            highlightthickness=1,
            borderwidth=0,
            relief="flat",
            padx=10,
            pady=8,
            highlightbackground=pal.border,
            highlightcolor=pal.accent,
            selectbackground=pal.select_bg,
            selectforeground=pal.select_fg,
        )
        self.placeholder.configure(
            background=pal.input_bg, foreground=pal.muted, borderwidth=0, highlightthickness=0
        )
        self.typing.configure(foreground=pal.muted)
        self.counter.configure(foreground=pal.muted)
