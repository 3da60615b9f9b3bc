"""Small windows: create or join a room, pick a person, edit a room, moderate someone.

Each is modeless (a transient Toplevel); its action goes through a callback taking a
`done(error_or_None)` continuation, so that the dialog stays open and shows the server's
refusal if there is one.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.client.state import ChatState
from chinwag.client.wording import plural
from chinwag.desktop import boot
from chinwag.desktop.theme import Palette

Done = Callable[[str | None], None]
Action = Callable[..., None]

MUTE_CHOICES = [
    ("5 minutes", 300),
    ("1 hour", 3600),
    ("1 day", 86400),
    ("1 week", 7 * 86400),
    ("Lift the mute", 0),
]


class Dialog:
    """A titled Toplevel with a body frame, an error line and a row of buttons."""

    def __init__(self, root: tk.Misc, title: str, palette: Palette) -> None:
        self.palette = palette
        self.top = boot.toplevel(title)
        self.top.transient(root.winfo_toplevel())
        self.top.resizable(False, False)
        outer = ttk.Frame(self.top, padding=18)
        outer.pack(fill="both", expand=True)
        self.body = ttk.Frame(outer)
        self.body.pack(fill="both", expand=True)
        self.error = ttk.Label(outer, text="", foreground=palette.danger, wraplength=360)
        self.error.pack(fill="x", pady=(8, 0))
        self.buttons = ttk.Frame(outer)
        self.buttons.pack(fill="x", pady=(10, 0))
        self.top.bind("<Escape>", lambda _e: self.close())
        # Enter does what the main button does, in every dialog that has one; in a
        # multi-line text it is left to the text.
        self.top.bind("<Return>", self._enter)
        self.top.bind("<KP_Enter>", self._enter)
        self.top.after_idle(self._place, root)

    def _enter(self, event: Any) -> str | None:
        submit = getattr(self, "submit", None)
        if submit is None or isinstance(event.widget, tk.Text):
            return None
        if isinstance(event.widget, ttk.Button):
            return "break"  # Enter on a focused button pressed it already (its class binding)
        submit()
        return "break"

    def _place(self, root: tk.Misc) -> None:
        self.top.update_idletasks()
        rx, ry = root.winfo_rootx(), root.winfo_rooty()
        rw, rh = root.winfo_width(), root.winfo_height()
        w, h = self.top.winfo_reqwidth(), self.top.winfo_reqheight()
        self.top.geometry(f"+{rx + max(0, (rw - w) // 2)}+{ry + max(0, (rh - h) // 3)}")

    def button(self, text: str, command: Callable[[], None], style: str = "primary") -> Any:
        button = boot.button(self.buttons, text, command, style)
        button.pack(side="right", padx=(8, 0))
        return button

    def field(
        self, label: str, value: str = "", width: int = 36, parent: tk.Misc | None = None
    ) -> tk.StringVar:
        where = parent or self.body
        ttk.Label(where, text=label, font=("TkDefaultFont", 10, "bold")).pack(anchor="w")
        var = tk.StringVar(value=value)
        entry = ttk.Entry(where, textvariable=var, width=width)
        entry.pack(fill="x", pady=(3, 10), ipady=2)
        if not getattr(self, "_focused", False):
            entry.focus_set()
            self._focused = True
        return var

    def finish(self, error: str | None) -> None:
        if not self.top.winfo_exists():
            return
        if error:
            self.error.configure(text=error)
        else:
            self.close()

    def close(self) -> None:
        if self.top.winfo_exists():
            self.top.destroy()


class CreateRoomDialog(Dialog):
    def __init__(self, root: tk.Misc, palette: Palette, create: Action) -> None:
        super().__init__(root, "Create a room", palette)
        self.name = self.field("Name")
        self.topic = self.field("Topic (optional)")
        self.private = tk.BooleanVar(value=False)
        ttk.Checkbutton(
            self.body, text="Private: only people you invite can see it", variable=self.private
        ).pack(anchor="w")
        self.ok = self.button("Create", self.submit)
        self.button("Cancel", self.close, "secondary-outline")
        self.create = create

    def submit(self) -> None:
        if self.name.get().strip():
            self.create(self.name.get(), self.topic.get(), self.private.get(), self.finish)


class PickDialog(Dialog):
    """A filterable list to pick one item: a room to join, a person to message."""

    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        title: str,
        prompt: str,
        items: list[tuple[str, str, str]],
        verb: str,
        pick: Action,
    ) -> None:
        super().__init__(root, title, palette)
        self.items = items
        self.filter = self.field(prompt)
        self.filter.trace_add("write", lambda *_a: self._fill())
        self.tree = ttk.Treeview(
            self.body, show="tree", columns=("info",), height=8, selectmode="browse"
        )
        self.tree.column("#0", width=200)
        self.tree.column("info", width=200)
        self.tree.pack(fill="both", expand=True)
        self.tree.bind("<Double-1>", lambda _e: self.submit())
        self.ok = self.button(verb, self.submit)
        self.button("Cancel", self.close, "secondary-outline")
        self.pick = pick
        self._fill()

    def set_items(self, items: list[tuple[str, str, str]]) -> None:
        if self.top.winfo_exists():
            self.items = items
            self._fill()

    def _fill(self) -> None:
        needle = self.filter.get().strip().lower()
        self.tree.delete(*self.tree.get_children())
        for key, label, info in self.items:
            if needle in label.lower() or needle in key.lower() or needle in info.lower():
                self.tree.insert("", "end", iid=key, text=label, values=(info,))
        children = self.tree.get_children()
        if children:
            self.tree.selection_set(children[0])

    def submit(self) -> None:
        selection = self.tree.selection()
        if selection:
            self.pick(selection[0], self.finish)
        elif not self.items:
            self.finish("There is nothing to choose from yet.")


def people(state: ChatState, exclude: set[str] | None = None) -> list[tuple[str, str, str]]:
    """(username, display name, status) for everyone but the user and `exclude`."""
    skip = {u.lower() for u in exclude or set()}
    out = []
    for user in sorted(state.users.values(), key=lambda u: u.display_name.casefold()):
        if state.is_me(user.username) or user.username.lower() in skip:
            continue
        status = "online" if user.online else "offline"
        out.append((user.username, f"{user.display_name}", f"@{user.username} · {status}"))
    return out


def public_rooms(state: ChatState) -> list[tuple[str, str, str]]:
    rooms = sorted(state.public.values(), key=lambda r: r.name.casefold())
    return [
        (
            r.id,
            f"# {r.name}",
            plural(r.member_count, "member") + (f" · {r.topic}" if r.topic else ""),
        )
        for r in rooms
    ]


class EditRoomDialog(Dialog):
    def __init__(
        self, root: tk.Misc, palette: Palette, name: str, topic: str, save: Action
    ) -> None:
        super().__init__(root, "Edit room", palette)
        self.name = self.field("Name", name)
        self.topic = self.field("Topic", topic)
        self.ok = self.button("Save", self.submit)
        self.button("Cancel", self.close, "secondary-outline")
        self.save = save

    def submit(self) -> None:
        self.save(self.name.get(), self.topic.get(), self.finish)


class ModerateDialog(Dialog):
    """Kick, ban or mute someone, in a room or on the whole server, with a reason."""

    def __init__(
        self,
        root: tk.Misc,
        palette: Palette,
        action: str,
        target: str,
        where: str,
        act: Action,
    ) -> None:
        super().__init__(root, f"{action.capitalize()} {target}", palette)
        ttk.Label(self.body, text=f"{action.capitalize()} {target} {where}.").pack(
            anchor="w", pady=(0, 10)
        )
        self.duration = tk.StringVar(value=MUTE_CHOICES[1][0])
        if action == "mute":
            ttk.Label(self.body, text="For", font=("TkDefaultFont", 10, "bold")).pack(anchor="w")
            ttk.Combobox(
                self.body,
                textvariable=self.duration,
                state="readonly",
                values=[label for label, _ in MUTE_CHOICES],
            ).pack(fill="x", pady=(3, 10))
        self.reason = self.field("Reason (shown to everyone)")
        self.ok = self.button(action.capitalize(), self.submit, "danger")
        self.button("Cancel", self.close, "secondary-outline")
        self.action = action
        self.act = act

    def submit(self) -> None:
        seconds = dict(MUTE_CHOICES).get(self.duration.get(), 3600)
        self.act(self.reason.get(), seconds, self.finish)
