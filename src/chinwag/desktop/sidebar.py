"""The two lists beside the timeline: rooms and DMs on the left, people on the right."""

from __future__ import annotations

import contextlib
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from PIL import Image, ImageDraw, ImageTk

from chinwag.client.state import ChatState
from chinwag.desktop.theme import Palette, readable
from chinwag.protocol.types import User

ROOMS, DMS = "section:rooms", "section:dms"
MEMBERS, ONLINE = "section:members", "section:online"
UNKNOWN = "note:unknown"
UNKNOWN_TEXT = "presence unknown while offline"


def dot_image(color: str, size: int = 10, hollow: bool = False) -> ImageTk.PhotoImage:
    """A smooth round presence dot (drawn large, then scaled down)."""
    scale = 4
    img = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    box = (scale, scale, size * scale - scale, size * scale - scale)
    if hollow:
        draw.ellipse(box, outline=color, width=scale * 2)
    else:
        draw.ellipse(box, fill=color)
    return ImageTk.PhotoImage(img.resize((size, size), Image.Resampling.LANCZOS))


def room_icon(kind: str, color: str, size: int = 12) -> ImageTk.PhotoImage:
    """A `#` for a public room, a padlock for a private one (fonts lack a lock)."""
    scale = 4
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    w = max(2, scale + scale // 2)
    if kind == "private":
        draw.rounded_rectangle((s * 0.15, s * 0.45, s * 0.85, s * 0.95), radius=scale, fill=color)
        draw.arc((s * 0.28, s * 0.05, s * 0.72, s * 0.65), 180, 360, fill=color, width=w)
        draw.line((s * 0.28, s * 0.35, s * 0.28, s * 0.5), fill=color, width=w)
        draw.line((s * 0.72, s * 0.35, s * 0.72, s * 0.5), fill=color, width=w)
    else:
        for x in (0.38, 0.68):
            draw.line((s * x, s * 0.1, s * (x - 0.12), s * 0.9), fill=color, width=w)
        for y in (0.35, 0.65):
            draw.line((s * 0.12, s * y, s * 0.92, s * y), fill=color, width=w)
    return ImageTk.PhotoImage(img.resize((size, size), Image.Resampling.LANCZOS))


class _List:
    def __init__(self, parent: tk.Misc, style_name: str) -> None:
        self.frame = ttk.Frame(parent)
        self.tree = ttk.Treeview(
            self.frame, show="tree", selectmode="browse", columns=("badge",), style=style_name
        )
        self.tree.column("#0", stretch=True, width=150)
        self.tree.column("badge", width=36, stretch=False, anchor="e")
        self.tree.grid(row=0, column=0, sticky="nsew")
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)
        base = tkfont.nametofont("TkDefaultFont").actual()
        self.bold = tkfont.Font(family=base["family"], size=abs(int(base["size"])), weight="bold")
        self.section = tkfont.Font(
            family=base["family"], size=max(8, abs(int(base["size"])) - 1), weight="bold"
        )
        self.small = tkfont.Font(family=base["family"], size=max(8, abs(int(base["size"])) - 1))
        self.tree.tag_configure("section", font=self.section)
        self.tree.tag_configure("unread", font=self.bold)
        self.images: dict[str, ImageTk.PhotoImage] = {}

    def make_dots(self, pal: Palette) -> None:
        self.images = {
            "online": dot_image(pal.success),
            "offline": dot_image(pal.muted, hollow=True),
            "unknown": dot_image(pal.border, size=8, hollow=True),
        }

    def sync(self, parent: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """Make `parent`'s children exactly `rows` (iid, options), in order, in place."""
        tree = self.tree
        wanted = [iid for iid, _ in rows]
        for iid in tree.get_children(parent):
            if iid not in wanted:
                tree.delete(iid)
        for index, (iid, options) in enumerate(rows):
            if tree.exists(iid):
                if tree.parent(iid) != parent or tree.index(iid) != index:
                    tree.move(iid, parent, index)
                tree.item(iid, **options)
            else:
                tree.insert(parent, index, iid=iid, **options)


class RoomList(_List):
    """General first, then rooms, then DMs; unread counts in bold."""

    def __init__(self, parent: tk.Misc, state: ChatState, on_select: Callable[[str], None]) -> None:
        super().__init__(parent, "Rooms.Treeview")
        self.state = state
        self.on_select = on_select
        self._quiet = False
        self.tree.insert("", "end", iid=ROOMS, text="ROOMS", open=True, tags=("section",))
        self.tree.insert("", "end", iid=DMS, text="DIRECT MESSAGES", open=True, tags=("section",))
        self.tree.bind("<<TreeviewSelect>>", self._selected)

    def refresh(self) -> None:
        state = self.state
        rooms = []
        for rs in state.room_list():
            row = self._row(rs.id, f" {rs.room.name}", rs.unread, rs.unread_more)
            row["image"] = self.images.get(rs.room.kind, "")
            rooms.append((rs.id, row))
        dms = []
        for rs in state.dm_list():
            partner = state.dm_partner(rs.id)
            image = self.images.get(state.presence(partner) if partner else "offline", "")
            row = self._row(rs.id, " " + state.room_title(rs.id), rs.unread, rs.unread_more)
            row["image"] = image
            dms.append((rs.id, row))
        self._quiet = True
        try:
            self.sync(ROOMS, rooms)
            self.sync(DMS, dms)
            current = state.current
            if current and self.tree.exists(current) and self.tree.selection() != (current,):
                self.tree.selection_set(current)
                self.tree.see(current)
        finally:
            self._quiet = False

    @staticmethod
    def _row(iid: str, text: str, unread: int, more: bool) -> dict[str, Any]:
        badge = (f"{unread}+" if more else str(unread)) if unread else ""
        return {"text": text, "values": (badge,), "tags": ("unread",) if unread else ()}

    def _selected(self, _event: Any) -> None:
        if self._quiet:
            return
        selection = self.tree.selection()
        if not selection:
            return
        iid = selection[0]
        if iid.startswith("section:"):
            current = self.state.current
            if current and self.tree.exists(current):
                self._quiet = True
                self.tree.selection_set(current)
                self._quiet = False
            return
        if iid != self.state.current:
            self.on_select(iid)

    def apply_theme(self, pal: Palette) -> None:
        self.make_dots(pal)
        self.images["public"] = room_icon("public", pal.muted)
        self.images["private"] = room_icon("private", pal.muted)
        self.tree.tag_configure("section", foreground=pal.muted)


class MemberList(_List):
    """The current room's members, then everyone online, with presence dots."""

    def __init__(
        self,
        parent: tk.Misc,
        state: ChatState,
        *,
        on_open: Callable[[str], None],
        on_menu: Callable[[str, int, int], None],
    ) -> None:
        super().__init__(parent, "Members.Treeview")
        self.state = state
        self.tree.column("badge", width=0, stretch=False)
        self.tree.insert("", "end", iid=MEMBERS, text="MEMBERS", open=True, tags=("section",))
        self.tree.insert("", "end", iid=ONLINE, text="ONLINE", open=True, tags=("section",))
        self.tree.bind("<Double-1>", lambda e: self._user_at(e.y, on_open))
        self.tree.bind("<Return>", lambda e: self._selected_user(on_open))
        for button in ("<Button-3>", "<Button-2>", "<Control-Button-1>"):
            self.tree.bind(button, lambda e: self._menu_at(e, on_menu))
        # The same menu from the keyboard, for the selected person.
        for key in ("<Shift-F10>", "<Menu>", "<App>"):
            with contextlib.suppress(tk.TclError):  # a key name this system lacks
                self.tree.bind(key, lambda _e: self._menu_key(on_menu))
        self.palette: Palette | None = None

    @staticmethod
    def username_of(iid: str) -> str | None:
        return iid.split(":", 1)[1] if iid.startswith(("m:", "o:")) else None

    def _user_at(self, y: int, then: Callable[[str], None]) -> None:
        user = self.username_of(self.tree.identify_row(y))
        if user:
            then(user)

    def _selected_user(self, then: Callable[[str], None]) -> None:
        selection = self.tree.selection()
        user = self.username_of(selection[0]) if selection else None
        if user:
            then(user)

    def _menu_at(self, event: Any, on_menu: Callable[[str, int, int], None]) -> None:
        iid = self.tree.identify_row(event.y)
        user = self.username_of(iid)
        if user:
            self.tree.selection_set(iid)
            on_menu(user, event.x_root, event.y_root)

    def _menu_key(self, on_menu: Callable[[str, int, int], None]) -> str:
        selection = self.tree.selection()
        user = self.username_of(selection[0]) if selection else None
        if user:
            box = self.tree.bbox(selection[0])
            x, y = (box[0] + 24, box[1] + box[3]) if box else (10, 10)
            on_menu(user, self.tree.winfo_rootx() + x, self.tree.winfo_rooty() + y)
        return "break"

    def refresh(self) -> None:
        state = self.state
        members = state.members_of(state.current) if state.current else None
        rows = [(f"m:{u.username}", self._row(u, owner=self._is_owner(u))) for u in members or []]
        online = [(f"o:{u.username}", self._row(u)) for u in state.online_users()]
        title = "MEMBERS" if members is None else f"MEMBERS — {len(rows)}"
        self.tree.item(MEMBERS, text=title)
        if state.presence_known:
            self.tree.item(ONLINE, text=f"ONLINE — {len(online)}")
        else:
            self.tree.item(ONLINE, text="ONLINE")
            note = {"text": f" {UNKNOWN_TEXT}", "image": self.images.get("unknown", "")}
            online = [(UNKNOWN, {**note, "tags": ("note",)})]
        self.sync(MEMBERS, rows)
        self.sync(ONLINE, online)

    def _is_owner(self, user: User) -> bool:
        rs = self.state.rooms.get(self.state.current or "")
        owner = rs.room.owner if rs else None
        return owner is not None and owner.lower() == user.username.lower()

    def _row(self, user: User, *, owner: bool = False) -> dict[str, Any]:
        marks = " ★" if user.admin else ""
        marks += " (owner)" if owner else ""
        tag = "user:" + user.username.lower()
        if self.palette is not None:
            self.tree.tag_configure(tag, foreground=readable(user.color, self.palette.surface))
        return {
            "text": f" {user.display_name}{marks}",
            "image": self.images.get(self.state.presence(user.username), ""),
            "tags": (tag,),
        }

    def apply_theme(self, pal: Palette) -> None:
        self.palette = pal
        self.make_dots(pal)
        self.tree.tag_configure("section", foreground=pal.muted)
        self.tree.tag_configure("note", foreground=pal.muted, font=self.small)
