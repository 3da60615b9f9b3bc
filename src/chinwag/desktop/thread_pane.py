"""The thread pane: a thread's root and its replies beside the room, with a message box of
its own and "Also send to #room".

It draws with the timeline's own view (`TimelineView`) over a `RoomState` of its own
that holds the thread's messages only: the same formatting, quotes, chips and scrolling
as the room. What goes in it comes from the app (`show`, `put`, `add_older`), which
fetches the thread and passes on the thread's new and changed messages as they arrive.

A long thread comes in pages, like a room's history: the newest replies first, then,
each time the user scrolls to the top, the page before the oldest reply held
(`older_than`). Pages are merged into what the pane holds, by seq, never put in its
place: the root stays held, and what is held is always the root and every reply from
`older_than` on, with no gap, so that each page drawn is the one just above.
"""

from __future__ import annotations

import bisect
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from msgspec import UNSET, structs

from chinwag.client.model import RoomState, TimelineChange
from chinwag.client.state import ChatState
from chinwag.desktop import boot, conversation_tk, window
from chinwag.desktop.composer import Composer
from chinwag.desktop.rows import Run
from chinwag.desktop.theme import Palette
from chinwag.desktop.thread_kept import ThreadsKept
from chinwag.desktop.timeline import TimelineView
from chinwag.protocol.events import MessageDeleted, MessageEdited, MessageUpdated
from chinwag.protocol.types import Message, ReplyRef, Room

#: (body, the seq it replies to or None, also to the room, its client_msg_id)
Send = Callable[[str, int | None, bool, str], None]
#: How many replies a page of a thread holds (the most the server gives at once).
PAGE = 200
#: The most pages of older replies fetched to reach a quoted one.
SEEK_PAGES = 20


class _ThreadState:
    """The chat's state as the thread's view sees it: everything as in the chat, but
    the one room it knows is the thread's."""

    def __init__(self, state: ChatState, rs: RoomState) -> None:
        self._state = state
        self.rooms = {rs.id: rs}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)


class ThreadView(TimelineView):
    """A timeline whose first line names the thread instead of the room's beginning, and
    whose root stays first: replies fetched from further back go between the root and
    the oldest reply drawn (`reveal_older`)."""

    #: Older replies remain on the server (fetched as the user scrolls up).
    more = False
    #: A page of older replies is on its way.
    loading = False
    #: The seq of the thread's root.
    root: int | None = None

    def shown(self, msg: Message) -> bool:
        return True  # a thread's replies are what it shows

    def _header(self, rs: RoomState, first: int | None) -> list[Run]:
        title = self.state.room_title(rs.id)
        if self.loading:
            return [(f"Thread in #{title} · loading older replies…\n", ("header",))]
        if self.more:
            return [(f"Thread in #{title} · scroll up for older replies\n", ("header",))]
        return [(f"Thread in #{title}\n", ("header",))]

    def reveal_older(self, rs: RoomState) -> bool:
        """With the root drawn first: draw the chunk of held replies just older than the
        first reply drawn, between the two, that reply staying where it is on screen.
        False when none is held (ask the server, `on_load_older`)."""
        starts = self._starts
        if rs.id != self.room_id or len(starts) < 2 or starts[0][1] != self.root:
            return super().reveal_older(rs)
        after = starts[1][1]  # the oldest reply drawn
        i = bisect.bisect_left(rs.seqs, after)
        if i <= 1:  # nothing held between the root and it
            self._redraw_header(rs)
            return False
        # The message the view keeps in place: that reply, or a newer one at the top.
        top = self.top_seq()
        anchor = after if top in (None, starts[0][1]) else top
        y = self._y_of(anchor)
        chunk = rs.seqs[max(1, i - window.CHUNK) : i]
        end_of_after = starts[2][0] if len(starts) > 2 else self._confirmed_line()
        last = self._last
        self._starts, self._last = [], None
        # The root and that reply are drawn again: the day lines and the grouping of
        # names depend on what comes before each.
        args = self._runs(rs, [starts[0][1], *chunk, after], 2, header=True)
        shift = self._next_line - end_of_after
        self._starts += [(line + shift, seq) for line, seq in starts[2:]]
        if len(starts) > 2:
            self._last = last
        t = self.text
        t.configure(state="normal")
        t.delete("1.0", f"{end_of_after}.0")
        t.insert("1.0", *args)
        self._place_thumbs()
        if len(self._starts) > window.WINDOW:
            self._drop_newest(rs, len(self._starts) - window.WINDOW)
        t.configure(state="disabled")
        if self.line_of(anchor) is None:  # among the newest dropped
            t.yview("1.0")
            return True
        self.scroll_to_seq(anchor)
        if y:
            t.yview_scroll(-y, "pixels")
        for hook in self.on_drawn:
            hook()
        return True

    def _y_of(self, seq: int) -> int:
        """How far below the top of the view message `seq` starts, in pixels (negative:
        above it, partly in view; 0 when it is not in view)."""
        line = self.line_of(seq)
        info = self.text.dlineinfo(f"{line}.0") if line is not None else None
        return info[1] - int(self.text.cget("pady")) if info else 0


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
        on_older: Callable[[], Any] = lambda: None,
        kept: ThreadsKept | None = None,
    ) -> None:
        self.state = state
        self.on_send = on_send
        self.on_older = on_older
        #: Each thread's draft and replies not stored yet. Owned by the window, so that
        #: they outlive the pane (closed and opened again).
        self.kept = kept if kept is not None else ThreadsKept()
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
        #: The server holds replies older than this seq that the pane does not (None:
        #: it holds them all, or has not fetched the thread yet).
        self.older_than: int | None = None
        #: What is held was fetched (pages), not only what the room held.
        self.paged = False
        #: A quoted reply older than those held, paged back to: its seq, pages left.
        self.seeking: tuple[int, int] | None = None
        self.view = ThreadView(
            self.frame,
            _ThreadState(state, RoomState(room=_placeholder_room())),  # type: ignore[arg-type]
            on_load_older=lambda _room: self._at_top(),
            on_scrolled=lambda _at_bottom: None,
            on_action=lambda kind, cmid: self._pending_action(kind, cmid),
            on_url=on_url,
            on_menu=on_menu,
        )
        self.view.layout.in_thread = True
        self.view.layout.pending_reply = self.kept.quote
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
    def show(
        self, root: Message, replies: list[Message], *, more: bool = False, fetched: bool = True
    ) -> None:
        """The thread rooted at `root` with `replies`, oldest first: the newest page of
        it fetched (`more`: older replies remain), or, not `fetched`, those the room
        holds of it (while the page is on its way), merged into what the pane holds of
        the same thread."""
        same = self.rs is not None and self.room == root.room and self.root_seq == root.seq
        if not same:
            self.seeking = None
            self.keep_draft()
            draft, also = self.kept.drafts.pop((root.room, root.seq), (None, False))
            self.composer.set_draft(draft)
            self.also.set(also)
        held = self.replies if same else []
        if same and self.paged and not fetched:
            return  # the pane's own pages are better than what the room holds
        floor = replies[0].seq if more and replies else 0
        older_than = floor if more and replies else None
        if same and self.paged and held and floor <= held[-1].seq:
            floor, older_than = 0, self.older_than  # the page reaches what is held: all kept
        # Else held replies older than the page are left out, to come back with their
        # own page: what is held has no gap.
        merged = _merge([m for m in held if m.seq >= floor], [root, *replies])
        self._draw(root.room, merged)
        self.root_seq = self.view.root = root.seq
        self.paged = fetched
        self.older_than = older_than
        self.view.more = self.older_than is not None
        title = self.state.room_title(root.room)
        self.title.configure(text="Thread")
        self.where.configure(text=f"in #{title}")
        self.also_button.configure(text=f"Also send to #{title}")
        self.also_button.grid()
        self.composer.frame.grid()
        self.composer.set_placeholder("Reply in the thread")
        self._pending_here()
        self.view.show(self.rs)

    def _at_top(self) -> None:
        """Scrolled to the top with nothing more held: the page before, if any."""
        if self.older_than is not None and not self.view.loading and self.root_seq is not None:
            self.set_loading(True)
            self.on_older()

    def set_loading(self, loading: bool) -> None:
        self.view.loading = loading
        if self.rs is not None and self.view.room_id == self.rs.id:
            self.view._redraw_header(self.rs)

    def add_older(self, root: Message, replies: list[Message], *, more: bool, before: int) -> bool:
        """A page of replies just older than those held, fetched with `before` (the
        `older_than` of then), merged in and drawn above them; False when it no longer
        fits (another thread was opened, or this one shown anew, meanwhile)."""
        rs = self.rs
        if rs is None or self.root_seq != root.seq or self.room != root.room:
            return False
        if self.older_than != before:
            return False
        self.view.loading = False
        page = [m for m in replies if m.seq < before]
        for msg in _merge(list(rs.messages.values()), [root, *page]):
            rs.messages[msg.seq] = msg
        rs.seqs = sorted(rs.messages)
        self.older_than = page[0].seq if more and page else None
        self.view.more = self.older_than is not None
        if not self.view.reveal_older(rs):
            self.view._redraw_header(rs)
        if self.seeking is not None:
            target, left = self.seeking
            self.seeking = None
            if target in rs.messages:
                self.reveal(target)
            elif self.older_than is not None and left > 1:
                self.seeking = (target, left - 1)
                self._at_top()
        return True

    def _draw(self, room_id: str, messages: list[Message]) -> None:
        rooms = self.state.rooms
        room = rooms[room_id].room if room_id in rooms else _placeholder_room(room_id)
        rs = RoomState(room=room, more_before=False, loaded=True)
        for msg in messages:
            rs.messages[msg.seq] = msg
        rs.seqs = sorted(rs.messages)
        self.rs, self.room = rs, room_id
        self.view.state = _ThreadState(self.state, rs)  # type: ignore[assignment]
        self.view.more = self.view.loading = False

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
        if new and self.older_than is not None and msg.seq < self.older_than:
            return False  # comes with its page, so that what is held has no gap
        rs.messages[msg.seq] = msg
        if new:
            rs.seqs = sorted(rs.messages)
        if new and msg.seq == rs.seqs[-1] and self.view.at_bottom:
            self.view.update(rs, TimelineChange(appended=[msg.seq]))
        else:
            self.view.show(rs, keep_view=not self.view.at_bottom)
        return True

    def change(self, event: MessageEdited | MessageUpdated | MessageDeleted) -> None:
        """An edit, a deletion or another change (reactions, a pin) of a message held
        here: its copy follows, as the room's does (client/changes.py)."""
        rs = self.rs
        seq = event.seq if isinstance(event, MessageDeleted) else event.message.seq
        held = rs.messages.get(seq) if rs is not None else None
        if held is None:
            return
        if isinstance(event, MessageDeleted):
            if not held.deleted:  # its reactions go with its text, as on the server
                self.put(structs.replace(held, deleted=True, body="", reactions=UNSET))
        elif _changed(event.message) >= _changed(held) and not held.deleted:
            self.put(event.message)

    def quoted(self, room: str, seq: int) -> None:
        """A click on a quote in the thread: its original, highlighted; a reply older
        than those held is paged back to first (SEEK_PAGES pages at most)."""
        rs = self.rs
        msg = rs.messages.get(seq) if rs is not None else None
        ref = msg.reply_to if msg is not None else None
        if not isinstance(ref, ReplyRef) or rs is None:
            return
        if ref.seq in rs.messages:
            self.reveal(ref.seq)
        elif self.older_than is not None and ref.seq < self.older_than:
            self.seeking = (ref.seq, SEEK_PAGES)
            self._at_top()

    def reveal(self, seq: int) -> None:
        """Draw the held replies back to message `seq` (a chunk at a time, as scrolling
        up does), then bring it into view, highlighted."""
        rs = self.rs
        for _ in range(200):
            if rs is None or self.view.lines_of(seq) is not None:
                break
            if not self.view.reveal_older(rs):
                break
        self.flash(seq)

    @property
    def replies(self) -> list[Message]:
        rs = self.rs
        return [rs.messages[s] for s in rs.seqs if s != self.root_seq] if rs else []

    def keep_draft(self) -> None:
        """Keep what the box holds for the thread shown, for when it is shown again."""
        if self.room is None or self.root_seq is None:
            return
        draft = self.composer.draft()
        if draft is None:
            self.kept.drafts.pop((self.room, self.root_seq), None)
        else:
            self.kept.drafts[(self.room, self.root_seq)] = (draft, self.also.get())

    # -- replies not stored yet ----------------------------------------------------------------
    def _send(self, body: str, reply: int | None) -> None:
        if self.room is None or self.root_seq is None:
            return
        waiting = self.kept.add((self.room, self.root_seq), body, reply, self.also.get())
        self.refresh_pending()
        self.view.scroll_to_bottom()
        self.on_send(body, reply, waiting.in_room, waiting.item.client_msg_id)

    def _pending_here(self) -> None:
        if self.rs is not None and self.room is not None and self.root_seq is not None:
            self.rs.pending = self.kept.of((self.room, self.root_seq))

    def refresh_pending(self) -> None:
        """Redraw the thread's replies not stored yet (one came, went or failed)."""
        self._pending_here()
        if self.rs is not None:
            self.view.update(self.rs, TimelineChange(pending=True))

    def _pending_action(self, kind: str, cmid: str) -> None:
        """Retry or Discard, clicked on a reply the server refused."""
        if kind == "retry":
            waiting = self.kept.retry(cmid)
            if waiting is not None:
                self.refresh_pending()
                item = waiting.item
                self.on_send(item.body, waiting.reply_to, waiting.in_room, cmid)
        elif kind == "discard":
            self.kept.discard(cmid)
            self.refresh_pending()

    def apply_theme(self, pal: Palette) -> None:
        self.view.apply_theme(pal)
        conversation_tk.apply_theme(self.view.text, pal)
        self.composer.apply_theme(pal)


def _merge(held: list[Message], fetched: list[Message]) -> list[Message]:
    """`held` and `fetched` by seq, oldest first: of two copies of a message, the one
    changed last (the higher `changed`; the fetched one when they are equal)."""
    out = {m.seq: m for m in held}
    for msg in fetched:
        mine = out.get(msg.seq)
        if mine is None or _changed(mine) <= _changed(msg):
            out[msg.seq] = msg
    return [out[seq] for seq in sorted(out)]


def _changed(msg: Message) -> int:
    return msg.changed if isinstance(msg.changed, int) else 0


def _placeholder_room(room_id: str = "") -> Room:
    """A room for the view before it shows one (or for a room the user has left)."""
    return Room(id=room_id, name=room_id, kind="public")


def _nothing() -> None:
    """The toggle's command: its variable is read when a reply is sent."""
