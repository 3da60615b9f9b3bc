"""The box at the bottom: Enter sends, Shift+Enter starts a new line, Up in the empty box
edits one's last message; who is typing. `:smi` and `@a` offer completions
(completion.py), the emoji button opens the picker, and known `:names:` become their
emoji when the message is sent."""

from __future__ import annotations

import contextlib
import time
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.client.wording import plural
from chinwag.core.emojis import emojize
from chinwag.desktop import boot
from chinwag.desktop.completion import Completer
from chinwag.desktop.prefs import Draft
from chinwag.desktop.theme import Palette
from chinwag.desktop.wording import typing_sentence

TYPING_EVERY = 3.0
MAX_LINES = 8


class Composer:
    def __init__(
        self,
        parent: tk.Misc,
        *,
        on_send: Callable[[str, int | None], None],
        on_typing: Callable[[], None],
        on_up: Callable[[], bool] | None = None,
        on_page: Callable[[int], None] | None = None,
        on_attach: Callable[[], None] | None = None,
        on_paste: Callable[[], bool] | None = None,
        on_emoji: Callable[[], object] | None = None,
        people: Callable[[], list[tuple[str, str]]] = list,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_paste = on_paste
        self.on_page = on_page
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
        # Uploads in progress show above the box (row 0), only while there are some.
        self.uploads = ttk.Frame(self.frame)
        self.attach_button = boot.button(
            self.frame, "Attach", on_attach or (lambda: None), "secondary-outline"
        )
        self.attach_button.grid(row=2, column=0, sticky="ns", padx=(0, 8))
        self.box.grid(row=2, column=1, sticky="ew")
        self.emoji_button = boot.button(
            self.frame, "☺", on_emoji or (lambda: None), "secondary-link", width=2
        )
        self.emoji_button.grid(row=2, column=2, sticky="ns", padx=(4, 0))
        self.send_button.grid(row=2, column=3, sticky="ns", padx=(4, 0))
        # Who is typing and the length counter share a line of their own below, so that
        # neither widens the Send button's column nor narrows the box.
        foot = ttk.Frame(self.frame)
        foot.grid(row=3, column=0, columnspan=4, sticky="ew", pady=(2, 0))
        foot.columnconfigure(0, weight=1)
        self.typing = ttk.Label(foot, text="", font=("TkDefaultFont", 9))
        self.counter = ttk.Label(foot, text="", font=("TkDefaultFont", 9))
        self.typing.grid(row=0, column=0, sticky="w")
        self.counter.grid(row=0, column=1, sticky="e")
        self.frame.columnconfigure(1, weight=1)
        # "Replying to Bob: …" above the box (row 1) while the message is a reply.
        self.reply_bar = ttk.Frame(self.frame)
        self.reply_bar.columnconfigure(0, weight=1)
        self.reply_label = ttk.Label(self.reply_bar, text="", style="Muted.TLabel")
        self.reply_label.grid(row=0, column=0, sticky="w")
        self.reply_cancel = boot.button(
            self.reply_bar, "✕", self.cancel_reply, "secondary-link", width=2
        )
        self.reply_cancel.grid(row=0, column=1, sticky="e")
        #: The seq of the message this one replies to, while it is a reply.
        self.reply_seq: int | None = None
        self.text.bind("<<Paste>>", self._on_paste)
        self.text.bind("<Return>", self._on_return)
        self.text.bind("<KP_Enter>", self._on_return)
        self.text.bind("<Shift-Return>", self._on_shift_return)
        self.text.bind("<Up>", self._on_up)
        self.completer = Completer(self.text, people, self.font)
        self.text.bind("<Down>", self._on_down)
        self.text.bind("<Escape>", self._on_escape)
        self.text.bind("<Button-1>", lambda _e: self.completer.close() and None, add="+")
        self.text.bind("<FocusOut>", lambda _e: self.completer.close() and None, add="+")
        # Tab leaves the box (a Text would insert a tab: a trap for the keyboard), and
        # Page Up / Page Down scroll the conversation above it.
        self.text.bind("<Tab>", self._focus_next)
        for key in ("<Shift-Tab>", "<ISO_Left_Tab>"):
            with contextlib.suppress(tk.TclError):  # ISO_Left_Tab: X11 only
                self.text.bind(key, self._focus_previous)
        self.text.bind("<Prior>", lambda _e: self._page(-1))
        self.text.bind("<Next>", lambda _e: self._page(1))
        self.text.bind("<KeyRelease>", self._on_key, add="+")
        self.text.bind("<<Modified>>", self._on_modified, add="+")
        self.text.bind("<FocusIn>", lambda _e: self._update_placeholder(), add="+")
        self._lines = 1
        self._placeholder = ""
        #: The sentence saying the user is muted here, while they are.
        self.muted: str | None = None

    # -- the text --------------------------------------------------------------------------
    def value(self) -> str:
        return self.text.get("1.0", "end-1c")

    def clear(self) -> None:
        self.text.delete("1.0", "end")
        self.text.edit_reset()
        self._changed()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        if self.muted is None:
            self.placeholder.configure(text=text)
        self._update_placeholder()

    def set_muted(self, sentence: str | None) -> None:
        """While muted the box says so, with the reason, and takes no text."""
        if sentence == self.muted:
            return
        self.muted = sentence
        self.text.configure(state="normal" if sentence is None else "disabled")
        self.send_button.configure(state="normal" if sentence is None else "disabled")
        self.attach_button.configure(state="normal" if sentence is None else "disabled")
        self.emoji_button.configure(state="normal" if sentence is None else "disabled")
        self.placeholder.configure(text=sentence or self._placeholder)
        if getattr(self, "palette", None) is not None:
            self.placeholder.configure(
                foreground=self.palette.danger if sentence else self.palette.muted
            )
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        if self.value() and self.muted is None:
            self.placeholder.place_forget()
        else:
            self.placeholder.place(x=12, rely=0.5, anchor="w")

    def submit(self) -> str:
        if self.muted is not None:
            return "break"
        body = emojize(self.value())
        if not body.strip():
            return "break"
        if len(body.strip()) > self.max_body:
            self.counter.configure(text=self.count_text(len(body)) + ": too long to send")
            return "break"
        reply = self.reply_seq
        self.clear()
        self.cancel_reply()
        self.on_send(body, reply)
        return "break"

    def show_uploads(self, shown: bool) -> None:
        if shown:
            self.uploads.grid(row=0, column=0, columnspan=4, sticky="ew", pady=(0, 6))
        else:
            self.uploads.grid_remove()

    def _on_paste(self, _event: Any) -> str | None:
        """An image on the clipboard is uploaded; text is pasted as usual."""
        if self.muted is None and self.on_paste is not None and self.on_paste():
            return "break"
        return None

    def _on_return(self, _event: Any) -> str:
        if self.completer.active:
            return self.completer.pick()
        return self.submit()

    def _on_down(self, _event: Any) -> str | None:
        return self.completer.move(1) if self.completer.active else None

    def _on_escape(self, _event: Any) -> str | None:
        if self.completer.active:
            return self.completer.close()
        if self.reply_seq is not None:
            self.cancel_reply()
            return "break"
        return None

    # -- replying --------------------------------------------------------------------------
    def set_reply(self, seq: int, sentence: str, *, focus: bool = True) -> None:
        """The message typed next replies to message `seq` ("Replying to Bob: …")."""
        self.reply_seq = seq
        self.reply_label.configure(text=sentence)
        self.reply_bar.grid(row=1, column=0, columnspan=4, sticky="ew", pady=(0, 4))
        if focus:
            self.text.focus_set()

    def cancel_reply(self) -> None:
        self.reply_seq = None
        self.reply_bar.grid_remove()

    # -- drafts ----------------------------------------------------------------------------
    def draft(self) -> Draft | None:
        """What is typed and not sent, with the message it replies to (None: nothing)."""
        text, seq = self.value(), self.reply_seq
        if not text.strip() and seq is None:
            return None
        quote = str(self.reply_label.cget("text")) if seq is not None else ""
        return Draft(text=text, reply_to=seq, quote=quote)

    def set_draft(self, draft: Draft | None) -> None:
        """Put `draft` in the box (None: empty it), leaving the keyboard where it is;
        also while the box takes no typing (muted in the room before or this one)."""
        state = self.text.cget("state")
        self.text.configure(state="normal")
        self.clear()
        self.cancel_reply()
        if draft is not None:
            self.text.insert("1.0", draft.text)
            self._changed()
        self.text.configure(state=state)
        if draft is not None and draft.reply_to is not None:
            self.set_reply(draft.reply_to, draft.quote, focus=False)

    def _on_shift_return(self, _event: Any) -> str:
        self.text.insert("insert", "\n")
        self.text.see("insert")
        self._changed()
        return "break"

    def _on_up(self, _event: Any) -> str | None:
        """In the empty box, Up edits the last message sent (otherwise it moves up)."""
        if self.completer.active:
            return self.completer.move(-1)
        if not self.value() and self.on_up is not None and self.on_up():
            return "break"
        return None

    def _focus_next(self, _event: Any) -> str:
        if self.completer.active:
            return self.completer.pick()
        target = self.text.tk_focusNext()
        if target is not None:
            target.focus_set()
        return "break"

    def _focus_previous(self, _event: Any) -> str:
        target = self.text.tk_focusPrev()
        if target is not None:
            target.focus_set()
        return "break"

    def _page(self, pages: int) -> str:
        if self.on_page is not None:
            self.on_page(pages)
        return "break"

    def _on_key(self, event: Any) -> None:
        if event.keysym in ("Return", "KP_Enter", "Tab", "Up", "Down", "Escape"):
            return
        self.completer.update()
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
        self.counter.configure(text=self.count_text(len(value)) if near else "")

    def count_text(self, length: int) -> str:
        """ "1 character left", "12 characters too many"."""
        left = self.max_body - length
        if left >= 0:
            return plural(left, "character") + " left"
        return plural(-left, "character") + " too many"

    def sent_typing_now(self) -> None:
        """Forget the last typing notice (after sending, the next keystroke tells again)."""
        self._last_typing = -1e9

    # -- others typing ---------------------------------------------------------------------
    def show_typing(self, names: list[str]) -> None:
        self.typing.configure(text=typing_sentence(names))

    def apply_theme(self, pal: Palette) -> None:
        self.palette = pal
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
            background=pal.input_bg,
            foreground=pal.danger if self.muted else pal.muted,
            borderwidth=0,
            highlightthickness=0,
        )
        self.typing.configure(foreground=pal.muted)
        self.counter.configure(foreground=pal.muted)
        self.completer.apply_colors(pal.input_bg, pal.fg, pal.select_bg, pal.select_fg, pal.border)

    def insert(self, text: str) -> None:
        """Put `text` at the cursor (an emoji picked), the keyboard back in the box."""
        if self.muted is not None:
            return
        self.text.insert("insert", text)
        self.text.see("insert")
        self.text.focus_force()  # back from the picker's window to the main one
        self._changed()
