"""The desktop app: one Tk root showing the login window or the main window.

The network runs in a worker thread (`Network`); whatever it reports lands in a
`queue.Queue` that `_pump` drains on the Tk thread every few milliseconds, applying each
event to the `ChatState` and redrawing only what changed, once per batch.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import queue
import time
import tkinter as tk
from typing import Any

from chinwag.client import Client
from chinwag.client.address import AddressError, server_url
from chinwag.client.events import TERMINAL, RoomsLoaded, Status, StatusChanged
from chinwag.client.model import Update
from chinwag.client.state import ChatState
from chinwag.core.markup import plain_text
from chinwag.desktop import boot
from chinwag.desktop.actions import UserActions
from chinwag.desktop.collect import TkCollector
from chinwag.desktop.dnd import enable_drop
from chinwag.desktop.login import LoginView
from chinwag.desktop.main_window import MainWindow
from chinwag.desktop.mentions import worth_telling
from chinwag.desktop.network import EventItem, Network, ResultItem
from chinwag.desktop.notify import Notifier
from chinwag.desktop.prefs import Draft, Prefs, Session
from chinwag.desktop.rows import bidi_as_text
from chinwag.desktop.theme import Palette, palette_for, theme_name
from chinwag.desktop.uploads import FileActions, Upload
from chinwag.desktop.wording import login_error, probe_text, short_address
from chinwag.protocol.replies import AuthOk

log = logging.getLogger("chinwag.desktop")

POLL_MS = 15
#: How often what the user has read goes to the server (for their other devices).
READ_REPORT_MS = 1000
#: A list item without the open/close arrow (the sections of the lists are always open).
_ITEM_LAYOUT = [
    ("Treeitem.padding", {"sticky": "nswe", "children": [
        ("Treeitem.image", {"side": "left", "sticky": ""}),
        ("Treeitem.text", {"sticky": "nswe"}),
    ]}),
]  # fmt: skip
#: The longest the Tk thread spends applying events before it redraws and breathes.
BATCH_SECONDS = 0.03


class DesktopApp(UserActions, FileActions):
    def __init__(
        self,
        prefs: Prefs,
        *,
        server: str | None = None,
        theme: str | None = None,
        notifier: Notifier | None = None,
        client_options: dict[str, Any] | None = None,
        track_focus: bool = True,
    ) -> None:
        self.prefs = prefs
        if server:
            prefs.server = server
        if theme in ("light", "dark"):
            prefs.theme = theme
        self.notifier = notifier or Notifier.for_platform()
        self.root = boot.window("chinwag", (780, 500))
        self.root.geometry(prefs.geometry or "1120x720")
        self.collector = TkCollector(self.root)  # before the network thread starts
        self.collector.start()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.network = Network(self.inbox, **(client_options or {}))
        self.network.start()
        self.state = ChatState()
        self.threads_asked: set[str] = set()
        self.replying: dict[str, int] = {}
        self.drafts: dict[str, Draft] = {}
        self.box_room: str | None = None
        self.generation = 0
        self.server = prefs.server
        self.login_view: LoginView | None = None
        self.main: MainWindow | None = None
        self.dialogs: list[Any] = []
        self.uploads: list[Upload] = []
        self.drop_enabled = False
        self._notices: list[str] = []
        self.palette: Palette = palette_for(self.root.style, prefs.theme)
        self.closed = False
        self._logging_out = False
        self._unsent_due = False
        self.apply_theme(prefs.theme, save=False)
        self.root.protocol("WM_DELETE_WINDOW", self.quit)
        if track_focus:
            self.root.bind("<FocusIn>", self._focus_changed, add="+")
            self.root.bind("<FocusOut>", self._focus_changed, add="+")
        self.root.after(POLL_MS, self._pump)
        self.root.after(READ_REPORT_MS, self._report_reads)
        session = prefs.load_session()
        if session is not None and (not server or session.server == server):
            self.resume(session)
        else:
            self.show_login()

    # -- the two windows -------------------------------------------------------------------
    def show_login(self, error: str = "") -> None:
        self._close_views()
        self._notices.clear()
        view = LoginView(
            self.root,
            server=self.prefs.server,
            username=self.prefs.username,
            on_submit=self.login,
            on_server_changed=self.probe,
        )
        view.apply_theme(self.palette)
        view.frame.pack(fill="both", expand=True)
        self.login_view = view
        self.root.title("chinwag")
        view.show_error(error)
        view.focus()
        self.probe(self.prefs.server)

    def show_main(self) -> None:
        self._close_views()
        account = f"@{self.prefs.username} · {short_address(self.server)}"
        self.main = MainWindow(self.root, self.state, self, account)
        self.main.frame.pack(fill="both", expand=True)
        self.main.apply_theme(self.palette)
        self.main.timeline.thumbs.fetch = self.fetch_thumb
        self.main.timeline.layout.pending_reply = self.replying.get
        self.drop_enabled = enable_drop(
            self.root, [self.main.timeline.text, self.main.composer.text], self.dropped
        )
        self.main.composer.max_body = self.state.hello.max_body if self.state.hello else 4000
        self.main.composer.text.focus_set()
        notices, self._notices = self._notices, []
        if notices:
            self.main.show_notice("\n".join(notices[-3:]))
        if self.state.current:
            self._ensure_members(self.state.current)
        self._title()

    def _close_views(self) -> None:
        for dialog in self.dialogs:
            dialog.close()
        self.dialogs.clear()
        if self.login_view is not None:
            self.login_view.frame.destroy()
            self.login_view = None
        if self.main is not None:
            self.main.destroy()
            self.main = None
            self.uploads.clear()

    # -- logging in ------------------------------------------------------------------------
    def probe(self, server: str) -> None:
        try:
            server_url(server)
        except AddressError:
            return

        def done(hello: Any, error: BaseException | None) -> None:
            view = self.login_view
            if view is None or view.server_var.get().strip() != server:
                return
            view.show_server(hello, "" if error is None else probe_text(error, server))

        self.network.probe(server, done)

    def login(self, server: str, username: str, password: str, create: bool) -> None:
        view = self.login_view
        assert view is not None
        try:
            server_url(server)
        except AddressError as exc:
            view.show_error(login_error(exc, creating=create, server=server, username=username))
            return
        view.set_busy(True, f"Connecting to {server}…")
        self._new_session(server, username)

        async def authenticate(client: Any) -> AuthOk:
            if create:
                return await client.register(username, password)  # type: ignore[no-any-return]
            return await client.login(username, password)  # type: ignore[no-any-return]

        def done(auth: AuthOk | None, error: BaseException | None) -> None:
            if self.login_view is not view:
                return
            if error is not None or auth is None:
                view.set_busy(False)
                if getattr(error, "code", None) == "auth_failed":
                    view.password_var.set("")
                view.show_error(
                    login_error(
                        error or RuntimeError("no reply"),
                        creating=create,
                        server=server,
                        username=username,
                    )
                )
                return
            self.prefs.server, self.prefs.username = server, auth.user.username
            self.prefs.save()
            self.prefs.save_session(Session(server, auth.user.username, auth.token))
            self.show_main()

        self.network.call(authenticate, done)

    def resume(self, session: Session) -> None:
        """Start with a saved token: straight to the main window, resuming meanwhile."""
        self.prefs.server, self.prefs.username = session.server, session.username
        self._new_session(session.server, session.username)
        self.network.run_sync(lambda client: client.start_resume(session.token))
        self.show_main()

    def _new_session(self, server: str, username: str) -> None:
        self.server = server
        self.state = ChatState(read_marks=self.prefs.marks_for(server, username))
        self.threads_asked = set()
        self.drafts, self.box_room = {}, None
        self.generation = self.network.new_client(server)
        self._unsent_due = True

    def logout(self) -> None:
        self._save_account()
        self._logging_out = True
        self.prefs.clear_session()

        def done(_result: Any, _error: BaseException | None) -> None:
            self._logging_out = False
            self.show_login()

        self.network.call(lambda client: client.logout(), done)

    def _session_ended(self, status: StatusChanged) -> None:
        """Kicked, banned, revoked or an expired token: back to the login window."""
        self._save_account()
        self.prefs.clear_session()
        self.show_login(status.reason or "Your session has ended: log in again.")

    # -- the event pump --------------------------------------------------------------------
    def _pump(self) -> None:
        if self.closed:
            return
        update = Update()
        deadline = time.perf_counter() + BATCH_SECONDS
        while time.perf_counter() < deadline:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, EventItem):
                if item.generation == self.generation:
                    update.merge(self.apply_event(item.event))
                    if isinstance(item.event, StatusChanged):
                        self._status(item.event)
                    elif isinstance(item.event, RoomsLoaded) and self._unsent_due:
                        self._unsent_due = False  # once the rooms are known: once a session
                        self.root.after_idle(self.restore_unsent)
            elif isinstance(item, ResultItem):
                self._render(update)
                update = Update()
                try:
                    item.done(item.result, item.error)
                except Exception:
                    log.exception("error in a network callback")
        self._render(update)
        self.root.after(1 if not self.inbox.empty() else POLL_MS, self._pump)

    def _report_reads(self) -> None:
        """Send the read positions the server does not know yet, at most once a second."""
        if self.closed:
            return
        self.root.after(READ_REPORT_MS, self._report_reads)
        if self.state.status.status != Status.CONNECTED:
            return
        reads = self.state.unreported_reads()
        if not reads:
            return
        self.state.reads_reported(reads)  # a report lost on the way: see ReadMarkers

        async def report(client: Client) -> None:
            for room, seq in reads.items():
                await client.mark_read(room, seq)

        self.network.call(report, lambda _result, _error: None)

    def _status(self, status: StatusChanged) -> None:
        if status.status in TERMINAL and not self._logging_out and self.main is not None:
            self.root.after_idle(self._session_ended, status)
        if status.status == Status.CONNECTED and self.state.hello and self.main is not None:
            self.main.composer.max_body = self.state.hello.max_body

    def _render(self, update: Update) -> None:
        if self.main is None:
            self._notices += update.notices  # shown with the main window
            return
        if update.current and self.state.current:
            self._ensure_members(self.state.current)
        self.main.render(update)
        self.sync_thread(update)
        if self.state.current and (update.current or self.state.current in update.timelines):
            self.ensure_threads(self.state.current)
        if update.rooms or update.current:
            self._title()
        if update.notify:
            self._notify(update)
        for notice in update.notices:
            self.show_notice(notice)

    def _title(self) -> None:
        total = self.state.total_unread
        room = self.state.room_title(self.state.current) if self.state.current else ""
        prefix = f"({total}) " if total else ""
        self.root.title(f"{prefix}{room} — chinwag" if room else f"{prefix}chinwag")

    def _notify(self, update: Update) -> None:
        """The bell, the taskbar flag and a desktop notification, for the new messages
        the user chose to hear of (every one, or direct messages and @mentions)."""
        me = self.state.me.username if self.state.me else None
        by_room: dict[str, list[Any]] = {}
        for msg in update.notify:
            rs = self.state.rooms.get(msg.room)
            dm = rs is not None and rs.room.kind == "dm"
            if worth_telling(msg, dm=dm, me=me, notify_of=self.prefs.notify_of):
                by_room.setdefault(msg.room, []).append(msg)
        if not by_room:
            return
        if self.prefs.sound:
            self.root.bell()
        if not self.state.focused:
            with contextlib.suppress(tk.TclError):
                self.notifier.flag_window(self.root.wm_frame())
        if not self.prefs.notifications or self.state.focused:
            return
        for room, messages in by_room.items():
            title = self.state.room_title(room)
            who = self.state.display_name(messages[-1].sender)
            rs = self.state.rooms.get(room)
            where = who if rs and rs.room.kind == "dm" else f"{who} in #{title}"
            last = bidi_as_text(plain_text(messages[-1].body))  # no "**" in a notification
            body = last if len(messages) == 1 else f"{len(messages)} new messages"
            self.notifier.notify(room, where, body)

    def show_notice(self, text: str) -> None:
        if self.main is not None:
            self.main.show_notice(text)
        else:  # logging in: news that comes with the login (a mute) waits for the window
            self._notices.append(text)

    # -- focus, theme, closing -------------------------------------------------------------
    def _focus_changed(self, _event: Any) -> None:
        self.root.after(20, self._check_focus)

    def _check_focus(self) -> None:
        if self.closed:
            return
        try:
            focused = bool(self.root.tk.call("focus"))
        except tk.TclError:
            return
        if focused != self.state.focused:
            self.set_focused(focused)

    def set_focused(self, focused: bool) -> None:
        self._render(self.state.set_view(focused=focused))

    def apply_theme(self, mode: str, *, save: bool = True) -> None:
        style = self.root.style
        style.theme_use(theme_name(style, mode))
        pal = self.palette = palette_for(style, mode)
        style.configure("Side.TFrame", background=pal.surface)
        style.configure("Status.TFrame", background=pal.bg)
        style.configure("Status.TLabel", background=pal.bg, foreground=pal.muted)
        style.configure("SideTitle.TLabel", background=pal.surface, foreground=pal.fg,
                        font=("TkDefaultFont", 12, "bold"))  # fmt: skip
        style.configure("SideMuted.TLabel", background=pal.surface, foreground=pal.muted,
                        font=("TkDefaultFont", 9))  # fmt: skip
        style.configure("Muted.TLabel", foreground=pal.muted)
        # Where a link under the mouse really goes, at the bottom left of the timeline.
        style.configure("LinkTip.TLabel", background=pal.surface, foreground=pal.fg,
                        font=("TkDefaultFont", 9), borderwidth=1, relief="solid")  # fmt: skip
        style.configure("Banner.TFrame", background=pal.select_bg)
        style.configure("Banner.TLabel", background=pal.select_bg, foreground=pal.fg)
        for name in ("Rooms.Treeview", "Members.Treeview"):
            style.configure(name, background=pal.surface, fieldbackground=pal.surface,
                            foreground=pal.fg, rowheight=28, borderwidth=0)  # fmt: skip
            style.map(name, background=[("selected", pal.select_bg)],
                      foreground=[("selected", pal.select_fg)])  # fmt: skip
            style.layout(name, [("Treeview.treearea", {"sticky": "nswe"})])
            style.configure(name, indent=6)
            style.layout(f"{name}.Item", _ITEM_LAYOUT)
        # Menus and the lists that drop down from combo boxes are plain Tk widgets made
        # when shown: the option database gives them the theme's colours.
        for pattern, value in (
            ("*Menu.background", pal.surface),
            ("*Menu.foreground", pal.fg),
            ("*Menu.activeBackground", pal.select_bg),
            ("*Menu.activeForeground", pal.select_fg),
            ("*Menu.disabledForeground", pal.muted),
            ("*Menu.selectColor", pal.fg),
            ("*Menu.relief", "flat"),
            ("*TCombobox*Listbox.background", pal.input_bg),
            ("*TCombobox*Listbox.foreground", pal.fg),
            ("*TCombobox*Listbox.selectBackground", pal.select_bg),
            ("*TCombobox*Listbox.selectForeground", pal.select_fg),
        ):
            self.root.option_add(pattern, value, "interactive")
        if self.login_view is not None:
            self.login_view.apply_theme(pal)
        if self.main is not None:
            self.main.apply_theme(pal)
        self.dialogs[:] = [d for d in self.dialogs if d.top.winfo_exists()]
        for dialog in self.dialogs:
            if hasattr(dialog, "restyle"):
                dialog.restyle(pal)
        if save and mode != self.prefs.theme:
            self.prefs.theme = mode
            self.prefs.save()

    def _save_account(self) -> None:
        if self.state.me is not None:
            self.prefs.set_marks(self.server, self.state.me.username, self.state.read_marks())
        self.save_unsent()

    def quit(self) -> None:
        self.close()  # messages not sent yet are kept: see save_unsent

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._save_account()
        with contextlib.suppress(tk.TclError):
            if self.root.state() == "normal":
                self.prefs.geometry = self.root.geometry()
        with contextlib.suppress(OSError):
            self.prefs.save()
        self.network.stop()
        with contextlib.suppress(tk.TclError):
            # Cancel timers (not through after_cancel, which would delete Tcl commands
            # that their widgets delete again when destroyed).
            for pending in self.root.tk.splitlist(self.root.tk.call("after", "info")):
                self.root.tk.call("after", "cancel", pending)
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
        self.collector.stop()
        gc.collect()  # here, on the Tk thread: what the windows left in cycles

    def run(self) -> None:
        try:
            self.root.mainloop()
        finally:
            self.close()
