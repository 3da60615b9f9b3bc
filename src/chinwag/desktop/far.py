"""A far-back run: the history around a message far older than what the room holds (a
search result, a quoted original, a pin), shown in the main timeline in place of the
room's newest messages, as Element and Slack do (and the browser client, web/js/far.js).

Scrolling up pages back (`history` with `before`); scrolling down pages forward (`sync`
from the run's last seq) until the run meets the messages the room holds: then its
messages join them, through the same `MessagesLoaded` as a page of older history, and
the room has one run again. "Jump to latest" (or sending, or another room) lets it go.

The run keeps its messages in a `RoomState` of its own, never in the room's: the room's
`messages`/`seqs` stay one run without a hole, which the rest of the client relies on.
Edits, deletions, reactions and pins of its messages are applied to it as they come.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from chinwag.client import Client
from chinwag.client.events import MessagesLoaded
from chinwag.client.model import RoomState, Update
from chinwag.client.state import ChatState
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.events import MessageDeleted, MessageEdited, MessageUpdated
from chinwag.protocol.types import Message, Room

if TYPE_CHECKING:
    from chinwag.desktop.main_window import MainWindow

#: Messages asked for around one that is far back.
AROUND = 100
#: Each page back or forward: the most the server gives.
PAGE = 200


class FarRun:
    """The messages `first..last` of one room, without a hole, that the room does not
    hold; what the timeline draws while the user reads far back."""

    def __init__(
        self, room: Room, messages: list[Message], *, more_before: bool, more_after: bool
    ) -> None:
        self.rs = RoomState(room=room, loaded=True)
        self.put(messages)
        self.rs.more_before = more_before and self.first > 1
        #: Whether newer messages may follow `last` before the room's held ones.
        self.more_after = more_after
        #: The directions ("older", "newer") of the pages being fetched.
        self.loading: set[str] = set()
        #: A message of the run changed since it was last drawn.
        self.dirty = False

    @property
    def room(self) -> str:
        return self.rs.id

    @property
    def first(self) -> int:
        return self.rs.seqs[0]

    @property
    def last(self) -> int:
        return self.rs.seqs[-1]

    def put(self, messages: list[Message]) -> None:
        """Add messages just before or after the run (a page either side of it)."""
        for msg in messages:
            self.rs.messages[msg.seq] = msg
        self.rs.seqs = sorted(self.rs.messages)

    def apply(self, event: Any) -> bool:
        """An edit, a deletion or another change (reactions, a pin) of a message of the
        run: its copy is replaced. True when something changed."""
        if isinstance(event, MessageDeleted):
            room, seq = event.room, event.seq
        elif isinstance(event, MessageEdited | MessageUpdated):
            room, seq = event.message.room, event.message.seq
        else:
            return False
        old = self.rs.messages.get(seq)
        if room != self.room or old is None:
            return False
        if isinstance(event, MessageDeleted):
            if old.deleted:
                return False
            new = msgspec.structs.replace(old, deleted=True, body="", reactions=msgspec.UNSET)
        else:
            new = event.message
            if old == new or (old.deleted and isinstance(event, MessageEdited)):
                return False
            if _changed(old) > _changed(new):
                return False  # a late copy: the one held is newer
        self.rs.messages[seq] = new
        self.dirty = True
        return True


def _changed(msg: Message) -> int:
    return 0 if msg.changed is msgspec.UNSET else msg.changed


class FarActions:
    """Opening, paging and joining a far-back run (a part of `DesktopApp`)."""

    state: ChatState
    main: MainWindow | None
    show_notice: Callable[[str], None]

    if TYPE_CHECKING:

        def _render(self, update: Update) -> None: ...

        def _do(
            self, make: Callable[[Client], Awaitable[Any]], done: Callable[[Any, str | None], None]
        ) -> None: ...

        def _flash(self, room: str, seq: int) -> None: ...

        def _held(self, room: str, seq: int) -> Message | None: ...

        def thread_event(self, event: Any) -> None: ...

    @property
    def far(self) -> FarRun | None:
        """The far-back run the timeline shows, if any."""
        return self.main.timeline.away if self.main is not None else None

    def apply_event(self, event: Any) -> Update:
        """Apply an event to the state, and to what else holds messages the state does
        not: the far-back run shown, and the thread pane's older replies."""
        update = self.state.apply(event)
        far = self.far
        if far is not None and far.apply(event):
            update.timeline(far.room)  # the timeline looks at the run again
        self.thread_event(event)
        return update

    def held_message(self, room: str, seq: int) -> Message | None:
        """Message `seq` of `room` as held: by the room, the thread pane, or the
        far-back run shown."""
        msg = self._held(room, seq)  # the room's, or the thread pane's
        far = self.far
        if msg is None and far is not None and far.room == room:
            msg = far.rs.messages.get(seq)
        return msg

    def open_far(self, room: str, seq: int) -> None:
        """The history around message `seq`, far back, in the main timeline."""

        def around(reply: rp.HistoryOk | None, error: str | None) -> None:
            if error is not None or reply is None:
                self.show_notice(f"That message could not be loaded: {error}")
                return
            live = self.state.rooms.get(room)
            main = self.main
            if live is None or main is None or self.state.current != room:
                return  # gone elsewhere meanwhile
            msgs = reply.messages
            if seq not in {m.seq for m in msgs}:
                self.show_notice("That message is no longer there.")
                return
            oldest = live.oldest_seq
            if seq in live.messages or (oldest is not None and msgs[-1].seq + 1 >= oldest):
                # It meets what the room holds: those before it join the room at once.
                older = [m for m in msgs if oldest is not None and m.seq < oldest]
                if older:
                    loaded = MessagesLoaded(room, older, "history", more_before=reply.more)
                    self._render(self.state.apply(loaded))
                self._flash(room, seq)
                return
            run = FarRun(live.room, msgs, more_before=reply.more, more_after=reply.more_after)
            main.timeline.show_far(run, seq)
            self._render(self.state.set_view(at_bottom=False))
            self._flash(room, seq)

        self._do(lambda client: client.history(room, around=seq, limit=AROUND), around)

    def far_page(self, direction: str) -> None:
        """The timeline reached an end of the far-back run: the page beyond it."""
        far = self.far
        if far is None or direction in far.loading:
            return
        room = far.room
        if direction == "older" and far.rs.more_before:
            far.loading.add(direction)
            # A raw request: `Client.history` would hand the page to the room's own state.
            req = rq.History(id="0", room=room, before=far.first, limit=PAGE)
            self._do(
                lambda client: client.request(req, rp.HistoryOk),
                lambda reply, error: self._far_older(far, reply, error),
            )
        elif direction == "newer" and far.more_after:
            far.loading.add(direction)
            since = {room: far.last}
            self._do(
                lambda client: client.sync(since, limit=PAGE),
                lambda reply, error: self._far_newer(far, reply, error),
            )

    def _far_older(self, far: FarRun, reply: rp.HistoryOk | None, error: str | None) -> None:
        far.loading.discard("older")
        if self.far is not far or self.main is None:
            return  # left meanwhile
        if error is not None or reply is None:
            self.show_notice(f"Older messages could not be loaded: {error}")
            return
        msgs = [m for m in reply.messages if m.seq < far.first]
        far.put(msgs)
        far.rs.more_before = reply.more and bool(msgs) and far.first > 1
        self.main.timeline.reveal_older(far.rs)

    def _far_newer(self, far: FarRun, reply: rp.SyncOk | None, error: str | None) -> None:
        far.loading.discard("newer")
        if self.far is not far or self.main is None:
            return  # left meanwhile
        if error is not None or reply is None:
            self.show_notice(f"Newer messages could not be loaded: {error}")
            return
        live = self.state.rooms.get(far.room)
        oldest = live.oldest_seq if live is not None and live.loaded else None
        mine = [m for m in reply.messages if m.room == far.room and m.seq > far.last]
        # Up to the room's held messages: the run's; from them on, the room's own (any
        # new one among them comes live to the room as well, counted as new below).
        far.put([m for m in mine if oldest is None or m.seq < oldest])
        if oldest is not None and (far.last + 1 >= oldest or any(m.seq >= oldest for m in mine)):
            self._far_join(far)
            return
        far.more_after = bool(mine) or far.room in reply.more
        self.main.timeline.reveal_newer(far.rs)

    def _far_join(self, far: FarRun) -> None:
        """The run meets the room's held messages: it becomes their older part, as if
        paged back to, and the timeline goes on from where it is."""
        assert self.main is not None
        timeline = self.main.timeline
        # Still drawn as the run while the room takes its messages in (the view is
        # not redrawn for them), then the same rows go on as the room's.
        live = self.state.rooms.get(far.room)
        oldest = live.oldest_seq if live is not None else None
        msgs = [far.rs.messages[s] for s in far.rs.seqs if oldest is None or s < oldest]
        loaded = MessagesLoaded(far.room, msgs, "history", more_before=far.rs.more_before)
        self._render(self.state.apply(loaded))
        if live is not None:
            timeline.joined(live)
