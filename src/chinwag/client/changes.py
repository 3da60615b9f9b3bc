"""Changes to the messages the view-model holds (a part of `ChatState`): edits,
deletions, and the other changes of a message (reactions, a pin, a thread's summary),
each replacing the copy held, if any: a message not held comes with its history."""

from __future__ import annotations

import msgspec

from chinwag.client.model import Update
from chinwag.client.reads import ReadMarkers
from chinwag.protocol.events import MessageDeleted, MessageEdited, MessageUpdated
from chinwag.protocol.types import Message


class MessageChanges(ReadMarkers):
    def _on_edited(self, ev: MessageEdited, update: Update) -> None:
        rs = self.rooms.get(ev.message.room)
        old = rs.messages.get(ev.message.seq) if rs else None
        if old is not None and not old.deleted:
            self._replace(ev.message, update)

    def _on_deleted(self, ev: MessageDeleted, update: Update) -> None:
        rs = self.rooms.get(ev.room)
        msg = rs.messages.get(ev.seq) if rs else None
        if rs is None or msg is None or msg.deleted:
            return
        # Its reactions go with its text, as on the server.
        blank = msgspec.structs.replace(msg, deleted=True, body="", reactions=msgspec.UNSET)
        rs.messages[ev.seq] = blank
        update.timeline(ev.room).reset = True
        if ev.seq > rs.read_seq and self._countable(msg) and rs.unread > 0:
            rs.unread -= 1
            update.rooms = True

    def _on_updated(self, ev: MessageUpdated, update: Update) -> None:
        """Reactions, a pin or a thread summary changed: replace the copy held."""
        self._replace(ev.message, update)

    def _replace(self, msg: Message, update: Update) -> None:
        rs = self.rooms.get(msg.room)
        old = rs.messages.get(msg.seq) if rs else None
        if rs is None or old is None or old == msg:
            return  # not held here (it comes with its history), or nothing new
        if _changed(old) > _changed(msg):
            return  # a late copy: the one held is newer
        rs.messages[msg.seq] = msg
        update.timeline(msg.room).reset = True


def _changed(msg: Message) -> int:
    return 0 if msg.changed is msgspec.UNSET else msg.changed
