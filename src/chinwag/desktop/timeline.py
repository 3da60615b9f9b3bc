"""The timeline: one read-only Tk Text showing the current room's messages.

Only the newest `CHUNK` messages of a room are drawn at first, in one `insert` call; the
window of messages drawn then moves as the user scrolls (window.py). New messages are
appended at the mark `confirmed`, which stays before the pending sends at the end. At
the bottom, new messages scroll into view; scrolled up, the view stays put and a "new
messages" button appears; scrolled far up (the newest no longer drawn), new messages
are only counted until the newest are drawn again. Reading a far-back run (far.py), the
"Jump to latest" button is always there, counting what arrives meanwhile.
"""

from __future__ import annotations

import bisect
import contextlib
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.client.model import RoomState, TimelineChange
from chinwag.client.state import ChatState
from chinwag.desktop import boot, format_tags, window
from chinwag.desktop.conversation import shown_in_room
from chinwag.desktop.emoji import pick_family, xft_version
from chinwag.desktop.rows import Layout, Run, count_lines, flatten, link_target, user_tag
from chinwag.desktop.theme import Palette, readable, tint
from chinwag.desktop.thumbs import Thumbs
from chinwag.desktop.window import Window
from chinwag.protocol.types import Message

Callback = Callable[..., Any]


class TimelineView(Window):
    def __init__(
        self,
        parent: tk.Misc,
        state: ChatState,
        *,
        on_load_older: Callback,
        on_scrolled: Callback,
        on_action: Callback,
        on_url: Callback,
        on_menu: Callback | None = None,
        on_file: Callback | None = None,
        on_far: Callback | None = None,
    ) -> None:
        self.on_file = on_file
        self.on_far = on_far
        self.away = None
        self.state = state
        self.on_load_older = on_load_older
        self.on_scrolled = on_scrolled
        self.on_action = on_action
        self.on_url = on_url
        self.on_menu = on_menu
        self.frame = ttk.Frame(parent)
        self.text = tk.Text(
            self.frame,
            wrap="word",
            state="disabled",
            relief="flat",
            borderwidth=0,
            highlightthickness=0,
            padx=16,
            pady=8,
            takefocus=0,
            cursor="arrow",
            undo=False,
        )
        self.scrollbar = boot.scrollbar(self.frame, self.text.yview)
        self.text.configure(yscrollcommand=self._on_scroll)  # type: ignore[arg-type]
        self.text.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)
        self.jump = ttk.Button(self.frame, text="", command=self.scroll_to_bottom)
        self.layout = Layout(state.display_name, me=self._my_name)
        self.thumbs = Thumbs(self.text)
        self.room_id: str | None = None
        self.at_bottom = True
        #: (first line, seq) of each message drawn, ascending.
        self._starts = []
        self._last: Message | None = None
        self._revealing = False
        self._next_line = 2
        #: Whether the newest message held is drawn (the window reaches the end).
        self.newest_drawn = True
        #: Called after each redraw of the whole Text (`show`) or of its first message.
        self.on_drawn: list[Callable[[], Any]] = []
        #: Called whenever the view moves (scrolled, or its text changed).
        self.on_moved: list[Callable[[], Any]] = []
        self._make_fonts()
        self._make_tags()

    # -- look ------------------------------------------------------------------------------
    def _make_fonts(self) -> None:
        base = tkfont.nametofont("TkDefaultFont").actual()
        family, size = base["family"], max(10, abs(int(base["size"])))
        self.fonts = {
            "body": tkfont.Font(family=family, size=size + 1),
            "name": tkfont.Font(family=family, size=size + 1, weight="bold"),
            "small": tkfont.Font(family=family, size=size - 1),
            "small_bold": tkfont.Font(family=family, size=size - 1, weight="bold"),
            "italic": tkfont.Font(family=family, size=size, slant="italic"),
        }
        self.text.configure(font=self.fonts["body"])
        x11 = self.text.tk.call("tk", "windowingsystem") == "x11"
        self.emoji_family = pick_family(
            tkfont.families(self.text), x11=x11, xft_version=xft_version() if x11 else None
        )
        if self.emoji_family is not None:
            self.fonts["emoji"] = tkfont.Font(family=self.emoji_family, size=size + 1)

    def _make_tags(self) -> None:
        t, f = self.text, self.fonts
        t.tag_configure("header", font=f["small"], justify="center", spacing1=6, spacing3=6)
        t.tag_configure("day", font=f["small_bold"], justify="center", spacing1=14, spacing3=6)
        t.tag_configure("marker", font=f["small_bold"], justify="center", spacing1=4, spacing3=4)
        t.tag_configure("system", font=f["italic"], spacing1=3, spacing3=3)
        t.tag_configure("time", font=f["small"])
        t.tag_configure("name", font=f["name"], spacing1=9)
        t.tag_configure("body", spacing3=2)
        t.tag_configure("pending")
        t.tag_configure("failed")
        t.tag_configure("deleted", font=f["italic"])
        t.tag_configure("edited", font=f["small"])
        t.tag_configure("note", font=f["small"])
        t.tag_configure("url", underline=True)
        t.tag_configure("action", underline=True, font=f["small_bold"])
        for tag in ("url", "action"):
            t.tag_bind(tag, "<Enter>", lambda _e: self.text.configure(cursor="hand2"))
            t.tag_bind(tag, "<Leave>", lambda _e: self.text.configure(cursor="arrow"))
        self.fonts.update(format_tags.configure_tags(t, f["body"]))
        self.links = format_tags.LinkHover(
            t, self.frame, self.layout.links, link_target, self.on_url
        )
        t.tag_configure("thumbline", spacing1=4)
        t.tag_configure("filename", font=f["small_bold"])
        t.tag_configure("file", font=f["small"], spacing3=4)
        t.tag_bind("thumb", "<Enter>", lambda _e: self.text.configure(cursor="hand2"))
        t.tag_bind("thumb", "<Leave>", lambda _e: self.text.configure(cursor="arrow"))
        t.tag_bind("thumb", "<ButtonRelease-1>", self._click_thumb)
        t.tag_bind("action", "<ButtonRelease-1>", self._click_action)
        t.tag_configure("mention_name", font=f["name"])
        if "emoji" in f:
            t.tag_configure("emoji", font=f["emoji"])
            self.layout.emoji = True
        # A bidi control of a body, drawn as a small tinted tag (see rows.BIDI_CONTROLS).
        t.tag_configure("bidi", font=f["small_bold"])
        t.tag_configure("picked")
        t.tag_lower("picked")  # under the others: selected text still shows
        t.tag_configure("mention", lmargin1=4, lmargin2=4)
        t.tag_lower("mention")  # under them all: a picked mention shows picked
        menu_clicks = ["<Button-3>"]
        if t.tk.call("tk", "windowingsystem") == "aqua":
            menu_clicks += ["<Button-2>", "<Control-Button-1>"]
        for click in menu_clicks:
            t.bind(click, self._context_menu)

    def apply_theme(self, pal: Palette) -> None:
        self.palette = pal
        t = self.text
        t.configure(  # all of it again: a theme switch restyles plain Tk widgets too
            background=pal.bg,
            foreground=pal.fg,
            highlightthickness=0,
            borderwidth=0,
            relief="flat",
            padx=16,
            pady=8,
            selectbackground=pal.select_bg,
            selectforeground=pal.select_fg,
            inactiveselectbackground=pal.select_bg,
            insertbackground=pal.fg,
        )
        for tag in ("header", "day", "system", "time", "pending", "deleted", "edited"):
            t.tag_configure(tag, foreground=pal.muted)
        t.tag_configure("marker", foreground=pal.marker)
        t.tag_configure("failed", foreground=pal.danger)
        t.tag_configure("note", foreground=pal.danger)
        t.tag_configure("bidi", foreground=pal.danger, background=tint(pal.danger, pal.bg, 0.16))
        t.tag_configure("url", foreground=pal.link)
        t.tag_configure("action", foreground=pal.link)
        t.tag_configure("picked", background=pal.surface)
        t.tag_configure("mention", background=pal.mention_bg)
        with contextlib.suppress(tk.TclError):  # the edge needs Tk 8.6.6
            t.tag_configure("mention", lmargincolor=pal.mention_edge)
        t.tag_configure("mention_name", foreground=pal.link)
        format_tags.apply_theme(t, pal)
        self.thumbs.background = pal.surface
        self.set_user_colors()

    def _my_name(self) -> str | None:
        me = self.state.me
        return me.username if me is not None else None

    def set_user_colors(self) -> None:
        bg = self.palette.bg
        for user in self.state.users.values():
            color = readable(user.color, bg)
            self.text.tag_configure(user_tag(user.username), foreground=color)

    # -- drawing ---------------------------------------------------------------------------
    def show(
        self, rs: RoomState | None, *, keep_view: bool = False, around: int | None = None
    ) -> None:
        """Redraw the room's newest chunk (or from the marker, or from the message at
        the top of the view when `keep_view`, or around message `around`)."""
        if self.away is not None and rs is not self.away.rs:
            self.away = None  # back to the room's newest, or another room: let go
        anchor = self.top_seq() if keep_view and rs and rs.id == self.room_id else None
        self.room_id = rs.id if rs else None
        self._starts, self._last = [], None
        self.newest_drawn = True
        args: list[Any] = []
        if rs is not None:
            start = max(0, len(rs.seqs) - window.CHUNK)
            for keep in (rs.marker_seq, anchor, around):
                if keep is not None:
                    start = min(start, max(0, bisect.bisect_left(rs.seqs, keep) - 20))
            end = min(len(rs.seqs), start + window.WINDOW)  # a marker far back: a window there
            self.newest_drawn = end == len(rs.seqs) and self.away is None
            args = self._runs(rs, rs.seqs[start:end], 2, header=True)
        t = self.text
        t.configure(state="normal")
        t.delete("1.0", "end")
        if args:
            t.insert("end", *args)
        self._place_thumbs()
        t.mark_set("confirmed", "end-1c")
        t.mark_gravity("confirmed", "right")
        if self.newest_drawn:
            self._draw_pending(rs)
        t.configure(state="disabled")
        if anchor is not None:
            self.scroll_to_seq(anchor)
        elif rs is not None and rs.marker_seq is not None and rs.marker_seq in rs.messages:
            self.scroll_to_seq(rs.marker_seq, above=2)
        else:
            t.yview_moveto(1.0)
        self.show_jump(rs.unseen_below if rs else 0)
        for hook in self.on_drawn:
            hook()

    def _runs(self, rs: RoomState, seqs: list[int], line: int, *, header: bool) -> list[Any]:
        """The runs of `seqs` (after `self._last`), recording where each one starts."""
        args = flatten(self._header(rs, seqs[0] if seqs else None)) if header else []
        for seq in seqs:
            msg = rs.messages[seq]
            if not self.shown(msg):
                continue
            runs = self.layout.message(msg, self._last, marker=seq == rs.marker_seq)
            self._starts.append((line, seq))
            line += count_lines(runs)
            args.extend(flatten(runs))
            self._last = msg
        self._next_line = line
        return args

    def shown(self, msg: Message) -> bool:
        """Whether the room's timeline shows `msg` (a thread reply: if sent to it too)."""
        return shown_in_room(msg)

    def _header(self, rs: RoomState, first: int | None) -> list[Run]:
        if first is not None and (first > rs.seqs[0] or (rs.more_before and first > 1)):
            return [("Scroll up for older messages\n", ("header",))]
        title = self.state.room_title(rs.id)
        where = f"your conversation with {title}" if rs.room.kind == "dm" else f"#{title}"
        return [(f"This is the beginning of {where}.\n", ("header",))]

    def update(self, rs: RoomState, change: TimelineChange) -> None:
        if self.away is not None and rs.id == self.room_id:
            # Reading far back: the room's news is counted below; the run is redrawn
            # only when one of its own messages changed.
            if self.away.dirty:
                self.away.dirty = False
                self.show(self.away.rs, keep_view=True)
            self.show_jump(rs.unseen_below)
            return
        if rs.id != self.room_id or change.reset:
            self.show(rs, keep_view=rs.id == self.room_id and not self.at_bottom)
            return
        if not self.newest_drawn:  # scrolled far up: drawn when scrolling back down
            if change.prepended:
                self._older_came(rs)
            self.show_jump(rs.unseen_below)
            return
        stick = self.at_bottom
        appended = [seq for seq in change.appended if seq in rs.messages]
        if len(self._starts) + len(appended) > window.WINDOW:  # a big batch: draw a window anew
            self.show(rs, keep_view=not stick)
            return
        t = self.text
        t.configure(state="normal")
        args = self._runs(rs, appended, self._confirmed_line(), header=False) if appended else []
        if args:  # none when all are thread replies the room does not show
            t.insert("confirmed", *args)
            self._place_thumbs()
        if change.pending or change.appended:
            self._draw_pending(rs)
        t.configure(state="disabled")
        if change.prepended:
            self._older_came(rs)
        if stick:
            t.yview_moveto(1.0)
        self.show_jump(rs.unseen_below)

    def _older_came(self, rs: RoomState) -> None:
        """Older history came: drawn in front; when none of it is shown (thread
        replies only), the page before is asked for, as the view is at the top still."""
        if not self.reveal_older(rs) and rs.more_before and self.text.yview()[0] <= 0.0:
            self.on_load_older(rs.id)

    def _redraw_header(self, rs: RoomState) -> None:
        first = self._starts[0][1] if self._starts else None
        text, tags = self._header(rs, first)[0]
        t = self.text
        if t.get("1.0", "1.end") + "\n" != text:
            t.configure(state="normal")
            t.delete("1.0", "2.0")
            t.insert("1.0", text, tags)
            t.configure(state="disabled")

    def _draw_pending(self, rs: RoomState | None) -> None:
        t = self.text
        t.delete("confirmed", "end-1c")
        me = self.state.me
        if rs is None or not rs.pending or me is None:
            return
        args: list[Any] = []
        for i, item in enumerate(rs.pending.values()):
            args.extend(flatten(self.layout.pending(item, me.username, self._last, i == 0)))
        # At the mark, which must stay before what is inserted here (left gravity).
        t.mark_gravity("confirmed", "left")
        t.insert("confirmed", *args)
        t.mark_gravity("confirmed", "right")

    def pick(self, seq: int | None) -> None:
        """Shade message `seq` (the one a menu is open for); None clears the shade."""
        self.text.tag_remove("picked", "1.0", "end")
        lines = self.lines_of(seq) if seq is not None else None
        if lines is not None:
            self.text.tag_add("picked", f"{lines[0]}.0", f"{lines[1]}.0")

    def scroll_to_bottom(self) -> None:
        """To the newest message (a far-back run is let go)."""
        if not self.newest_drawn:
            self.show(self.state.rooms.get(self.room_id or ""))
        self.text.yview_moveto(1.0)
        self.show_jump(0)

    def show_jump(self, count: int) -> None:
        away = self.away is not None
        if away:  # what arrived in the room meanwhile, whichever run this was called for
            live = self.state.rooms.get(self.room_id or "")
            count = live.unseen_below if live is not None else 0
        if away or (count > 0 and not self.at_bottom):
            label = "1 new message" if count == 1 else f"{count} new messages"
            if count == 0:
                label = "Jump to latest"
            self.jump.configure(text=f"↓  {label}")
            self.jump.place(relx=0.5, rely=1.0, y=-10, anchor="s")
        else:
            self.jump.place_forget()

    # -- clicks ----------------------------------------------------------------------------
    def _context_menu(self, event: Any) -> str | None:
        seq = self.seq_at(f"@{event.x},{event.y}")
        if seq is None or self.on_menu is None or self.room_id is None:
            return None
        self.on_menu(self.room_id, seq, event.x_root, event.y_root)
        return "break"

    def _click_action(self, _event: Any) -> None:
        for tag in self.text.tag_names("current"):
            kind, _, cmid = tag.partition(":")
            if kind in ("retry", "discard") and cmid:
                self.on_action(kind, cmid)
                return
            if kind in ("open", "save") and cmid:
                self.file_action(kind, cmid)
                return

    # -- attachments -----------------------------------------------------------------------
    def _place_thumbs(self) -> None:
        self.thumbs.place(self.text, self.layout.attachments)

    def _click_thumb(self, _event: Any) -> None:
        for tag in self.text.tag_names("current"):
            if tag.startswith("file:"):
                self.file_action("open", tag[5:])
                return

    def file_action(self, kind: str, file_id: str) -> None:
        att = self.layout.attachments.get(file_id)
        if att is not None and self.on_file is not None:
            self.on_file(kind, att)
