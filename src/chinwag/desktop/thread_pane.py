"""The thread pane: a thread's root and its replies beside the room, with a message box of
its own and "Also send to #room".

It draws with the timeline's own view (`TimelineView`) over a `RoomState` of its own
that holds the thread's messages only: the same formatting, quotes, chips and scrolling
as the room. What goes in it comes from the app (`show`, `put`), which fetches the
thread and passes on the thread's new and changed messages as they arrive.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.client.model import RoomState, TimelineChange
from chinwag.client.state import ChatState
from chinwag.desktop import boot, conversation_tk
from chinwag.desktop.composer import Composer
from chinwag.desktop.rows import Run
from chinwag.desktop.theme import Palette
from chinwag.desktop.timeline import TimelineView
from chinwag.protocol.types import Message, ReplyRef, Room

#: (body, the seq it replies to or None, also to the room)
Send = Callable[[str, int | None, bool], None]


class _ThreadState:
    """The chat's state as the thread's view sees it: everything as in the chat, but
    the one room it knows is the thread's."""

    def __init__(self, state: ChatState, rs: RoomState) -> None:
        self._state = state
        self.rooms = {rs.id: rs}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)


class ThreadView(TimelineView):
    """A timeline whose first line names the thread instead of the room's beginning."""

    more = False
    #: Not a thread: a page of the room's history around one message.
    around = False

    def shown(self, msg: Message) -> bool:
        return True  # a thread's replies are what it shows

    def _header(self, rs: RoomState, first: int | None) -> list[Run]:
        if self.around:
            return [(f"Earlier in #{self.state.room_title(rs.id)}\n", ("header",))]
        if self.more:
            return [("Older replies are not shown here\n", ("header",))]
        return [(f"Thread in #{self.state.room_title(rs.id)}\n", ("header",))]


class ThreadPane:
    def __init__(
        self,
        parent: tk.Misc,
        state: ChatState,
        *,
        on_send: Send,
        on_close: Callable[[], None],
        on_url: Callable[[str], Any],
        on_menu: Callable[..., Any] | None,
        people: Callable[[], list[tuple[str, str]]],
        on_emoji: Callable[[], Any] | None = None,
    ) -> None:
        self.state = state
        self.on_send = on_send
        self.frame = ttk.Frame(parent)
        self.frame.rowconfigure(1, weight=1)
        self.frame.columnconfigure(0, weight=1)
        head = ttk.Frame(self.frame, padding=(12, 10, 6, 6))
        head.grid(row=0, column=0, sticky="ew")
        head.columnconfigure(0, weight=1)
        self.title = ttk.Label(head, text="Thread", font=("TkDefaultFont", 12, "bold"))
        self.title.grid(row=0, column=0, sticky="w")
        self.where = ttk.Label(head, text="", style="Muted.TLabel")
        self.where.grid(row=1, column=0, sticky="w")
        self.close_button = boot.button(head, "✕", on_close, "secondary-link", width=2)
        self.close_button.grid(row=0, column=1, rowspan=2, sticky="e")
        self.room: str | None = None
        self.root_seq: int | None = None
        self.rs: RoomState | None = None
        self.view = ThreadView(
            self.frame,
            _ThreadState(state, RoomState(room=_placeholder_room())),  # type: ignore[arg-type]
            on_load_older=lambda _room: None,
            on_scrolled=lambda _at_bottom: None,
            on_action=lambda _kind, _cmid: None,
            on_url=on_url,
            on_menu=on_menu,
        )
        self.view.layout.in_thread = True
        self.view.frame.grid(row=1, column=0, sticky="nsew")
        conversation_tk.configure(self.view.text, self.view.fonts)
        self.also = tk.BooleanVar(value=False)
        self.also_button = boot.toggle(self.frame, "Also send to the room", self.also, _nothing)
        self.also_button.grid(row=2, column=0, sticky="w", padx=12, pady=(6, 0))
        self.composer = Composer(
            self.frame,
            on_send=self._send,
            on_typing=lambda: None,
            on_emoji=on_emoji,
            people=people,
        )
        self.composer.attach_button.grid_remove()  # files go to the room's own box
        self.composer.frame.grid(row=3, column=0, sticky="ew", pady=(0, 6))

    # -- what it shows ---------------------------------------------------------------------
    def show(self, root: Message, replies: list[Message], *, more: bool = False) -> None:
        """The thread rooted at `root`, with `replies` (oldest first)."""
        self._draw(root.room, [root, *replies])
        self.root_seq = root.seq
        self.view.more = more
        title = self.state.room_title(root.room)
        self.title.configure(text="Thread")
        self.where.configure(text=f"in #{title}")
        self.also_button.configure(text=f"Also send to #{title}")
        self.also_button.grid()
        self.composer.frame.grid()
        self.composer.set_placeholder("Reply in the thread")
        self.view.show(self.rs)

    def show_around(self, room: str, messages: list[Message], seq: int) -> None:
        """A page of the room's history around message `seq` (too far back to load
        into the room's timeline), that message highlighted for a moment."""
        self._draw(room, messages)
        self.root_seq = None
        self.view.around = True
        self.title.configure(text="Around a message")
        self.where.configure(text=f"in #{self.state.room_title(room)}, further back")
        self.also_button.grid_remove()
        self.composer.frame.grid_remove()
        self.view.show(self.rs, around=seq)
        self.flash(seq)

    def _draw(self, room_id: str, messages: list[Message]) -> None:
        rooms = self.state.rooms
        room = rooms[room_id].room if room_id in rooms else _placeholder_room(room_id)
        rs = RoomState(room=room, more_before=False, loaded=True)
        for msg in messages:
            rs.messages[msg.seq] = msg
        rs.seqs = sorted(rs.messages)
        self.rs, self.room = rs, room_id
        self.view.state = _ThreadState(self.state, rs)  # type: ignore[assignment]
        self.view.around = self.view.more = False

    def flash(self, seq: int) -> None:
        """Bring message `seq` into view, highlighted for a moment."""
        lines = self.view.lines_of(seq)
        if lines is not None:
            text = self.view.text
            text.yview(f"{max(1, lines[0] - 2)}.0")
            text.tag_add("jumped", f"{lines[0]}.0", f"{lines[1]}.0")
            text.after(1600, lambda: text.tag_remove("jumped", "1.0", "end"))

    def put(self, msg: Message) -> bool:
        """Add or replace one of the thread's messages; False when it is not one."""
        rs = self.rs
        if rs is None or msg.room != self.room or self.root_seq is None:
            return False
        if msg.seq != self.root_seq and getattr(msg, "thread", None) != self.root_seq:
            return False
        new = msg.seq not in rs.messages
        rs.messages[msg.seq] = msg
        if new:
            rs.seqs = sorted(rs.messages)
        if new and msg.seq == rs.seqs[-1] and self.view.at_bottom:
            self.view.update(rs, TimelineChange(appended=[msg.seq]))
        else:
            self.view.show(rs, keep_view=not self.view.at_bottom)
        return True

    def quoted(self, room: str, seq: int) -> None:
        """A click on a quote in the thread: its original, highlighted, when it is here."""
        rs = self.rs
        msg = rs.messages.get(seq) if rs is not None else None
        ref = msg.reply_to if msg is not None else None
        if isinstance(ref, ReplyRef) and rs is not None and ref.seq in rs.messages:
            self.flash(ref.seq)

    @property
    def replies(self) -> list[Message]:
        rs = self.rs
        return [rs.messages[s] for s in rs.seqs if s != self.root_seq] if rs else []

    def _send(self, body: str, reply: int | None) -> None:
        self.on_send(body, reply, self.also.get())

    def apply_theme(self, pal: Palette) -> None:
        self.view.apply_theme(pal)
        conversation_tk.apply_theme(self.view.text, pal)
        self.composer.apply_theme(pal)


def _placeholder_room(room_id: str = "") -> Room:
    """A room for the view before it shows one (or for a room the user has left)."""
    return Room(id=room_id, name=room_id, kind="public")


def _nothing() -> None:
    """The toggle's command: its variable is read when a reply is sent."""
