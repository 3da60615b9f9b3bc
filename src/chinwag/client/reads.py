"""Read positions shared with the server (a part of `ChatState`).

The view-model moves a room's `read_seq` as the user sees messages. The server keeps
one marker per room for all of the user's devices: the `rooms` reply brings them at
each (re)connection and a `read` event whenever another device (or this one) moves one.
A marker from the server moves `read_seq` forward, never back, and recounts the unread
messages; what this device read further than the server knows is listed by
`unreported_reads`, for the app to send with `mark_read`.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from chinwag.client.events import RoomsLoaded, ThreadsLoaded
from chinwag.client.model import Update
from chinwag.client.people import People
from chinwag.protocol.events import ReadMarker
from chinwag.protocol.types import Message


class ReadMarkers(People):
    #: Replaces a held message with a newer copy: `changes.MessageChanges` defines it.
    _replace: Callable[[Message, Update], None]

    _read_marks: dict[str, int]
    #: Per room, the read seq the server is known to hold.
    _reported: dict[str, int]

    #: Per (room, thread root): the seq of the last reply the user has read there.
    thread_reads: dict[tuple[str, int], int]

    def _countable(self, msg: Message) -> bool:
        """Whether a message counts as unread: someone else's text, not deleted, shown
        in the room (a thread reply only if also sent to the room)."""
        in_room = not isinstance(msg.thread, int) or msg.in_room is True
        return msg.kind == "text" and not msg.deleted and in_room and not self.is_me(msg.sender)

    def thread_read(self, room: str, root: int) -> int:
        """The seq of the last reply the user has read in a thread (0: none)."""
        return self.thread_reads.get((room, root), 0)

    def thread_has_unread(self, room: str, root: int) -> bool:
        """Whether a thread has replies after the user's marker, by the summary of its
        root as this client holds it (False when it holds no such root)."""
        rs = self.rooms.get(room)
        msg = rs.messages.get(root) if rs else None
        if msg is None or isinstance(msg.thread_summary, msgspec.UnsetType):
            return False
        return msg.thread_summary.last_seq > self.thread_read(room, root)

    def unreported_reads(self) -> dict[str, int]:
        """Rooms read here further than the server knows: room -> seq for `mark_read`."""
        return {
            rid: rs.read_seq
            for rid, rs in self.rooms.items()
            if rs.loaded and rs.read_seq > self._reported.get(rid, 0)
        }

    def reads_reported(self, marks: dict[str, int]) -> None:
        """`mark_read` was sent for these (if it is lost, the next `rooms` tells)."""
        for rid, seq in marks.items():
            self._reported[rid] = max(self._reported.get(rid, 0), seq)

    def _on_rooms_read(self, ev: RoomsLoaded, update: Update) -> None:
        # What the server holds now, after a reconnection: reports lost on the way
        # show up again in unreported_reads.
        self._reported = dict(ev.read)
        for rid, seq in ev.read.items():
            self._read_up_to(rid, seq, update)

    def _on_read(self, ev: ReadMarker, update: Update) -> None:
        if ev.thread is not None:  # a thread's marker: the room's stays where it is
            self._thread_read_up_to(ev.room, ev.thread, ev.seq, update)
            return
        self._reported[ev.room] = max(self._reported.get(ev.room, 0), ev.seq)
        self._read_up_to(ev.room, ev.seq, update)

    def _on_threads(self, ev: ThreadsLoaded, update: Update) -> None:
        for info in ev.threads:
            self._thread_read_up_to(ev.room, info.root.seq, info.read, update)
            self._replace(info.root, update)

    def _thread_read_up_to(self, room: str, root: int, seq: int, update: Update) -> None:
        if seq > self.thread_reads.get((room, root), 0):
            self.thread_reads[room, root] = seq
            update.timeline(room).reset = True

    def _read_up_to(self, room_id: str, seq: int, update: Update) -> None:
        self._read_marks[room_id] = max(self._read_marks.get(room_id, 0), seq)
        rs = self.rooms.get(room_id)
        if rs is None or not rs.loaded or seq <= rs.read_seq:
            return
        rs.read_seq = seq  # messages up to it that arrive later are read already
        rs.unread = sum(1 for s in rs.seqs if s > rs.read_seq and self._countable(rs.messages[s]))
        oldest = rs.oldest_seq
        if rs.unread_more and (oldest is None or rs.read_seq >= oldest - 1):
            rs.unread_more = False
        update.rooms = True
