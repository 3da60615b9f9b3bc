"""Acting on one message of the timeline: its right-click menu (copy, edit, delete), the
edit and delete dialogs, and Up in an empty message box to edit one's last message
(a part of `DesktopApp`, through `UserActions`).

Only the sender edits a text message; the sender, and outside DMs the room's owner and
server admins, delete one. The server has the last word: a refusal (muted, too long…)
is shown in the dialog, which stays open. Once stored, the change is applied at once
(the `message_edited` or `message_deleted` event that follows changes nothing more).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Awaitable, Callable
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from chinwag.client import Client
from chinwag.client.model import Update
from chinwag.client.state import ChatState
from chinwag.desktop.dialogs import Dialog, Done
from chinwag.desktop.main_window import MainWindow, popup
from chinwag.desktop.search import one_line
from chinwag.desktop.theme import Palette
from chinwag.protocol.events import MessageDeleted, MessageEdited
from chinwag.protocol.types import Message

Save = Callable[[str, Done], None]
Confirm = Callable[[Done], None]


class EditMessageDialog(Dialog):
    """The message's text in a box: Enter saves, Shift+Enter starts a new line."""

    def __init__(self, root: tk.Misc, palette: Palette, body: str, save: Save) -> None:
        super().__init__(root, "Edit message", palette)
        self.original = body
        self.save = save
        lines = min(8, max(3, body.count("\n") + 2))
        self.text = tk.Text(
            self.body, width=56, height=lines, wrap="word", undo=True, relief="flat",
            borderwidth=0, highlightthickness=1, padx=8, pady=6,
        )  # fmt: skip
        self.text.insert("1.0", body)
        self.text.edit_reset()
        self.text.pack(fill="both", expand=True)
        hint = "Enter to save · Shift+Enter for a new line · Escape to cancel"
        self.hint = ttk.Label(self.body, text=hint, style="Muted.TLabel")
        self.hint.pack(anchor="w", pady=(6, 0))
        self.ok = self.button("Save", self.submit)
        self.button("Cancel", self.close, "secondary-outline")
        self.text.bind("<Return>", self._on_return)
        self.text.bind("<KP_Enter>", self._on_return)
        self.text.bind("<Shift-Return>", self._new_line)
        self.restyle(palette)
        self.text.mark_set("insert", "end-1c")
        self.text.focus_set()

    def restyle(self, pal: Palette) -> None:
        if not self.top.winfo_exists():
            return  # closed (the app keeps its dialogs until the window goes)
        self.text.configure(
            background=pal.input_bg, foreground=pal.fg, insertbackground=pal.fg,
            highlightbackground=pal.border, highlightcolor=pal.accent,
            selectbackground=pal.select_bg, selectforeground=pal.select_fg,
        )  # fmt: skip
        self.error.configure(foreground=pal.danger)

    def value(self) -> str:
        return str(self.text.get("1.0", "end-1c"))

    def _new_line(self, _event: Any) -> str:
        self.text.insert("insert", "\n")
        self.text.see("insert")
        return "break"

    def _on_return(self, _event: Any) -> str:
        self.submit()
        return "break"

    def submit(self) -> None:
        body = self.value()
        if not body.strip():
            self.error.configure(text="A message cannot be empty: delete it instead.")
        elif body == self.original:
            self.close()  # nothing changed
        elif str(self.ok.cget("state")) != "disabled":
            self.ok.configure(state="disabled")
            self.error.configure(text="")
            self.save(body, self.finish)

    def finish(self, error: str | None) -> None:
        if self.top.winfo_exists():
            self.ok.configure(state="normal")
        super().finish(error)


class DeleteMessageDialog(Dialog):
    """Are you sure? The message is quoted; Enter (or Delete) deletes it."""

    def __init__(self, root: tk.Misc, palette: Palette, body: str, confirm: Confirm) -> None:
        super().__init__(root, "Delete this message?", palette)
        ttk.Label(self.body, text=f"“{one_line(body, 80)}”", wraplength=360).pack(anchor="w")
        ttk.Label(
            self.body,
            text="Everyone in the room will see that a message was deleted.",
            style="Muted.TLabel",
            wraplength=360,
        ).pack(anchor="w", pady=(8, 0))
        self.ok = self.button("Delete", self.submit, "danger")
        self.button("Cancel", self.close, "secondary-outline")
        self.top.bind("<Return>", lambda _e: self.submit())
        self.confirm = confirm
        self.top.focus_set()

    def submit(self) -> None:
        if str(self.ok.cget("state")) != "disabled":
            self.ok.configure(state="disabled")
            self.confirm(self.finish)

    def finish(self, error: str | None) -> None:
        if self.top.winfo_exists():
            self.ok.configure(state="normal")
        super().finish(error)


class MessageActions:
    root: Any
    state: ChatState
    main: MainWindow | None
    palette: Palette
    dialogs: list[Any]
    #: The last menu shown (from a click or the keyboard).
    menu_shown: tk.Menu | None = None

    if TYPE_CHECKING:

        def _render(self, update: Update) -> None: ...

        def _do(
            self, make: Callable[[Client], Awaitable[Any]], done: Callable[[Any, str | None], None]
        ) -> None: ...

        def held_message(self, room: str, seq: int) -> Message | None: ...

        def apply_event(self, event: Any) -> Update: ...

    # -- who may do what -------------------------------------------------------------------
    def _held(self, room: str, seq: int) -> Message | None:
        """Message `seq` of `room`, held by the room's timeline or the thread pane."""
        if self.main is not None:
            return self.main.held(room, seq)
        rs = self.state.rooms.get(room)
        return rs.messages.get(seq) if rs else None

    def _message(self, room: str, seq: int) -> Message | None:
        msg = self.held_message(room, seq)
        return msg if msg is not None and msg.kind == "text" and not msg.deleted else None

    def may_edit(self, msg: Message) -> bool:
        return msg.kind == "text" and not msg.deleted and self.state.is_me(msg.sender)

    def may_delete(self, msg: Message) -> bool:
        if msg.kind != "text" or msg.deleted:
            return False
        if self.state.is_me(msg.sender):
            return True
        rs, me = self.state.rooms.get(msg.room), self.state.me
        if rs is None or me is None or rs.room.kind == "dm":
            return False
        return me.admin or (rs.room.owner is not None and self.state.is_me(rs.room.owner))

    # -- the menu --------------------------------------------------------------------------
    def message_menu(self, room: str, seq: int, x: int, y: int) -> None:
        menu = self.build_message_menu(room, seq)
        if menu.index("end") is None:
            return
        self.menu_shown = menu
        timeline = self.main.timeline if self.main is not None else None
        if timeline is not None:
            timeline.pick(seq)
            menu.bind("<Unmap>", lambda _e: timeline.pick(None))
        popup(menu, x, y)

    def build_message_menu(self, room: str, seq: int) -> tk.Menu:
        """Copy the text; Edit… (one's own); Delete… (one's own, or as a moderator)."""
        menu = tk.Menu(self.root, tearoff=False)
        msg = self._message(room, seq)
        if msg is None:
            return menu
        menu.add_command(label="Copy text", command=lambda: self.copy_text(msg.body))
        if self.may_edit(msg):
            menu.add_separator()
            menu.add_command(label="Edit…", command=lambda: self.edit_message(room, seq))
        if self.may_delete(msg):
            if not self.may_edit(msg):
                menu.add_separator()
            menu.add_command(label="Delete…", command=lambda: self.delete_message(room, seq))
        return menu

    def copy_text(self, text: str) -> None:
        self.root.clipboard_clear()
        self.root.clipboard_append(text)

    # -- editing ---------------------------------------------------------------------------
    def edit_message(self, room: str, seq: int) -> EditMessageDialog | None:
        msg = self._message(room, seq)
        if msg is None or not self.may_edit(msg):
            return None

        def save(body: str, done: Done) -> None:
            def saved(stored: Message | None, error: str | None) -> None:
                if stored is not None:
                    self._render(self.apply_event(MessageEdited(message=stored)))
                done(error)

            self._do(lambda client: client.edit_message(room, seq, body), saved)

        dialog = EditMessageDialog(self.root, self.palette, msg.body, save)
        self._opened(dialog)
        return dialog

    def edit_last(self) -> bool:
        """Edit the user's newest text message in the open room (Up in an empty box)."""
        rs = self.state.rooms.get(self.state.current or "")
        if rs is None:
            return False
        for seq in reversed(rs.seqs):
            msg = rs.messages.get(seq)
            if msg is not None and self.may_edit(msg):
                if self.main is not None:
                    self.main.timeline.reveal(seq)  # so the user sees which one
                return self.edit_message(rs.id, seq) is not None
        return False

    # -- deleting --------------------------------------------------------------------------
    def delete_message(self, room: str, seq: int) -> DeleteMessageDialog | None:
        msg = self._message(room, seq)
        if msg is None or not self.may_delete(msg):
            return None

        def confirm(done: Done) -> None:
            def deleted(_result: Any, error: str | None) -> None:
                if error is None:
                    self._render(self.apply_event(MessageDeleted(room=room, seq=seq)))
                done(error)

            self._do(lambda client: client.delete_message(room, seq), deleted)

        dialog = DeleteMessageDialog(self.root, self.palette, msg.body, confirm)
        self._opened(dialog)
        return dialog

    def _opened(self, dialog: Dialog) -> None:
        """Keep `dialog`; once it closes (saved or not), the keyboard is the box's again."""
        self.dialogs.append(dialog)

        def closed(event: Any) -> None:
            if event.widget is dialog.top and self.main is not None:
                self.main.composer.text.focus_set()

        dialog.top.bind("<Destroy>", closed, add="+")
