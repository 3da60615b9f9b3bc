"""The main window: rooms on the left, the timeline and the input in the middle, people
on the right, the connection status at the bottom. It draws what `ChatState` holds and
hands the user's actions to the app (`Actions`)."""

from __future__ import annotations

import math
import time
import tkinter as tk
from tkinter import ttk
from typing import Protocol

from chinwag.client.events import Status
from chinwag.client.model import Update
from chinwag.client.state import ChatState
from chinwag.desktop import boot, conversation_tk
from chinwag.desktop.composer import Composer
from chinwag.desktop.emoji_picker import EmojiPicker
from chinwag.desktop.search import search_icon
from chinwag.desktop.sidebar import MemberList, RoomList
from chinwag.desktop.theme import Palette
from chinwag.desktop.thread_kept import ThreadsKept
from chinwag.desktop.thread_pane import ThreadPane
from chinwag.desktop.timeline import TimelineView
from chinwag.protocol.types import Attachment, Message, ThreadSummary

SIDE_WIDTH = 236
MEMBERS_WIDTH = 224
THREAD_WIDTH = 380


class Actions(Protocol):
    def select_room(self, room_id: str) -> None: ...
    def send(self, body: str, reply_to: int | None = None) -> None: ...
    def typing(self) -> None: ...
    def load_older(self, room_id: str) -> None: ...
    def far_page(self, direction: str) -> None: ...
    def scrolled(self, at_bottom: bool) -> None: ...
    def pending_action(self, kind: str, client_msg_id: str) -> None: ...
    def message_menu(self, room: str, seq: int, x: int, y: int) -> None: ...
    def edit_last(self) -> bool: ...
    def open_url(self, url: str) -> None: ...
    def open_dm(self, username: str) -> None: ...
    def user_menu(self, username: str, x: int, y: int) -> None: ...
    def new_menu(self, x: int, y: int) -> None: ...
    def room_menu(self, x: int, y: int) -> None: ...
    def open_settings(self) -> object: ...
    def open_search(self) -> object: ...
    def reconnect_now(self) -> None: ...
    def attach_files(self) -> None: ...
    def paste_image(self) -> bool: ...
    def file_action(self, kind: str, att: Attachment) -> None: ...
    def quoted(self, room: str, seq: int) -> None: ...
    def toggle_reaction(self, room: str, seq: int, emoji: str) -> None: ...
    def reaction_picker(self, room: str, seq: int, *where: int) -> object: ...
    def open_thread(self, room: str, seq: int) -> object: ...
    def send_in_thread(self, body: str, reply_to: int | None, in_room: bool, cmid: str) -> None: ...
    def thread_older(self) -> None: ...
    def room_shown(self, room: str | None) -> None: ...
    def reply_to_last(self) -> bool: ...
    def last_message_menu(self) -> object: ...


class MainWindow:
    def __init__(self, root: tk.Misc, state: ChatState, actions: Actions, account: str) -> None:
        self.state = state
        self.actions = actions
        self.frame = ttk.Frame(root)
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(1, weight=1)
        self._retry_at: float | None = None
        self.threads_kept = ThreadsKept()  # each thread's draft and unsent replies

        left = self.left = ttk.Frame(self.frame, style="Side.TFrame", width=SIDE_WIDTH)
        left.grid(row=0, column=0, sticky="ns")
        left.grid_propagate(False)
        left.rowconfigure(1, weight=1)
        left.columnconfigure(0, weight=1)
        head = ttk.Frame(left, style="Side.TFrame", padding=(14, 12, 8, 8))
        head.grid(row=0, column=0, sticky="ew")
        head.columnconfigure(0, weight=1)
        self.me_label = ttk.Label(head, text="", style="SideTitle.TLabel")
        self.me_label.grid(row=0, column=0, sticky="w")
        # Wrapped rather than cut: a long server address stays readable.
        self.me_sub = ttk.Label(
            head, text=account, style="SideMuted.TLabel", wraplength=SIDE_WIDTH - 70
        )
        self.me_sub.grid(row=1, column=0, sticky="w")
        self.plus = boot.button(head, "+", self._plus, "secondary-outline", width=3)
        self.plus.grid(row=0, column=1, rowspan=2, sticky="e")
        self.rooms = RoomList(left, state, actions.select_room)
        self.rooms.frame.grid(row=1, column=0, sticky="nsew", padx=(6, 0))

        center = ttk.Frame(self.frame)
        center.grid(row=0, column=1, sticky="nsew")
        center.rowconfigure(3, weight=1)
        center.columnconfigure(0, weight=1)
        header = ttk.Frame(center, padding=(6, 10, 10, 8))
        header.grid(row=0, column=0, sticky="ew")
        header.columnconfigure(1, weight=1)
        # The side panels can be hidden, for a narrow window, and shown again.
        self.rooms_toggle = boot.button(header, "☰", self.toggle_rooms, "secondary-link", width=2)
        self.rooms_toggle.grid(row=0, column=0, rowspan=2, sticky="w", padx=(0, 6))
        self.title = ttk.Label(header, text="", font=("TkDefaultFont", 14, "bold"))
        self.title.grid(row=0, column=1, sticky="w")
        self.topic = ttk.Label(header, text="", style="Muted.TLabel")
        self.topic.grid(row=1, column=1, sticky="w")
        self.search_button = boot.button(header, "Search", actions.open_search, "secondary-link")
        self.search_button.configure(compound="left")
        self.search_button.grid(row=0, column=2, rowspan=2, sticky="e")
        self.people_toggle = boot.button(header, "People", self.toggle_people, "secondary-link")
        self.people_toggle.grid(row=0, column=3, rowspan=2, sticky="e")
        self.room_button = boot.button(header, "⋯", self._room_menu, "secondary-link", width=3)
        self.room_button.grid(row=0, column=4, rowspan=2, sticky="e")
        # Ctrl+F (and Cmd+F on macOS) from anywhere in the main window.
        self._keys = ["<Control-f>", "<Control-F>"]
        if root.tk.call("tk", "windowingsystem") == "aqua":
            self._keys += ["<Command-f>", "<Command-F>"]
        for key in self._keys:
            root.winfo_toplevel().bind(key, self._search_key)
        ttk.Separator(center).grid(row=1, column=0, sticky="ew")
        self.banner = ttk.Frame(center, style="Banner.TFrame", padding=(16, 6))
        self.banner.columnconfigure(0, weight=1)
        self.banner_text = ttk.Label(self.banner, text="", style="Banner.TLabel", wraplength=560)
        self.banner_text.grid(row=0, column=0, sticky="w")
        boot.button(self.banner, "✕", self.hide_notice, "secondary-link", width=2).grid(
            row=0, column=1, sticky="e"
        )
        self._banner_after: str | None = None
        self.timeline = TimelineView(
            center,
            state,
            on_load_older=actions.load_older,
            on_scrolled=actions.scrolled,
            on_action=actions.pending_action,
            on_url=actions.open_url,
            on_menu=actions.message_menu,
            on_file=actions.file_action,
            on_far=actions.far_page,
        )
        self.timeline.frame.grid(row=3, column=0, sticky="nsew")
        conversation_tk.configure(self.timeline.text, self.timeline.fonts)
        self.timeline.layout.held = self.held
        self.timeline.layout.thread_unread = self.thread_unread
        self.clicks = conversation_tk.Clicks(
            self.timeline,
            on_quote=actions.quoted,
            on_chip=actions.toggle_reaction,
            on_add=actions.reaction_picker,
            on_thread=actions.open_thread,
        )
        self.composer = Composer(
            center,
            on_send=actions.send,
            on_typing=actions.typing,
            on_up=actions.edit_last,
            on_page=lambda pages: self.timeline.text.yview_scroll(pages, "pages"),
            on_attach=actions.attach_files,
            on_paste=actions.paste_image,
            on_emoji=self.open_emoji_picker,
            people=self.people_here,
        )
        self.picker: EmojiPicker | None = None
        # Alt+R replies to the newest message; Shift+F10 (or Menu) opens its menu.
        box = self.composer.text
        box.bind("<Alt-r>", lambda _e: "break" if actions.reply_to_last() else None)
        for key in ("<Shift-F10>", "<Menu>"):
            box.bind(key, lambda _e: actions.last_message_menu() and "break")
        #: The thread open beside the room (in the people panel's place), if any.
        self.thread: ThreadPane | None = None
        self.composer.frame.grid(row=4, column=0, sticky="ew")

        right = self.right = ttk.Frame(self.frame, style="Side.TFrame", width=MEMBERS_WIDTH)
        right.grid(row=0, column=2, sticky="ns")
        right.grid_propagate(False)
        right.rowconfigure(0, weight=1)
        right.columnconfigure(0, weight=1)
        self.members = MemberList(right, state, on_open=actions.open_dm, on_menu=actions.user_menu)
        self.members.frame.grid(row=0, column=0, sticky="nsew", padx=(6, 0), pady=(10, 0))

        ttk.Separator(self.frame).grid(row=1, column=0, columnspan=3, sticky="ew")
        bar = ttk.Frame(self.frame, style="Status.TFrame", padding=(12, 3))
        bar.grid(row=2, column=0, columnspan=3, sticky="ew")
        # The status text takes what room is left and is the one to shrink: the buttons
        # beside it always stay in the window.
        bar.columnconfigure(1, weight=1)
        self.status_dot = ttk.Label(bar, text="●", style="Status.TLabel")
        self.status_dot.grid(row=0, column=0)
        self.status = ttk.Label(bar, text="", style="Status.TLabel", width=1)
        self.status.grid(row=0, column=1, sticky="ew", padx=(6, 0))
        self.reconnect = boot.button(bar, "Reconnect now", actions.reconnect_now, "link")
        self.settings_button = boot.button(
            bar, "⚙ Settings", actions.open_settings, "secondary-link"
        )
        self.settings_button.grid(row=0, column=3, sticky="e")
        self._queued = ""
        self.frame.after(1000, self._tick)

    # -- drawing ---------------------------------------------------------------------------
    def render_all(self) -> None:
        update = Update(rooms=True, users=True, current=True, status=True)
        self.render(update)

    def render(self, update: Update) -> None:
        state = self.state
        if update.users:
            self.timeline.set_user_colors()
            me = state.me
            self.me_label.configure(text=me.display_name if me else "")
        if update.rooms or update.current or update.users:
            self.rooms.refresh()
        current = state.rooms.get(state.current) if state.current else None
        if update.current:
            self.actions.room_shown(state.current)
            self.timeline.show(current)
            self._header()
            self.members.refresh()
            self.composer.show_typing(state.typing_names(state.current or ""))
        else:
            if current is not None and current.id in update.timelines:
                self.timeline.update(current, update.timelines[current.id])
            if (update.rooms or update.users) and current is not None:
                self._header()
            if update.members & {state.current} or update.users:
                self.members.refresh()
            if state.current in update.typing:
                self.composer.show_typing(state.typing_names(state.current or ""))
        if update.status or any(change.pending for change in update.timelines.values()):
            self.render_status()
        if update.muted or update.current or update.rooms:
            self.render_mute()

    def render_mute(self) -> None:
        """The message boxes say so while the user is muted in their room."""
        self.composer.set_muted(self.state.box_muted(self.state.current))
        if self.thread is not None:
            self.thread.composer.set_muted(self.state.box_muted(self.thread.room))

    def _header(self) -> None:
        state = self.state
        rs = state.rooms.get(state.current or "")
        if rs is None:
            self.title.configure(text="")
            self.topic.configure(text="")
            return
        title = state.room_title(rs.id)
        if rs.room.kind == "dm":
            presence = state.presence(state.dm_partner(rs.id) or "")
            online = "presence unknown" if presence == "unknown" else presence
            self.title.configure(text=f"@ {title}")
            self.topic.configure(text=f"Direct message · {online}")
            self.composer.set_placeholder(f"Message {title}")
        else:
            private = rs.room.kind == "private"
            self.title.configure(text=title if private else f"# {title}")
            count = rs.room.member_count
            people = f"{count} member{'s' if count != 1 else ''}"
            kind = "Private room" if private else ""
            self.topic.configure(text=" · ".join(x for x in (kind, rs.room.topic, people) if x))
            self.composer.set_placeholder(f"Message #{title}")

    def render_status(self) -> None:
        st = self.state.status
        pal = getattr(self, "palette", None)
        waiting = sum(
            1 for rs in self.state.rooms.values() for p in rs.pending.values() if not p.failed
        )
        self._queued = (
            f" · {waiting} message{'s' if waiting != 1 else ''} waiting to be sent"
            if waiting
            else ""
        )
        self._retry_at = None
        color = pal.muted if pal else None
        show_reconnect = False
        if st.status == Status.CONNECTED:
            text, color = "Connected", pal.success if pal else None
        elif st.status == Status.CONNECTING:
            text, color = "Connecting…", pal.warning if pal else None
        elif st.status == Status.RECONNECTING:
            self._retry_at = time.monotonic() + (st.retry_in or 0.0)
            text, color = self._countdown(), pal.warning if pal else None
            show_reconnect = True
        else:
            text, color = (
                f"Offline{': ' + st.reason if st.reason else ''}",
                pal.danger if pal else None,
            )
        self.status.configure(text=text + self._queued)
        if color:
            self.status_dot.configure(foreground=color)
        if show_reconnect:
            self.reconnect.grid(row=0, column=2, sticky="e", padx=(8, 0))
        else:
            self.reconnect.grid_remove()

    def _countdown(self) -> str:
        """One steady text for the wait before the next attempt (redrawn each second)."""
        st = self.state.status
        left = max(0, math.ceil((self._retry_at or 0) - time.monotonic()))
        if st.code == 1012 and st.attempt == 0:  # told by the server: a restart
            return "The server is restarting · back in a moment"
        if st.attempt >= 2:
            return f"Offline · retrying in {left} s" if left else "Offline · retrying now"
        return f"Reconnecting in {left} s…" if left else "Reconnecting…"

    def _tick(self) -> None:
        if not self.frame.winfo_exists():
            return
        st = self.state.status
        if st.status == Status.RECONNECTING and self._retry_at is not None:
            self.status.configure(text=self._countdown() + self._queued)
        if self.composer.muted is not None or self.state.mutes:
            self.render_mute()  # the time left, and the end of the mute
        if self.state.current:
            rs = self.state.rooms.get(self.state.current)
            if rs is not None and rs.typing:
                self.composer.show_typing(self.state.typing_names(rs.id))
            elif self.composer.typing.cget("text"):
                self.composer.show_typing([])
        self.frame.after(1000, self._tick)

    # -- the side panels ------------------------------------------------------------------
    @property
    def rooms_shown(self) -> bool:
        return bool(self.left.winfo_manager())

    @property
    def people_shown(self) -> bool:
        return bool(self.right.winfo_manager())

    def toggle_rooms(self) -> None:
        if self.rooms_shown:
            self.left.grid_remove()
        else:
            self.left.grid()

    def toggle_people(self) -> None:
        if self.people_shown:
            self.right.grid_remove()
        else:
            self.right.grid()

    # -- notices ---------------------------------------------------------------------------
    def show_notice(self, text: str, seconds: float = 20.0) -> None:
        """A line above the timeline (never a modal box: the chat goes on meanwhile)."""
        self.banner_text.configure(text=text)
        self.banner.grid(row=2, column=0, sticky="ew")
        if self._banner_after is not None:
            self.frame.after_cancel(self._banner_after)
        self._banner_after = self.frame.after(int(seconds * 1000), self.hide_notice)

    def hide_notice(self) -> None:
        self._banner_after = None
        self.banner.grid_remove()

    # -- menus -----------------------------------------------------------------------------
    def _plus(self) -> None:
        self.actions.new_menu(self.plus.winfo_rootx(), self.plus.winfo_rooty() + 30)

    def _room_menu(self) -> None:
        b = self.room_button
        self.actions.room_menu(b.winfo_rootx(), b.winfo_rooty() + b.winfo_height())

    def _search_key(self, _event: object) -> str:
        self.actions.open_search()
        return "break"

    def held(self, room: str, seq: int) -> Message | None:
        """Message `seq` of `room`, if held (a quote shows it as it now is): by the
        room's timeline, else by the thread pane (a reply of a page further back)."""
        rs, pane = self.state.rooms.get(room), self.thread
        msg = rs.messages.get(seq) if rs is not None else None
        if msg is None and pane is not None and pane.rs is not None and pane.room == room:
            msg = pane.rs.messages.get(seq)
        return msg

    def thread_unread(self, room: str, root: int) -> int:
        """How many replies of a thread the user has not read (others' replies after
        their marker in it); -1 when there are some but not all of them are held."""
        state = self.state
        rs = state.rooms.get(room)
        if rs is None:
            return 0
        floor = max(state.thread_read(room, root), root)
        count = 0
        for seq in reversed(rs.seqs):
            if seq <= floor:
                break
            msg = rs.messages[seq]
            if msg.thread == root and not msg.deleted and not state.is_me(msg.sender):
                count += 1
        root_msg = rs.messages.get(root)
        summary = root_msg.thread_summary if root_msg is not None else None
        if count or not isinstance(summary, ThreadSummary) or summary.last_seq in rs.messages:
            return count
        return -1 if state.thread_has_unread(room, root) else 0

    # -- the thread pane -------------------------------------------------------------------
    def open_thread_pane(self) -> ThreadPane:
        """The thread pane, in the people panel's place (which comes back on closing)."""
        if self.thread is None:
            holder = ttk.Frame(self.frame, width=THREAD_WIDTH)
            holder.grid_propagate(False)
            holder.rowconfigure(0, weight=1)
            holder.columnconfigure(0, weight=1)
            self.thread = ThreadPane(
                holder,
                self.state,
                on_send=self.actions.send_in_thread,
                on_close=self.close_thread_pane,
                on_url=self.actions.open_url,
                on_menu=self.actions.message_menu,
                people=self.people_here,
                on_older=self.actions.thread_older,
                kept=self.threads_kept,
            )
            self.thread.view.layout.held = self.held
            self.thread.view.thumbs.fetch = self.timeline.thumbs.fetch
            self.thread_clicks = conversation_tk.Clicks(
                self.thread.view,
                on_quote=self.thread.quoted,
                on_chip=self.actions.toggle_reaction,
                on_add=self.actions.reaction_picker,
                on_thread=lambda _room, _seq: None,  # the thread is open already
            )
            self.thread.frame.grid(row=0, column=0, sticky="nsew")
            self.thread.apply_theme(self.palette)
            self._thread_holder = holder
            self._people_before_thread = self.people_shown
        self.right.grid_remove()
        self._thread_holder.grid(row=0, column=2, sticky="ns")
        return self.thread

    def close_thread_pane(self) -> None:
        if self.thread is None:
            return
        self.thread.keep_draft()
        self._thread_holder.destroy()
        self.thread = None
        if self._people_before_thread:
            self.right.grid()
        self.composer.text.focus_set()

    # -- emoji and people for the message box --------------------------------------------
    def open_emoji_picker(self) -> EmojiPicker:
        """The picker, above the emoji button; what is picked goes in the message box."""
        if self.picker is not None:
            self.picker.close()
        size = max(14, abs(int(self.composer.font.actual("size"))) + 5)
        self.picker = EmojiPicker(
            self.frame,
            self.palette,
            self.composer.insert,
            family=self.timeline.emoji_family,
            size=size,
            near=self.composer.emoji_button,
        )
        return self.picker

    def people_here(self) -> list[tuple[str, str]]:
        """(username, display name) of the others in the room on screen."""
        state = self.state
        rs = state.rooms.get(state.current or "")
        if rs is None:
            return []
        names = [m.user for m in rs.members.values()] if rs.members else list(rs.room.members)
        return [(u, state.display_name(u)) for u in names if not state.is_me(u)]

    def apply_theme(self, pal: Palette) -> None:
        self.palette = pal
        self._search_image = search_icon(pal.muted)
        self.search_button.configure(image=self._search_image)
        self.timeline.apply_theme(pal)
        conversation_tk.apply_theme(self.timeline.text, pal)
        if self.thread is not None:
            self.thread.apply_theme(pal)
        self.composer.apply_theme(pal)
        self.rooms.apply_theme(pal)
        self.members.apply_theme(pal)
        self.render_all()

    def destroy(self) -> None:
        if self.picker is not None:
            self.picker.close()
        top = self.frame.winfo_toplevel()
        for key in self._keys:
            top.unbind(key)
        self.frame.destroy()


def popup(menu: tk.Menu, x: int, y: int) -> None:
    try:
        menu.tk_popup(x, y)
    finally:
        menu.grab_release()
