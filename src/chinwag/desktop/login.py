"""The login window: server, username, password; "Log in" or "Create account"."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.desktop import boot
from chinwag.desktop.theme import Palette
from chinwag.protocol.events import Hello


class LoginView:
    def __init__(
        self,
        parent: tk.Misc,
        *,
        server: str,
        username: str,
        on_submit: Callable[[str, str, str, bool], None],
        on_server_changed: Callable[[str], None],
    ) -> None:
        self.on_submit = on_submit
        self.on_server_changed = on_server_changed
        self.frame = ttk.Frame(parent)
        card = ttk.Frame(self.frame, padding=(36, 28))
        card.place(relx=0.5, rely=0.46, anchor="center")
        self.card = card
        self.title = ttk.Label(card, text="chinwag", font=("TkDefaultFont", 26, "bold"))
        self.title.grid(row=0, column=0, columnspan=2, sticky="w")
        self.subtitle = ttk.Label(card, text="Log in to your chat server")
        self.subtitle.grid(row=1, column=0, columnspan=2, sticky="w", pady=(0, 18))
        self.server_var = tk.StringVar(value=server)
        self.username_var = tk.StringVar(value=username)
        self.password_var = tk.StringVar()
        self.server_entry = self._field(card, 2, "Server", self.server_var)
        self.server_info = ttk.Label(card, text="", font=("TkDefaultFont", 9))
        self.server_info.grid(row=4, column=0, columnspan=2, sticky="w", pady=(2, 10))
        self.username_entry = self._field(card, 5, "Username", self.username_var)
        self.password_entry = self._field(card, 8, "Password", self.password_var, show="•")
        self.error = ttk.Label(card, text="", wraplength=330, justify="left")
        self.error.grid(row=11, column=0, columnspan=2, sticky="w", pady=(8, 4))
        buttons = ttk.Frame(card)
        buttons.grid(row=12, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        buttons.columnconfigure(0, weight=1)
        buttons.columnconfigure(1, weight=1)
        self.login_button = boot.button(buttons, "Log in", lambda: self._submit(False))
        self.create_button = boot.button(
            buttons, "Create account", lambda: self._submit(True), "secondary-outline"
        )
        self.login_button.grid(row=0, column=0, sticky="ew", padx=(0, 6), ipady=3)
        self.create_button.grid(row=0, column=1, sticky="ew", padx=(6, 0), ipady=3)
        self.hint = ttk.Label(
            card, text="Your first account on a new server is its admin.", font=("TkDefaultFont", 9)
        )
        self.hint.grid(row=13, column=0, columnspan=2, sticky="w", pady=(14, 0))
        for entry in (self.server_entry, self.username_entry, self.password_entry):
            entry.bind("<Return>", lambda _e: self._submit(False))
        self._after: str | None = None
        self.server_var.trace_add("write", self._server_edited)
        self.registration_open = True
        self.busy = False

    def _field(
        self, card: ttk.Frame, row: int, label: str, var: tk.StringVar, show: str = ""
    ) -> ttk.Entry:
        ttk.Label(card, text=label, font=("TkDefaultFont", 10, "bold")).grid(
            row=row, column=0, columnspan=2, sticky="w"
        )
        entry = ttk.Entry(card, textvariable=var, width=38, show=show)
        entry.grid(row=row + 1, column=0, columnspan=2, sticky="ew", pady=(3, 8), ipady=3)
        return entry

    def focus(self) -> None:
        empty = next(
            (
                e
                for e, v in (
                    (self.server_entry, self.server_var),
                    (self.username_entry, self.username_var),
                )
                if not v.get()
            ),
            self.password_entry,
        )
        empty.focus_set()

    def _submit(self, create: bool) -> None:
        if self.busy:
            return
        server, username = self.server_var.get().strip(), self.username_var.get().strip()
        password = self.password_var.get()
        if not server:
            return self.show_error("Enter the server's address, for example localhost:8080.")
        if not username or not password:
            return self.show_error("Enter your username and password.")
        if create and not self.registration_open:
            return self.show_error(
                "This server does not accept new accounts. Ask its admin to create one."
            )
        self.show_error("")
        self.on_submit(server, username, password, create)

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        state = "disabled" if busy else "normal"
        self.login_button.configure(state=state)
        self.create_button.configure(
            state="disabled" if busy or not self.registration_open else "normal"
        )
        if busy:
            self.show_error(text, muted=True)

    def show_error(self, text: str, *, muted: bool = False) -> None:
        self.error.configure(
            text=text, foreground=self.palette.muted if muted else self.palette.danger
        )

    # -- what the server says about itself -------------------------------------------------
    def _server_edited(self, *_args: Any) -> None:
        if not self.busy:
            self.show_error("")  # an error about the old address says nothing of this one
        if self._after is not None:
            self.frame.after_cancel(self._after)
        self._after = self.frame.after(600, self._probe)

    def _probe(self) -> None:
        self._after = None
        self.on_server_changed(self.server_var.get().strip())

    def show_server(self, hello: Hello | None, error: str = "") -> None:
        if hello is None:
            self.registration_open = True
            self.server_info.configure(text=error, foreground=self.palette.muted)
        else:
            self.registration_open = hello.registration
            accounts = "new accounts welcome" if hello.registration else "new accounts closed"
            self.server_info.configure(
                text=f"● {hello.server} {hello.version} · {accounts}",
                foreground=self.palette.success,
            )
        if not self.busy:
            self.create_button.configure(state="normal" if self.registration_open else "disabled")

    palette: Palette

    def apply_theme(self, pal: Palette) -> None:
        self.palette = pal
        self.subtitle.configure(foreground=pal.muted)
        self.hint.configure(foreground=pal.muted)
