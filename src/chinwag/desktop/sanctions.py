"""Who is muted and banned, in a room or on the whole server: who, by whom, until when
and why, with Unmute and Unban. A refusal (`no_change`: "bob is not muted in this
room", or no right to list) shows in the dialog's error line; nothing is taken as done
until the server says so, and the lists are read again after each change."""

from __future__ import annotations

import datetime as dt
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.client.wording import duration_words, plural
from chinwag.desktop import boot
from chinwag.desktop.dialogs import Dialog, Done
from chinwag.desktop.theme import Palette
from chinwag.protocol.replies import ModerationOk
from chinwag.protocol.types import Sanction

#: fetch(done(reply_or_None, error_or_None)); lift(kind, username, done(error_or_None))
Fetch = Callable[[Callable[[ModerationOk | None, str | None], None]], None]
Lift = Callable[[str, str, Done], None]
COLUMNS = (("who", "Who", 150), ("by", "By", 120), ("until", "Until", 190), ("why", "Why", 220))


def until_text(until: int | None, now_ms: float, tz: dt.tzinfo | None = None) -> str:
    """ "14:05 (in 59 minutes)", "3 May 09:00 (in 2 days)", or "until lifted"."""
    if until is None:
        return "until lifted"
    when = dt.datetime.fromtimestamp(until / 1000, tz=tz or dt.UTC).astimezone(tz)
    today = dt.datetime.fromtimestamp(now_ms / 1000, tz=tz or dt.UTC).astimezone(tz).date()
    shown = f"{when:%H:%M}" if when.date() == today else f"{when.day} {when:%b %H:%M}"
    return f"{shown} (in {duration_words(max(0.0, (until - now_ms) / 1000))})"


def row_values(item: Sanction, now_ms: float, tz: dt.tzinfo | None = None) -> tuple[str, ...]:
    who = (
        item.display_name
        if item.display_name == item.user
        else f"{item.display_name} (@{item.user})"
    )
    by = item.by_display_name or item.by or "the server"
    return (who, by, until_text(item.until, now_ms, tz), item.reason or "—")


class SanctionsDialog(Dialog):
    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        where: str,
        fetch: Fetch,
        lift: Lift,
        now_ms: Callable[[], float],
    ) -> None:
        super().__init__(root, f"Mutes and bans {where}", palette)
        self.top.resizable(True, True)
        self.fetch, self.lift, self.now_ms = fetch, lift, now_ms
        self.title = ttk.Label(self.body, text=f"Mutes and bans {where}",
                               font=("TkDefaultFont", 13, "bold"))  # fmt: skip
        self.title.pack(anchor="w", pady=(0, 8))
        self.trees: dict[str, ttk.Treeview] = {}
        self.heads: dict[str, ttk.Label] = {}
        self.buttons_for: dict[str, Any] = {}
        for kind, verb in (("mutes", "Unmute"), ("bans", "Unban")):
            head = ttk.Frame(self.body)
            head.pack(fill="x", pady=(6, 2))
            label = ttk.Label(head, text=kind.capitalize(), font=("TkDefaultFont", 10, "bold"))
            label.pack(side="left")
            self.heads[kind] = label
            button = boot.button(head, verb, self._lifter(kind), "danger-outline")
            button.pack(side="right")
            self.buttons_for[kind] = button
            tree = ttk.Treeview(self.body, columns=[c for c, _, _ in COLUMNS], show="headings",
                                height=5, selectmode="browse")  # fmt: skip
            for column, title, width in COLUMNS:
                tree.heading(column, text=title, anchor="w")
                tree.column(column, width=width, anchor="w", stretch=column == "why")
            tree.pack(fill="both", expand=True)
            tree.bind("<<TreeviewSelect>>", lambda _e: self._buttons())
            tree.bind("<Delete>", self._lift_key(kind))
            self.trees[kind] = tree
        self.ok = self.button("Close", self.close)
        self.refresh_button = self.button("Refresh", self.refresh, "secondary-outline")
        self.reply: ModerationOk | None = None
        self.refresh()
        self.trees["mutes"].focus_set()

    def _lifter(self, kind: str) -> Callable[[], None]:
        return lambda: self.lift_selected(kind)

    def _lift_key(self, kind: str) -> Callable[[object], None]:
        return lambda _event: self.lift_selected(kind)

    # -- the lists -------------------------------------------------------------------------
    def refresh(self, *, keep_error: bool = False) -> None:
        if not keep_error:
            self.error.configure(text="")
        self.fetch(self._show)

    def _show(self, reply: ModerationOk | None, error: str | None) -> None:
        if not self.top.winfo_exists():
            return
        if error is not None or reply is None:
            self.error.configure(text=error or "No answer.")
            return
        self.reply = reply
        now = self.now_ms()
        for kind, items in (("mutes", reply.mutes), ("bans", reply.bans)):
            tree = self.trees[kind]
            tree.delete(*tree.get_children())
            for item in items:
                tree.insert("", "end", iid=item.user, values=row_values(item, now))
            noun = ("mute", "mutes") if kind == "mutes" else ("ban", "bans")
            count = plural(len(items), *noun) if items else f"No {noun[1]}"
            self.heads[kind].configure(text=count)
            children = tree.get_children()
            if children and not tree.selection():
                tree.selection_set(children[0])
                tree.focus(children[0])
        self._buttons()

    def _buttons(self) -> None:
        for kind, tree in self.trees.items():
            self.buttons_for[kind].configure(state="normal" if tree.selection() else "disabled")

    # -- lifting ---------------------------------------------------------------------------
    def lift_selected(self, kind: str) -> None:
        selection = self.trees[kind].selection()
        if not selection:
            return
        self.error.configure(text="")

        def done(error: str | None) -> None:
            if not self.top.winfo_exists():
                return
            if error:
                self.error.configure(text=error)
            self.refresh(keep_error=bool(error))

        self.lift(kind, selection[0], done)

    def submit(self) -> None:
        """Enter: lift the sanction selected in the list that has the focus."""
        focus = self.top.focus_get()
        for kind, tree in self.trees.items():
            if focus is tree:
                self.lift_selected(kind)
                return
        self.close()
