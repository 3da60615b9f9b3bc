"""What the user does in the main window, turned into state changes and network calls
(a part of `DesktopApp`). Every call to the server goes through `Network.call`, whose
`done` continuation runs back on the Tk thread."""

from __future__ import annotations

import time
import tkinter as tk
import webbrowser
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from chinwag.client import Client
from chinwag.client.errors import ClientError, RequestError
from chinwag.client.events import SendFailed, Status
from chinwag.client.model import Update
from chinwag.client.state import ChatState
from chinwag.desktop.conversing import ConversationActions
from chinwag.desktop.dialogs import (
    CreateRoomDialog,
    Done,
    EditRoomDialog,
    ModerateDialog,
    PickDialog,
    people,
    public_rooms,
)
from chinwag.desktop.main_window import MainWindow, popup
from chinwag.desktop.network import Network
from chinwag.desktop.prefs import Draft, Prefs, Unsent
from chinwag.desktop.sanctions import SanctionsDialog
from chinwag.desktop.search import LIMIT, SearchDialog, Searched
from chinwag.desktop.settings import SettingsDialog
from chinwag.desktop.theme import Palette
from chinwag.desktop.wording import short_address
from chinwag.protocol.types import Message


def _reason(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, RequestError):
        return error.message[:1].upper() + error.message[1:] + "."
    if isinstance(error, ClientError):
        return "Not connected right now: try again in a moment."
    return str(error)


class UserActions(ConversationActions):
    #: The last person menu shown (from a click or the keyboard).
    menu_shown: tk.Menu | None = None
    #: The message each send in progress replies to, by its client_msg_id.
    replying: dict[str, int]
    #: What was typed in the message box of each room not on screen, and not sent.
    drafts: dict[str, Draft]
    #: The room whose message the box holds (None: none yet).
    box_room: str | None
    root: Any
    state: ChatState
    network: Network
    main: MainWindow | None
    palette: Palette
    prefs: Prefs
    server: str
    dialogs: list[Any]

    if TYPE_CHECKING:

        def _render(self, update: Update) -> None: ...

        def apply_theme(self, mode: str, *, save: bool = True) -> None: ...

        def logout(self) -> None: ...

    def _do(
        self, make: Callable[[Client], Awaitable[Any]], done: Callable[[Any, str | None], None]
    ) -> None:
        self.network.call(make, lambda result, error: done(result, _reason(error)))

    # -- rooms -----------------------------------------------------------------------------
    def select_room(self, room_id: str) -> None:
        if room_id in self.state.rooms:
            self._render(self.state.select(room_id))
            # Moving through the room list with the arrow keys stays in the list.
            try:
                focus = self.root.focus_get()
            except KeyError:  # the focus is in a window Tk made itself (a drop-down list)
                focus = None
            if self.main is not None and focus is not self.main.rooms.tree:
                self.main.composer.text.focus_set()

    def _ensure_members(self, room_id: str) -> None:
        rs = self.state.rooms.get(room_id)
        if rs is not None and rs.members is None and rs.room.kind != "dm":
            self.network.call(lambda client: client.members(room_id))

    def load_older(self, room_id: str) -> None:
        rs = self.state.rooms.get(room_id)
        if rs is None or rs.loading_older or not rs.loaded or not rs.more_before:
            return
        oldest = rs.oldest_seq
        if oldest is None or oldest <= 1:
            return
        self.state.set_loading_older(room_id, True)

        def done(_result: Any, error: str | None) -> None:
            if error is not None:
                self.state.set_loading_older(room_id, False)

        self._do(lambda client: client.history(room_id, before=oldest, limit=100), done)

    def scrolled(self, at_bottom: bool) -> None:
        self._render(self.state.set_view(at_bottom=at_bottom))

    # -- sending ---------------------------------------------------------------------------
    def send(self, body: str, reply_to: int | None = None) -> None:
        """Send `body` to the room on screen (replying to message `reply_to`)."""
        room = self.state.current
        if room is None:
            return
        cmid = Client.new_client_msg_id()
        if reply_to is not None:
            self.replying[cmid] = reply_to  # kept for a retry
        self._render(self.state.add_pending(room, cmid, body, int(time.time() * 1000)))
        self._queue(room, body, cmid)
        if self.main is not None:
            self.main.composer.sent_typing_now()
            self.main.timeline.scroll_to_bottom()

    def _queue(self, room: str, body: str, cmid: str) -> None:
        reply_to = self.replying.get(cmid)

        async def queue(client: Client) -> str:
            return client.queue_send(room, body, cmid, reply_to=reply_to)

        def done(_result: Any, error: BaseException | None) -> None:
            if error is not None:
                failed = SendFailed(room, cmid, "offline", "not connected: log in again")
                self._render(self.state.apply(failed))

        self.network.call(queue, done)

    def room_shown(self, room: str | None) -> None:
        """Another room on screen (chosen, or the one left replaced): the message box
        keeps what was typed for the room before, and shows the new room's draft; a
        quote never follows into another room, where its seq is another message."""
        if room == self.box_room:
            return
        if self.box_room is not None:
            self._keep_draft(self.box_room)
        self.box_room = room
        if self.main is not None:
            self.main.composer.set_draft(self.drafts.pop(room, None) if room else None)

    def _keep_draft(self, room: str) -> None:
        draft = self.main.composer.draft() if self.main is not None else None
        if draft is not None:
            self.drafts[room] = draft
        else:
            self.drafts.pop(room, None)

    def save_unsent(self) -> None:
        """Keep what the server has not stored yet for this account's next session, and
        what was typed in each room's box and not sent."""
        if self.state.me is None:
            return
        if self.box_room is not None:
            self._keep_draft(self.box_room)
        self.prefs.set_drafts(self.server, self.state.me.username, self.drafts)
        items = [
            Unsent(p.room, p.body, p.client_msg_id, p.ts, self.replying.get(p.client_msg_id))
            for rs in self.state.rooms.values()
            for p in rs.pending.values()
        ]
        self.prefs.set_unsent(self.server, self.state.me.username, items)

    def restore_unsent(self) -> None:
        """Send again, with their ids, the messages a former session left unsent; put
        back what was typed and not sent (in the box of the room on screen)."""
        if self.state.me is None:
            return
        kept = self.prefs.take_drafts(self.server, self.state.me.username)
        self.drafts.update({room: d for room, d in kept.items() if room in self.state.rooms})
        room = self.box_room
        if self.main is not None and room in self.drafts and self.main.composer.draft() is None:
            self.main.composer.set_draft(self.drafts.pop(room))
        items = self.prefs.take_unsent(self.server, self.state.me.username)
        update = Update()
        for item in items:
            if item.room not in self.state.rooms:
                continue  # the user left the room meanwhile
            cmid = item.client_msg_id
            if item.reply_to is not None:
                self.replying[cmid] = item.reply_to  # quoted above it, and sent with it
            update.merge(self.state.add_pending(item.room, cmid, item.body, item.ts))
            self._queue(item.room, item.body, cmid)
        self._render(update)

    def pending_action(self, kind: str, client_msg_id: str) -> None:
        if kind == "retry":
            item = self.state.retry_pending(client_msg_id)
            if item is not None:
                update = Update()
                update.timeline(item.room).pending = True
                self._render(update)
                self._queue(item.room, item.body, item.client_msg_id)
        elif kind == "discard":
            self._render(self.state.drop_pending(client_msg_id))
            self.network.run_sync(lambda client: client.cancel_send(client_msg_id))

    def typing(self) -> None:
        room = self.state.current
        if room is not None and self.state.status.status == Status.CONNECTED:
            self.network.call(lambda client: client.typing(room))

    def open_url(self, url: str) -> None:
        webbrowser.open(url, new=2)

    def reconnect_now(self) -> None:
        self.network.run_sync(lambda client: client.reconnect_now())

    # -- people ----------------------------------------------------------------------------
    def open_dm(self, username: str, done: Done | None = None) -> None:
        if self.state.is_me(username):
            return

        def opened(room: Any, error: str | None) -> None:
            if done is not None:
                done(error)
            if room is not None:
                self.select_room(room.id)

        self._do(lambda client: client.open_dm(username), opened)

    def user_menu(self, username: str, x: int, y: int) -> None:
        menu = self.build_user_menu(username)
        if menu.index("end") is not None:
            self.menu_shown = menu
            popup(menu, x, y)

    def build_user_menu(self, username: str) -> tk.Menu:
        """Message, and for moderators kick / ban / mute (in the room, on the server)."""
        menu = tk.Menu(self.root, tearoff=False)
        name = self.state.display_name(username)
        if not self.state.is_me(username):
            menu.add_command(label=f"Message {name}", command=lambda: self.open_dm(username))
        room = self.state.current
        scopes = self.state.moderation_scopes(room, username)
        where = f"#{self.state.room_title(room)}" if room else ""
        if "room" in scopes and room:
            menu.add_separator()
            # Everyone is in general: only a mute applies there (kick and ban go server-wide).
            for action in ("mute",) if room == "general" else ("kick", "ban", "mute"):
                label = (
                    f"{action.capitalize()} from {where}…"
                    if action != "mute"
                    else f"Mute in {where}…"
                )
                menu.add_command(label=label, command=self._moderate_cb(action, username, room))
        if "server" in scopes:
            menu.add_separator()
            for action in ("kick", "ban", "mute"):
                label = {"kick": "Disconnect from the server…", "ban": "Ban from the server…",
                         "mute": "Mute everywhere…"}[action]  # fmt: skip
                menu.add_command(label=label, command=self._moderate_cb(action, username, None))
        return menu

    def _moderate_cb(self, action: str, username: str, room: str | None) -> Callable[[], Any]:
        return lambda: self.moderate(action, username, room)

    def moderate(self, action: str, username: str, room: str | None) -> ModerateDialog:
        name = self.state.display_name(username)
        where = f"in #{self.state.room_title(room)}" if room else "on the whole server"

        def act(reason: str, seconds: int, done: Done) -> None:
            async def call(client: Client) -> None:
                if action == "kick":
                    await client.kick(username, room=room, reason=reason)
                elif action == "ban":
                    await client.ban(username, room=room, reason=reason)
                else:
                    await client.mute(username, seconds, room=room, reason=reason)

            self._do(call, lambda _r, error: done(error))

        dialog = ModerateDialog(self.root, self.palette, action, name, where, act)
        self.dialogs.append(dialog)
        return dialog

    # -- menus and dialogs -----------------------------------------------------------------
    def new_menu(self, x: int, y: int) -> None:
        menu = tk.Menu(self.root, tearoff=False)
        menu.add_command(label="Create a room…", command=self.create_room_dialog)
        menu.add_command(label="Join a room…", command=self.join_room_dialog)
        menu.add_command(label="Direct message…", command=self.dm_dialog)
        popup(menu, x, y)

    def create_room_dialog(self) -> CreateRoomDialog:
        def create(name: str, topic: str, private: bool, done: Done) -> None:
            def created(room: Any, error: str | None) -> None:
                done(error)
                if room is not None:
                    self.root.after(50, self.select_room, room.id)

            self._do(lambda c: c.create_room(name, private=private, topic=topic), created)

        dialog = CreateRoomDialog(self.root, self.palette, create)
        self.dialogs.append(dialog)
        return dialog

    def join_room_dialog(self) -> PickDialog:
        def join(room_id: str, done: Done) -> None:
            def joined(room: Any, error: str | None) -> None:
                done(error)
                if room is not None:
                    self.root.after(50, self.select_room, room.id)

            self._do(lambda client: client.join(room_id), joined)

        dialog = PickDialog(
            self.root, self.palette, "Join a room", "Find a room", public_rooms(self.state),
            "Join", join,
        )  # fmt: skip
        self.dialogs.append(dialog)
        refreshed = lambda _rooms, _error: dialog.set_items(public_rooms(self.state))  # noqa: E731
        self.network.call(lambda client: client.rooms(), refreshed)
        return dialog

    def dm_dialog(self) -> PickDialog:
        dialog = PickDialog(
            self.root, self.palette, "Direct message", "Find someone", people(self.state),
            "Message", lambda user, done: self.open_dm(user, done),
        )  # fmt: skip
        self.dialogs.append(dialog)
        return dialog

    def room_menu(self, x: int, y: int) -> None:
        rs = self.state.rooms.get(self.state.current or "")
        if rs is None:
            return
        menu = tk.Menu(self.root, tearoff=False)
        me = self.state.me
        menu.add_command(label="Pinned messages…", command=lambda: self.pins_dialog(rs.id))
        menu.add_command(label="Threads…", command=lambda: self.threads_dialog(rs.id))
        if rs.room.kind != "dm":
            menu.add_command(label="Invite someone…", command=lambda: self.invite_dialog(rs.id))
            owner = rs.room.owner and me and rs.room.owner.lower() == me.username.lower()
            if (me and me.admin) or owner:
                menu.add_command(
                    label="Edit name and topic…", command=lambda: self.edit_room(rs.id)
                )
            if (me and me.admin) or owner:
                menu.add_command(
                    label="Mutes and bans here…", command=lambda: self.sanctions_dialog(rs.id)
                )
        if me and me.admin:
            menu.add_command(
                label="Mutes and bans on the server…", command=lambda: self.sanctions_dialog(None)
            )
        if rs.room.kind != "dm" and rs.id != "general":
            menu.add_separator()
            menu.add_command(label="Leave the room", command=lambda: self.leave(rs.id))
        if rs.room.kind == "dm":
            menu.add_command(label="No other settings for direct messages", state="disabled")
        self.menu_shown = menu
        popup(menu, x, y)

    def invite_dialog(self, room_id: str) -> PickDialog:
        rs = self.state.rooms[room_id]
        inside = set(rs.members or {})

        def invite(user: str, done: Done) -> None:
            self._do(lambda c: c.invite(room_id, user), lambda _r, error: done(error))

        dialog = PickDialog(
            self.root, self.palette, f"Invite to {rs.room.name}", "Find someone",
            people(self.state, inside), "Invite", invite,
        )  # fmt: skip
        self.dialogs.append(dialog)
        return dialog

    def edit_room(self, room_id: str) -> EditRoomDialog:
        room = self.state.rooms[room_id].room

        def save(name: str, topic: str, done: Done) -> None:
            self._do(
                lambda c: c.update_room(room_id, name=name, topic=topic), lambda _r, e: done(e)
            )

        dialog = EditRoomDialog(self.root, self.palette, room.name, room.topic, save)
        self.dialogs.append(dialog)
        return dialog

    def sanctions_dialog(self, room: str | None) -> SanctionsDialog:
        """The mutes and bans in force in `room` (None: server-wide), to lift them."""
        where = f"in #{self.state.room_title(room)}" if room else "on the whole server"

        def fetch(done: Callable[[Any, str | None], None]) -> None:
            self._do(lambda client: client.moderation(room), done)

        def lift(kind: str, username: str, done: Done) -> None:
            async def call(client: Client) -> None:
                if kind == "mutes":
                    await client.mute(username, 0, room=room)
                else:
                    await client.unban(username, room=room)

            self._do(call, lambda _r, error: done(error))

        dialog = SanctionsDialog(
            self.root, self.palette, where, fetch, lift, lambda: time.time() * 1000
        )
        self.dialogs.append(dialog)
        return dialog

    def leave(self, room_id: str) -> None:
        self._do(lambda client: client.leave(room_id), lambda _r, _e: None)

    # -- search ----------------------------------------------------------------------------
    def open_search(self) -> SearchDialog:
        """The search dialog (the one already open, brought forward, if there is one)."""
        for dialog in self.dialogs:
            if isinstance(dialog, SearchDialog) and dialog.top.winfo_exists():
                dialog.top.deiconify()
                dialog.top.lift()
                dialog.focus_query()
                return dialog

        def search(query: str, room: str | None, has_file: bool, done: Searched) -> None:
            self._do(
                lambda client: client.search(query, room=room, has_file=has_file, limit=LIMIT),
                done,
            )

        def open_message(msg: Message) -> bool:
            if msg.room not in self.state.rooms:
                return False
            self.jump_to(msg.room, msg.seq)
            return True

        dialog = SearchDialog(self.root, self.palette, self.state, search, open_message)
        self.dialogs.append(dialog)
        return dialog

    # -- settings --------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        me = self.state.me
        dialog = SettingsDialog(
            self.root,
            self.palette,
            self,
            display_name=me.display_name if me else "",
            color=me.color if me else "#3b82f6",
            account=f"Logged in as @{me.username if me else '?'} on {short_address(self.server)}",
            theme=self.prefs.theme,
            notifications=self.prefs.notifications,
            sound=self.prefs.sound,
            notify_of=self.prefs.notify_of,
        )
        self.dialogs.append(dialog)
        return dialog

    def save_profile(self, display_name: str, color: str, done: Done) -> None:
        self._do(
            lambda c: c.update_profile(display_name=display_name, color=color),
            lambda _r, error: done(error),
        )

    def change_password(self, old: str, new: str, done: Done) -> None:
        self._do(lambda c: c.change_password(old, new), lambda _r, error: done(error))

    def set_theme(self, mode: str) -> None:
        self.apply_theme(mode)

    def set_notifications(self, desktop: bool, sound: bool) -> None:
        self.prefs.notifications, self.prefs.sound = desktop, sound
        self.prefs.save()

    def set_notify_of(self, choice: str) -> None:
        self.prefs.notify_of = choice
        self.prefs.save()
