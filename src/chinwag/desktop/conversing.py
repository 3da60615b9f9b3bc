"""Conversations in the main window (a part of `DesktopApp`, through `UserActions`):
replying, jumping to the message a reply quotes, reactions, pins and threads.

Every change goes to the server through `Network.call`; what it answers (the message as
it now is) is applied to the state at once, and the `message_updated` event that
follows for everyone changes nothing more.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Awaitable, Callable
from typing import Any

from chinwag.client import Client
from chinwag.client.model import Update
from chinwag.desktop import thread_pane
from chinwag.desktop.conversation import excerpt_text, shown_in_room
from chinwag.desktop.editing import MessageActions
from chinwag.desktop.emoji_picker import EmojiPicker
from chinwag.desktop.far import PAGE, FarActions
from chinwag.desktop.main_window import popup
from chinwag.desktop.pins import PinsDialog
from chinwag.desktop.thread_pane import ThreadPane
from chinwag.desktop.threads_list import ThreadsDialog
from chinwag.protocol.events import MessageDeleted, MessageEdited, MessageUpdated
from chinwag.protocol.types import Message, PinRef, ReplyRef

#: How long a message jumped to stays highlighted.
FLASH_MS = 1600


class ConversationActions(FarActions, MessageActions):
    #: How many pages of older history a jump fetches to reach a message before
    #: showing it in a far-back run instead (far.py).
    jump_pages = 5
    show_notice: Callable[[str], None]
    #: The rooms whose threads were asked for in this session.
    threads_asked: set[str]
    select_room: Callable[[str], None]

    def build_message_menu(self, room: str, seq: int) -> tk.Menu:
        """Reply, Reply in thread, Add a reaction…, Pin or Unpin (for those who may),
        then the message's own actions (copy, edit, delete)."""
        menu = super().build_message_menu(room, seq)
        msg = self._message(room, seq)
        if msg is None:
            return menu
        items: list[tuple[str, Callable[[], Any]]] = [
            ("Reply", lambda: self.reply_to(room, seq)),
            ("Reply in thread", lambda: self.open_thread(room, seq)),
            ("Add a reaction…", lambda: self.reaction_picker(room, seq)),
        ]
        if self.may_pin(room):
            pinned = isinstance(msg.pinned, PinRef)
            label = "Unpin" if pinned else "Pin to the room"
            items.append((label, lambda: self.pin(room, seq, pinned=not pinned)))
        menu.insert_separator(0)
        for i, (label, command) in enumerate(items):
            menu.insert_command(i, label=label, command=command)
        return menu

    # -- replying --------------------------------------------------------------------------
    def reply_to(self, room: str, seq: int) -> bool:
        """The next message sent replies to message `seq` of the room on screen (or, a
        message of the thread open, in the thread's own box)."""
        msg = self.held_message(room, seq)
        if msg is None or msg.kind != "text" or msg.deleted or self.main is None:
            return False
        ref = ReplyRef(seq=seq, sender=msg.sender, excerpt=msg.body[:200])
        name = self.state.display_name(msg.sender)
        sentence = f"Replying to {name}: {excerpt_text(ref)}"
        pane = self.main.thread
        root = pane.root_seq if pane is not None and pane.room == room else None
        if pane is not None and root is not None and root in (seq, msg.thread):
            pane.composer.set_reply(seq, sentence)  # a quote inside the thread
            return True
        if room != self.state.current:
            self.select_room(room)
        self.main.composer.set_reply(seq, sentence)
        return True

    def reply_to_last(self) -> bool:
        """Alt+R in the message box: reply to the newest message of someone else."""
        rs = self.state.rooms.get(self.state.current or "")
        if rs is None:
            return False
        for seq in reversed(rs.seqs):
            msg = rs.messages[seq]
            mine = self.state.is_me(msg.sender)
            if msg.kind == "text" and not msg.deleted and not mine and shown_in_room(msg):
                if self.main is not None:
                    self.main.timeline.reveal(seq)
                return self.reply_to(rs.id, seq)
        return False

    # -- going to a message ----------------------------------------------------------------
    def jump_to(self, room: str, seq: int) -> None:
        """Show message `seq` of `room` in the main timeline and highlight it for a
        moment. Not held yet: the history before what is held is fetched up to it when
        it is near (at most `jump_pages` pages); further back, the history around it is
        shown as a far-back run (far.py), so that the room's own history keeps no gap."""
        if room != self.state.current:
            self.select_room(room)
        rs = self.state.rooms.get(room)
        if rs is None or self.main is None:
            return
        far = self.far
        if seq in rs.messages or (far is not None and seq in far.rs.messages):
            self._flash(room, seq)
            return
        oldest = rs.oldest_seq
        if oldest is not None and seq < oldest and oldest - seq <= self.jump_pages * PAGE:
            self._page_back_to(room, seq)
            return
        self.open_far(room, seq)

    def _page_back_to(self, room: str, seq: int) -> None:
        def paged(reply: Any, error: str | None) -> None:
            rs = self.state.rooms.get(room)
            if error is not None or rs is None:
                self.show_notice(f"That message could not be loaded: {error}")
            elif seq in rs.messages:
                self._flash(room, seq)
            elif reply is not None and reply.more and reply.messages:
                self._page_back_to(room, seq)
            else:
                self.show_notice("That message is no longer there.")

        rs = self.state.rooms[room]
        oldest = rs.oldest_seq
        self._do(lambda client: client.history(room, before=oldest, limit=PAGE), paged)

    def quoted(self, room: str, seq: int) -> None:
        """A click on a reply's quote: go to the original."""
        msg = self.held_message(room, seq)
        if msg is not None and isinstance(msg.reply_to, ReplyRef):
            self.jump_to(room, msg.reply_to.seq)

    def _flash(self, room: str, seq: int) -> None:
        main = self.main
        if main is None or self.state.current != room:
            return
        timeline = main.timeline
        if timeline.line_of(seq) is None:
            far = timeline.away
            # The far-back run shown, if it holds the message; else the room's newest.
            run = far.rs if far is not None and seq in far.rs.messages else self.state.rooms[room]
            timeline.show(run, keep_view=False, around=seq)
        lines = timeline.lines_of(seq)
        if lines is None:
            return
        timeline.text.yview(f"{max(1, lines[0] - 3)}.0")
        timeline.text.tag_add("jumped", f"{lines[0]}.0", f"{lines[1]}.0")
        timeline.text.after(FLASH_MS, lambda: timeline.text.tag_remove("jumped", "1.0", "end"))

    def _message(self, room: str, seq: int) -> Message | None:
        msg = self.held_message(room, seq)  # the far-back run's too: they have menus
        return msg if msg is not None and msg.kind == "text" and not msg.deleted else None

    # -- reactions -------------------------------------------------------------------------
    def toggle_reaction(self, room: str, seq: int, emoji: str) -> None:
        """A click on a chip: add the user's reaction, or take it back."""
        msg = self.held_message(room, seq)
        me = self.state.me.username if self.state.me else None
        if me is not None:
            self._change(lambda client: client.toggle_reaction(room, seq, emoji, msg, me))

    def react(self, room: str, seq: int, emoji: str, *, add: bool = True) -> None:
        self._change(lambda client: client.react(room, seq, emoji, add=add))

    def reaction_picker(self, room: str, seq: int, *_where: int) -> EmojiPicker | None:
        """The picker, for a reaction to message `seq`."""
        if self.main is None:
            return None
        main = self.main
        if main.picker is not None:
            main.picker.close()
        main.picker = EmojiPicker(
            main.frame,
            self.palette,
            lambda emoji: self.toggle_reaction(room, seq, emoji),  # one's own: taken back
            family=main.timeline.emoji_family,
            size=18,
            title="Add a reaction",
            near=main.composer.emoji_button,
        )
        return main.picker

    # -- pins ------------------------------------------------------------------------------
    def may_pin(self, room: str) -> bool:
        rs, me = self.state.rooms.get(room), self.state.me
        if rs is None or me is None:
            return False
        if rs.room.kind == "dm" or me.admin:
            return True
        return rs.room.owner is not None and self.state.is_me(rs.room.owner)

    def pin(self, room: str, seq: int, *, pinned: bool = True) -> None:
        if pinned:
            self._change(lambda client: client.pin(room, seq))
        else:
            self._change(lambda client: client.unpin(room, seq))

    def pins_dialog(self, room: str) -> PinsDialog:
        """The room's pinned messages: go to one, or unpin it."""

        def fetch(done: Callable[[Any, str | None], None]) -> None:
            self._do(lambda client: client.pins(room), done)  # the messages, newest pin first

        def unpin(seq: int, done: Callable[[str | None], None]) -> None:
            self._change(lambda client: client.unpin(room, seq), done)

        dialog = PinsDialog(
            self.root,
            self.palette,
            self.state,
            room,
            fetch,
            unpin if self.may_pin(room) else None,
            lambda seq: self.jump_to(room, seq),
        )
        self.dialogs.append(dialog)
        return dialog

    def _change(
        self,
        make: Callable[[Client], Awaitable[Message]],
        done: Callable[[str | None], None] | None = None,
    ) -> None:
        """Ask for a change of a message; the message as it now is replaces ours."""

        def changed(msg: Message | None, error: str | None) -> None:
            if msg is not None:
                self._render(self.apply_event(MessageUpdated(message=msg)))
            if done is not None:
                done(error)
            elif error is not None:
                self.show_notice(error)

        self._do(make, changed)

    # -- threads ---------------------------------------------------------------------------
    def open_thread(self, room: str, seq: int, known: Message | None = None) -> ThreadPane | None:
        """The thread of message `seq` (the one it starts, or the one it is in) beside
        the room: what is held of it at once, then its newest page of replies, fetched
        (the older ones as the user scrolls up: `thread_older`). `known`: that message,
        when the room's timeline may not hold it (a thread of the list, far back)."""
        rs = self.state.rooms.get(room)
        msg = self.held_message(room, seq)  # a far-back one's too
        msg = msg or (known if known is not None and known.seq == seq else None)
        if msg is None or self.main is None:
            return None
        root = msg.thread if isinstance(msg.thread, int) else seq
        pane = self.main.open_thread_pane()
        held = rs.thread(root) if rs else []
        root_msg = self.held_message(room, root)
        root_msg = root_msg or (msg if msg.seq == root else None)
        if root_msg is not None:
            pane.show(root_msg, held, fetched=False)
        self.main.render_mute()  # the thread's box says so while muted in its room

        def fetched(reply: Any, error: str | None) -> None:
            if self.main is None or self.main.thread is not pane:
                return  # closed meanwhile
            if error is not None or reply is None:
                self.show_notice(error or "The thread could not be loaded.")
                return
            pane.show(reply.root, reply.messages, more=reply.more)
            self.main.render_mute()
            self.thread_seen()

        self._do(lambda client: client.thread(room, root, limit=thread_pane.PAGE), fetched)
        pane.composer.text.focus_set()
        return pane

    def thread_older(self) -> None:
        """The thread pane scrolled to its top: the page of replies before those held."""
        pane = self.main.thread if self.main is not None else None
        if pane is None or pane.room is None or pane.root_seq is None:
            return
        room, root, before = pane.room, pane.root_seq, pane.older_than
        if before is None:
            pane.set_loading(False)
            return

        def fetched(reply: Any, error: str | None) -> None:
            if self.main is None or self.main.thread is not pane:
                return  # closed meanwhile
            if error is not None or reply is None:
                pane.set_loading(False)
                self.show_notice(error or "Older replies could not be loaded.")
                return
            pane.add_older(reply.root, reply.messages, more=reply.more, before=before)

        page = thread_pane.PAGE
        self._do(lambda client: client.thread(room, root, before=before, limit=page), fetched)

    def threads_dialog(self, room: str) -> ThreadsDialog:
        """The room's threads: open one in the thread pane."""

        def fetch(done: Callable[[Any, str | None], None]) -> None:
            self._do(lambda client: client.threads(room, limit=200), done)

        def go(root: Message) -> None:
            if room != self.state.current:
                self.select_room(room)
            self.open_thread(room, root.seq, root)

        dialog = ThreadsDialog(self.root, self.palette, self.state, room, fetch, go)
        self.dialogs.append(dialog)
        return dialog

    def send_in_thread(self, body: str, reply_to: int | None, in_room: bool, cmid: str) -> None:
        """A reply typed in the thread pane (waiting there as `cmid` until stored): to the
        thread, and the room if asked. It goes through the client's outbox: after a
        reconnect, sent again with the same id, stored once."""
        pane = self.main.thread if self.main is not None else None
        if pane is None or pane.room is None or pane.root_seq is None:
            return
        room, root = pane.room, pane.root_seq

        def sent(msg: Message | None, error: str | None) -> None:
            if self.main is None:
                return
            kept, shown = self.main.threads_kept, self.main.thread
            if msg is not None:
                kept.settle(cmid)
            else:
                kept.fail(cmid, error or "not sent")
                self.show_notice(f"Not sent to the thread: {error}")
            if shown is not None:
                shown.refresh_pending()
                if msg is not None:
                    shown.put(msg)

        self._do(
            lambda client: client.send(
                room, body, cmid, reply_to=reply_to, thread=root, in_room=in_room
            ),
            sent,
        )

    def sync_thread(self, update: Update) -> None:
        """Pass the open thread's new and changed messages on to its pane."""
        pane = self.main.thread if self.main is not None else None
        if pane is None or pane.room is None or pane.room not in update.timelines:
            return
        rs = self.state.rooms.get(pane.room)
        if rs is None:
            return
        change = update.timelines[pane.room]
        seqs = rs.seqs if change.reset else change.appended + change.prepended
        fresh = False
        for seq in seqs:
            msg = rs.messages.get(seq)
            held = pane.rs.messages.get(seq) if pane.rs is not None else None
            if msg is not None and msg != held and pane.put(msg):
                fresh = fresh or held is None
        if fresh and self.state.focused:
            self.thread_seen()

    def thread_event(self, event: Any) -> None:
        """An edit, deletion or other change of a message the thread pane holds but the
        room's timeline does not (a reply of an older page): the pane's copy follows.
        (Those the room holds reach the pane through `sync_thread`.)"""
        pane = self.main.thread if self.main is not None else None
        if not isinstance(event, MessageEdited | MessageUpdated | MessageDeleted):
            return
        room = event.room if isinstance(event, MessageDeleted) else event.message.room
        seq = event.seq if isinstance(event, MessageDeleted) else event.message.seq
        rs = self.state.rooms.get(room)
        if pane is None or pane.room != room or (rs is not None and seq in rs.messages):
            return
        pane.change(event)

    def ensure_threads(self, room: str) -> None:
        """Once a session, when a room is first shown: its threads and the user's read
        marker in each (for the unread counts under their roots)."""
        rs = self.state.rooms.get(room)
        if room in self.threads_asked or rs is None or not rs.loaded:
            return
        self.threads_asked.add(room)
        self._do(lambda client: client.threads(room), lambda _r, _e: None)

    def thread_seen(self) -> None:
        """The open thread is read up to its newest reply (on every device)."""
        pane = self.main.thread if self.main is not None else None
        if pane is None or pane.room is None or pane.root_seq is None or not pane.replies:
            return
        room, root, last = pane.room, pane.root_seq, pane.replies[-1].seq
        self._do(lambda client: client.mark_read(room, last, thread=root), lambda _r, _e: None)

    # -- the keyboard ----------------------------------------------------------------------
    def last_message_menu(self) -> tk.Menu | None:
        """Shift+F10 (or the Menu key) in the message box: the menu of the newest message,
        over the box."""
        rs = self.state.rooms.get(self.state.current or "")
        main = self.main
        if rs is None or main is None or not rs.seqs:
            return None
        seq = next((q for q in reversed(rs.seqs) if shown_in_room(rs.messages[q])), rs.seqs[-1])
        menu = self.build_message_menu(rs.id, seq)
        if menu.index("end") is None:
            return None
        box = main.composer.text
        main.timeline.pick(seq)
        menu.bind("<Unmap>", lambda _e: main.timeline.pick(None))
        self.menu_shown = menu
        popup(menu, box.winfo_rootx() + 20, box.winfo_rooty() - 10)
        return menu
